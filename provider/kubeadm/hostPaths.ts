/** The files kubeadm and NodeJoin keep on a host, and what their presence means. */

export const KUBELET_CONF = "/etc/kubernetes/kubelet.conf";
export const JOIN_CONFIG_PATH = "/etc/kubernetes/hcp-join-configuration.yaml";
/**
 * Written before `kubeadm join` runs and removed once it succeeded: files kubeadm left beside it
 * are from a join of this package that was cut short, and may be reset without asking.
 */
export const JOIN_MARKER = "/etc/kubernetes/hcp-join-started";
/** What kubeadm leaves on a host that joined (or began to join) a cluster, kubelet.conf aside. */
export const NODE_STATE_FILES = [
    "/etc/kubernetes/bootstrap-kubelet.conf",
    "/etc/kubernetes/pki/ca.crt",
    "/var/lib/kubelet/config.yaml",
];
/** kubeadm's patches directory for this node: the kubeletConfiguration patch lives there. */
export const PATCHES_DIR = "/etc/kubernetes/hcp-patches";
/** kubeadm reads <target>+<patchtype>.<extension>: a JSON merge patch of the KubeletConfiguration. */
export const KUBELET_PATCH_PATH = `${PATCHES_DIR}/kubeletconfiguration+merge.json`;
/** Which NodeJoin owns the host (provider/ownership.ts). kubeadm reset leaves it; delete removes it. */
export const OWNER_PATH = "/etc/kubernetes/hcp-owner.json";
/** Where kubeadm writes the kubelet's flags (KUBELET_KUBEADM_ARGS), read by the kubelet unit's drop-in. */
export const KUBELET_FLAGS_ENV = "/var/lib/kubelet/kubeadm-flags.env";
/** PreparedHost installed a new kubelet and left its restart to the upgrade (see provider/hostprep). */
export const KUBELET_RESTART_PENDING = "/var/lib/hcp-hostprep/kubelet-restart-pending";

/**
 * The refusal for a host holding node state that no join of this package left: it may be a node of
 * another cluster, and `kubeadm reset -f` would take it out of that cluster.
 */
export function foreignStateProblem(address: string, found: string[]): string {
    return (
        `host ${address} holds Kubernetes node state (${found.join(", ")}) but no ${KUBELET_CONF} and no sign of an ` +
        `interrupted join by this package: it may be a node of another cluster, so it was left as it is and not joined. ` +
        `If the host may be wiped, set resetForeignState: true for it (WorkerPool: hosts[i].resetForeignState or the ` +
        `pool's resetForeignState) and run again: the join then runs \`kubeadm reset -f\` first; otherwise take the ` +
        `host out of the pool`
    );
}
