/** How long each step of a join, upgrade or leave may take. */

/** A token minted for one join lives this long; the join deletes it once done. */
export const JOIN_TOKEN_TTL_SECONDS = 15 * 60;
export const KUBEADM_JOIN_TIMEOUT_MS = 10 * 60_000;
export const KUBEADM_UPGRADE_TIMEOUT_MS = 10 * 60_000;
export const KUBEADM_RESET_TIMEOUT_MS = 5 * 60_000;
/** `kubeadm upgrade node phase kubelet-config`: config.yaml re-rendered with the patch. */
export const KUBELET_CONFIG_TIMEOUT_MS = 5 * 60_000;
/** upgradePackagesCommand: downloads and installs the new packages. */
export const UPGRADE_PACKAGES_TIMEOUT_MS = 15 * 60_000;

const DEFAULT_DRAIN_TIMEOUT_SECONDS = 300;

/** The drain budget the inputs set (drainTimeoutSeconds), in ms. */
export const drainTimeoutMs = (inputs: { drainTimeoutSeconds?: number }) =>
    (inputs.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS) * 1000;

/** How long a join or restart may take to report Ready; tests shorten it through the provider's environment. */
export const readyTimeoutMs = () => Number(process.env.HCP_NODE_READY_TIMEOUT_MS ?? 5 * 60_000);
