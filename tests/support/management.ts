// The lab's management cluster for tests: started (idempotently) through lab/management-cluster.sh.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KubeClient } from "../../provider/kube/client";
import { repoRoot } from "./engine";

export const labDir = process.env.HCP_LAB_DIR ?? path.join(repoRoot, ".lab");
export const managementKubeconfigPath = path.join(labDir, "management", "admin.kubeconfig");

export function ensureManagementCluster(): string {
    execFileSync("bash", [path.join(repoRoot, "lab", "management-cluster.sh"), "up"], {
        stdio: ["ignore", "ignore", "inherit"],
    });
    return fs.readFileSync(managementKubeconfigPath, "utf8");
}

/** A client of the management cluster with the lab's admin credentials. */
export function managementClient(): KubeClient {
    return KubeClient.fromKubeconfig(fs.readFileSync(managementKubeconfigPath, "utf8"));
}
