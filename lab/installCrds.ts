/**
 * Installs the CRDs in lab/crds/ (Kamaji's and Cluster API's, copied from the project's reference
 * set) on a cluster and waits until each is Established. Create-or-replace, so it is idempotent.
 * With a second directory, the CRDs there replace lab/crds' of the same name: the lab passes the
 * real Kamaji operator's own (bin/kamaji-crds), which its manager is built against.
 *   node dist/lab/installCrds.js KUBECONFIG_FILE [OVERRIDE_DIR]
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { KubeClient } from "../lib/kube/client";

export const crdDir = path.resolve(__dirname, "..", "..", "lab", "crds");

function yamlFiles(dir: string): Map<string, string> {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    return new Map(files.map((f) => [f, path.join(dir, f)]));
}

export async function installCrds(client: KubeClient, dir = crdDir, overrideDir?: string): Promise<string[]> {
    const names: string[] = [];
    const files = new Map([...yamlFiles(dir), ...(overrideDir ? yamlFiles(overrideDir) : [])]);
    for (const file of [...files.keys()].sort()) {
        for (const doc of yaml.loadAll(fs.readFileSync(files.get(file)!, "utf8")) as any[]) {
            if (doc?.kind !== "CustomResourceDefinition") continue;
            const p = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${doc.metadata.name}`;
            const existing = await client.get(p);
            if (existing) {
                doc.metadata.resourceVersion = existing.metadata.resourceVersion;
                await client.replace(p, doc);
            } else {
                await client.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc);
            }
            names.push(doc.metadata.name);
        }
    }
    for (const name of names) {
        await client.waitFor(
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
            (o) => o?.status?.conditions?.some((c: any) => c.type === "Established" && c.status === "True"),
            { timeoutMs: 60_000, intervalMs: 250, description: `CRD ${name} to be Established` },
        );
    }
    return names;
}

if (require.main === module) {
    const kubeconfig = fs.readFileSync(process.argv[2], "utf8");
    installCrds(KubeClient.fromKubeconfig(kubeconfig), crdDir, process.argv[3])
        .then((names) => process.stderr.write(`[lab] CRDs established: ${names.join(", ")}\n`))
        .catch((e) => {
            process.stderr.write(`[lab] ERROR installing CRDs: ${(e as Error).message}\n`);
            process.exit(1);
        });
}
