// Worker hosts as the lab runs them: real sshd hosts (tests/support/hosts.ts) with the lab's
// stand-ins for systemctl and modprobe (lab/standins/), prepared from the lab's bundle, which
// carries the real kubeadm and kubectl and the stand-in kubelet (lab/bundle.sh).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { HostLab, repoRoot, TestHost } from "./hosts";

export const KUBERNETES_VERSION = "v1.34.4";

/** The lab bundle directory for `version`, built if missing. */
export function labBundle(version = KUBERNETES_VERSION): string {
    return execFileSync("bash", [path.join(repoRoot, "lab", "bundle.sh"), version], { encoding: "utf8" }).trim();
}

/** Installs lab/standins/{systemctl,modprobe} into the host's /usr/local/sbin. */
export async function installLabStandIns(lab: HostLab, name: string): Promise<void> {
    for (const tool of ["systemctl", "modprobe"]) {
        await lab.writeFile(
            name,
            `/usr/local/sbin/${tool}`,
            fs.readFileSync(path.join(repoRoot, "lab", "standins", tool), "utf8"),
            "0755",
        );
    }
}

/** PreparedHost inputs for a lab host with the lab bundle. */
export function prepareInputs(h: TestHost, bundle: string, version = KUBERNETES_VERSION): any {
    return {
        connection: { address: h.address, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: h.hostKey },
        kubernetesVersion: version,
        containerd: { version: "1.7.27" },
        packageSource: { kind: "bundle", path: bundle },
        reusePolicy: "clean",
    };
}

/**
 * kubeadm preflight checks that need what these hosts cannot have: a container runtime answering on
 * the CRI socket, the kubelet's port owned by a real kubelet, swap state of the shared kernel, and
 * the kernel config of SystemVerification. Skipped by name, only in the lab.
 */
export { LAB_IGNORED_PREFLIGHT } from "../../lab/defaultStack";
