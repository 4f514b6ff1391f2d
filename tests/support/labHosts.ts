// Worker hosts as the lab runs them: real sshd hosts (tests/support/hosts.ts) with the lab's
// stand-ins for systemctl and modprobe (lab/standins/) and the node userland, prepared from the
// lab's bundle (the real kubelet, kubeadm, kubectl, containerd, runc, crictl and CNI plugins) with
// the lab's node settings (lab/nodeSettings.ts).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    labCgroupRoot,
    labContainerd,
    LAB_CGROUP_DRIVER,
    labHostKubeletConfiguration,
    LAB_KUBELET_CONFIGURATION,
} from "../../lab/nodeSettings";
import { HostLab, repoRoot, TestHost } from "./hosts";
import { labNet } from "./labNet";

export const KUBERNETES_VERSION = "v1.34.4";

/** The lab bundle directory for `version`, built if missing. */
export function labBundle(version = KUBERNETES_VERSION): string {
    return execFileSync("bash", [path.join(repoRoot, "lab", "bundle.sh"), version], { encoding: "utf8" }).trim();
}

/** Installs lab/standins/{systemctl,modprobe} and the node userland (iptables, ...) on the host, as lab/lab does. */
export async function installLabStandIns(lab: HostLab, name: string): Promise<void> {
    for (const tool of ["systemctl", "modprobe"]) {
        await lab.writeFile(
            name,
            `/usr/local/sbin/${tool}`,
            fs.readFileSync(path.join(repoRoot, "lab", "standins", tool), "utf8"),
            "0755",
        );
    }
    const userland = path.join(repoRoot, "bin", "node-userland");
    for (const tool of fs.readdirSync(userland)) {
        await lab.exec(name, ["ln", "-sfn", fs.realpathSync(path.join(userland, tool)), `/usr/local/sbin/${tool}`]);
    }
}

/** PreparedHost inputs for a lab host with the lab bundle, pulling through the lab registry. */
export function prepareInputs(h: TestHost, bundle: string, registry: string, version = KUBERNETES_VERSION): any {
    return {
        connection: { address: h.address, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: h.hostKey },
        kubernetesVersion: version,
        containerd: { ...labContainerd(registry), cgroupDriver: LAB_CGROUP_DRIVER },
        packageSource: { kind: "bundle", path: bundle },
        reusePolicy: "clean",
    };
}

/** NodeJoin's kubeletConfiguration for a lab host: the pool's settings and the host's cgroup root. */
export function joinKubeletConfiguration(hostName: string): Record<string, unknown> {
    return {
        cgroupDriver: LAB_CGROUP_DRIVER,
        ...LAB_KUBELET_CONFIGURATION,
        ...labHostKubeletConfiguration(labCgroupRoot(labNet, hostName)),
    };
}

/**
 * A CNI configuration for a node whose cluster runs no CNI of its own (the provider-level tests'
 * tenants): the real bridge and host-local plugins with a fixed range, so the kubelet reports the
 * network ready and the Node becomes Ready.
 */
export async function installStaticCni(lab: HostLab, name: string, subnet: string): Promise<void> {
    const conf = {
        cniVersion: "1.0.0",
        name: "hcp-test",
        plugins: [
            { type: "bridge", bridge: "cni0", isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet }]] } },
            { type: "loopback" },
        ],
    };
    await lab.writeFile(name, "/etc/cni/net.d/10-hcp-test.conflist", JSON.stringify(conf), "0644");
}

/**
 * kubeadm preflight checks that need what these hosts cannot have: a container runtime answering on
 * the CRI socket, the kubelet's port owned by a real kubelet, swap state of the shared kernel, and
 * the kernel config of SystemVerification. Skipped by name, only in the lab.
 */
export { LAB_IGNORED_PREFLIGHT } from "../../lab/defaultStack";
