// PreparedHost's inputs: their shapes and the constants they are read with. Their rules are in
// inputRules.ts, their defaults and secrets in normalize.ts.

export type ReusePolicy = "retain" | "clean";

export type RegistryCredential = { username: string; password: string } | { auth: string } | { identityToken: string };

export interface AptSource {
    kind: "apt";
    /** The Kubernetes apt repository; default https://pkgs.k8s.io/core:/stable:/v<MAJOR.MINOR>/deb/ */
    repository?: string;
    /** Its signing key (ASCII armored); default <repository>Release.key */
    signingKeyUrl?: string;
    /** The containerd package; default "containerd" (the distribution's); "containerd.io" needs containerdRepository. */
    containerdPackage?: string;
    /** An extra apt repository for containerd, e.g. "https://download.docker.com/linux/debian bookworm stable". */
    containerdRepository?: string;
    containerdSigningKeyUrl?: string;
}

export interface BundleSource {
    kind: "bundle";
    /** A directory or a tarball on the host. */
    path?: string;
    /** Or a URL the host downloads the tarball from (the offline package source). */
    url?: string;
    /** Optional sha256 (hex) of the tarball. */
    sha256?: string;
}

export type PackageSource = AptSource | BundleSource;

export interface ContainerdArgs {
    version?: string;
    pauseImage?: string;
    /** registry ("docker.io", "registry.k8s.io:443", "*" = any) -> mirror URLs, in order. */
    registryMirrors?: Record<string, string[]>;
    /** registry host -> credentials (secret). */
    registryCredentials?: Record<string, RegistryCredential>;
    /**
     * How containerd (runc) and the kubelet manage cgroups: "systemd" (default; hosts that boot
     * with systemd) or "cgroupfs" (hosts without systemd, e.g. containers or sandboxes). The kubelet
     * must use the same driver (WorkerPool passes it to both). Changing it re-runs the preparation.
     */
    cgroupDriver?: CgroupDriver;
    /**
     * Keep containers' oom_score_adj at or above containerd's own (containerd's
     * restrict_oom_score_adj). Needed where the host lacks CAP_SYS_RESOURCE (restricted sandboxes,
     * user namespaces): runc cannot lower a score there and the pod fails to start. Default false.
     */
    restrictOOMScoreAdj?: boolean;
}

export type CgroupDriver = "systemd" | "cgroupfs";
export const CGROUP_DRIVERS: CgroupDriver[] = ["systemd", "cgroupfs"];

/** What the preparation depends on (the connection is separate). */
export interface PrepArgs {
    kubernetesVersion: string;
    containerd?: ContainerdArgs;
    packageSource: PackageSource;
}

export interface NormalizedPrep {
    kubernetesVersion: string; // "1.34.4"
    containerd: {
        version: string;
        pauseImage: string;
        registryMirrors: Record<string, string[]>;
        registryCredentials: Record<string, RegistryCredential>;
        cgroupDriver: CgroupDriver;
        restrictOOMScoreAdj: boolean;
    };
    packageSource: PackageSource;
}

export const DEFAULT_CONTAINERD_VERSION = "1.7.27";
export const SUPPORTED_OS =
    "debian, ubuntu (and distributions with ID_LIKE=debian); rhel-like (rhel, centos, rocky, almalinux, fedora, ol) with packageSource.kind bundle";

/** Binaries a bundle may hold besides kubeadm, kubelet and kubectl (and CNI plugins in its cni/ folder). */
export const BUNDLE_CONTAINERD_FILES = ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "crictl"];
