// A bare management cluster for the tests that play Kamaji's contract themselves or need a cluster
// without an operator (components, preflight, preview errors, smoke): real etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler (lab/management-cluster.sh), in a directory and on
// ports of its own beside the lab's. The lab's own management cluster runs the real Kamaji, whose
// webhooks and controllers would act on these tests' objects.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { installCrds } from "../../lab/installCrds";
import { KubeClient } from "../../lib/kube/client";
import { repoRoot } from "./engine";
import { ensureNamespace } from "./kube";
import { labNet } from "./labNet";

export const labDir = process.env.HCP_LAB_DIR ?? path.join(repoRoot, ".lab");
const bareDir = path.join(labDir, "bare-management");
export const managementKubeconfigPath = path.join(bareDir, "management", "admin.kubeconfig");

/** The lab's management ports (lab/lib.sh, lab/management-cluster.sh) + 50. */
function barePorts(): Record<string, string> {
    const o = 100 * labNet + 50;
    return {
        HCP_MGMT_ETCD_PORT: String(12379 + o),
        HCP_MGMT_API_PORT: String(16443 + o),
        HCP_MGMT_KCM_PORT: String(16257 + o),
        HCP_MGMT_SCHED_PORT: String(16259 + o),
    };
}

export function ensureManagementCluster(): string {
    fs.mkdirSync(bareDir, { recursive: true });
    execFileSync("bash", [path.join(repoRoot, "lab", "management-cluster.sh"), "up"], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, HCP_LAB_DIR: bareDir, ...barePorts() },
    });
    return fs.readFileSync(managementKubeconfigPath, "utf8");
}

/** Stops the bare management cluster (lab/lab down stops it too: it lives in the lab's directory). */
export function stopManagementCluster(): void {
    execFileSync("bash", [path.join(repoRoot, "lab", "management-cluster.sh"), "down"], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, HCP_LAB_DIR: bareDir, ...barePorts() },
    });
}

/** A client of the bare management cluster with its admin credentials. */
export function managementClient(): KubeClient {
    return KubeClient.fromKubeconfig(fs.readFileSync(managementKubeconfigPath, "utf8"));
}

/**
 * The Kamaji side of the bare cluster, without its operator: Kamaji's CRDs served (installed unless
 * both are) and its namespace.
 */
export async function ensureKamajiCrdsAndNamespace(client: KubeClient): Promise<void> {
    const served = await client.servedResources("kamaji.clastix.io/v1alpha1");
    if (!served?.includes("tenantcontrolplanes") || !served.includes("datastores")) await installCrds(client);
    await ensureNamespace(client, "kamaji-system");
}
