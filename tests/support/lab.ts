// The whole local lab for end-to-end tests: brought up (idempotently) with lab/lab up.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Etcd3 } from "etcd3";
import { defaultLabFile, LabDescription, readLab } from "../../lab/defaultStack";
import { KubeClient } from "../../lib/kube/client";
import { repoRoot } from "./engine";

export function ensureLab(): LabDescription {
    execFileSync("bash", [path.join(repoRoot, "lab", "lab"), "up"], { stdio: ["ignore", "ignore", "inherit"] });
    return readLab(defaultLabFile);
}

/** Runs a shell snippet inside a lab host's namespaces (as root, no SSH). */
export function onHost(name: string, script: string): string {
    return execFileSync(
        "bash",
        [path.join(repoRoot, "lab", "worker-hosts.sh"), "exec", name, "--", "sh", "-c", script],
        { encoding: "utf8" },
    );
}

/** Fails clearly when another stack (e.g. ./scripts/main's) holds lab hosts. */
export function requireFreeHosts(lab: LabDescription): void {
    const busy = lab.hosts.filter(
        (h) => onHost(h.name, "[ -e /etc/kubernetes/kubelet.conf ] && echo joined || true").trim() === "joined",
    );
    if (busy.length) {
        throw new Error(
            `lab hosts ${busy.map((h) => h.name).join(", ")} are joined to a cluster already (another stack, e.g. ./scripts/main's "lab" stack, uses them): ` +
                "destroy that stack (pulumi destroy --stack lab) or reset the lab (bash lab/lab down) before running the end-to-end tests",
        );
    }
}

export function managementClient(lab: LabDescription): KubeClient {
    return KubeClient.fromKubeconfig(fs.readFileSync(lab.managementKubeconfig, "utf8"));
}

/** A root client of the DataStore etcd. */
export function dataStoreEtcd(lab: LabDescription): Etcd3 {
    const ds = lab.dataStore;
    return new Etcd3({
        hosts: ds.endpoints.split(","),
        credentials: {
            rootCertificate: fs.readFileSync(ds.caCertificate),
            certChain: fs.readFileSync(ds.clientCertificate),
            privateKey: fs.readFileSync(ds.clientPrivateKey),
        },
    });
}
