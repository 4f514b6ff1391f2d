/**
 * What a worker host of this lab needs from the package, in one place: the default stack, the
 * Automation API specs of the tests and the provider-level tests all take it from here.
 *
 * The hosts are namespaces on one machine without systemd, in a sandbox without CAP_SYS_RESOURCE,
 * sharing the machine's cgroup v1 file systems; every image comes from the lab registry.
 */
import type { ContainerdArgs, CgroupDriver } from "../provider/hostprep/logic";

/** kubeadm preflight checks that cannot pass on the lab's hosts, each for a reason of this machine. */
export const LAB_IGNORED_PREFLIGHT = [
    // kubeadm v1.35+ refuses a cgroup v1 host (this VM) unless the check is skipped, besides the
    // kubelet's failCgroupV1: false below; v1.34 only warns.
    "SystemVerification",
];

/** No systemd on the hosts. */
export const LAB_CGROUP_DRIVER: CgroupDriver = "cgroupfs";

/**
 * KubeletConfiguration for every lab node: kubelet v1.35 refuses cgroup v1 unless told so; and the
 * nodes share the machine's one disk, whose free share (a few tens of GB of a large, thinly
 * provisioned volume) sits near the kubelet's default 15% image-fs threshold: with the defaults,
 * every node declares DiskPressure at once and evicts everything. Thresholds of 1% keep eviction
 * for a disk that is really full.
 */
export const LAB_KUBELET_CONFIGURATION = {
    failCgroupV1: false,
    evictionHard: {
        "memory.available": "100Mi",
        "nodefs.available": "1%",
        "nodefs.inodesFree": "1%",
        "imagefs.available": "1%",
    },
    // Likewise image garbage collection, which would otherwise delete the lab's images from every
    // node at once to reach the default 85% (the machine's volume reads as fuller than that).
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
};

/** Each host's kubelet keeps to the host's own cgroup root (lab/worker-hosts.sh creates it). */
export function labHostKubeletConfiguration(cgroupRoot: string): Record<string, unknown> {
    return { cgroupRoot };
}

/** The cgroup root lab/worker-hosts.sh gives host NAME of lab instance NET. */
export function labCgroupRoot(net: number, name: string): string {
    return `/hcph${net}-${name}`;
}

/** containerd: oom scores restricted (no CAP_SYS_RESOURCE), and every pull through the lab registry. */
export function labContainerd(registry: string): ContainerdArgs {
    const mirror = `http://${registry}`;
    return {
        version: "1.7.27",
        restrictOOMScoreAdj: true,
        // Air-gapped: images come through the lab registry, under their upstream name or its own.
        registryMirrors: { "registry.k8s.io": [mirror], [registry]: [mirror] },
    };
}

/** The WorkerPool settings every lab pool shares. */
export function labPoolSettings(registry: string) {
    return {
        cgroupDriver: LAB_CGROUP_DRIVER,
        kubeletConfiguration: LAB_KUBELET_CONFIGURATION,
        containerd: labContainerd(registry),
        ignorePreflightErrors: LAB_IGNORED_PREFLIGHT,
    };
}
