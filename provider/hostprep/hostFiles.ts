// The files PreparedHost manages on a host: where they go and what they hold.
import * as fs from "fs";
import * as path from "path";

export const SYSCTLS: [string, string][] = [
    ["net.bridge.bridge-nf-call-iptables", "1"],
    ["net.bridge.bridge-nf-call-ip6tables", "1"],
    ["net.ipv4.ip_forward", "1"],
];

export const FILES = {
    modules: "/etc/modules-load.d/k8s.conf",
    sysctl: "/etc/sysctl.d/99-kubernetes.conf",
    containerdConfig: "/etc/containerd/config.toml",
    certsD: "/etc/containerd/certs.d",
    cniBin: "/opt/cni/bin",
    crictl: "/etc/crictl.yaml",
    containerdUnit: "/etc/systemd/system/containerd.service",
    kubeletUnit: "/etc/systemd/system/kubelet.service",
    kubeletDropIn: "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
    aptKeyring: "/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
    aptList: "/etc/apt/sources.list.d/kubernetes.list",
    aptContainerdKeyring: "/etc/apt/keyrings/containerd-apt-keyring.gpg",
    aptContainerdList: "/etc/apt/sources.list.d/containerd.list",
    stateDir: "/var/lib/hcp-hostprep",
};

/** What PreparedHost writes on a host, from the files under host/files. */
export const HOST_FILE_CONTENTS = {
    modulesConf: hostSource("files/modules-load.conf"),
    sysctlConf:
        "# managed by pulumi-hosted-control-plane (PreparedHost)\n" +
        SYSCTLS.map(([k, v]) => `${k} = ${v}`).join("\n") +
        "\n",
    crictlYaml: hostSource("files/crictl.yaml"),
    containerdUnit: hostSource("files/containerd.service"),
    kubeletUnit: hostSource("files/kubelet.service"),
    kubeletDropIn: hostSource("files/10-kubeadm.conf"),
};

/**
 * A file under provider/hostprep/host (scripts and host files live there as themselves). The
 * compiled module sits in dist/provider/hostprep (tsconfig's rootDir is the package root), so the
 * package root is three folders up from it, and the sources ship with the package.
 */
export function hostSource(relativePath: string): string {
    return fs.readFileSync(
        path.join(__dirname, "..", "..", "..", "provider", "hostprep", "host", relativePath),
        "utf8",
    );
}
