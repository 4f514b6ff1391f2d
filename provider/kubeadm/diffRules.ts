/** Which input changes replace a NodeJoin (leave, then join again) and which update it in place. */

/** Inputs whose change means the node must leave and join again. */
export const REPLACE_KEYS = ["address", "port", "nodeName", "apiEndpoint", "caCertHash", "criSocket"];
/**
 * Inputs changed in place: version (an upgrade), labels/taints (patched on the Node) and
 * kubeletExtraArgs (kubeadm-flags.env rewritten, kubelet restarted).
 */
export const UPDATE_KEYS = ["kubernetesVersion", "labels", "taints", "kubeletExtraArgs", "kubeletConfiguration"];
/** Inputs only recorded: the next drain, join or upgrade reads them. */
export const RECORDED_KEYS = ["drainTimeoutSeconds", "tenantKubeconfig", "token", "ignorePreflightErrors"];

export function changedKeys(olds: any, news: any, keys: string[]): string[] {
    return keys.filter((k) => JSON.stringify(olds?.[k] ?? null) !== JSON.stringify(news?.[k] ?? null));
}
