/**
 * update on the host: an upgrade (drain, packages, `kubeadm upgrade node`, kubelet restart) or,
 * with the version unchanged, a kubelet reconfiguration (new flags or configuration, restart, no drain).
 */
import { KubeClient } from "../../lib/kube/client";
import { SshConnection, withConnection } from "../../lib/ssh/client";
import { pinnedConnectionOf } from "./connection";
import { changedKeys } from "./diffRules";
import { KUBELET_RESTART_PENDING } from "./hostPaths";
import { patchesFlag, writeKubeletFlags, writeKubeletPatch } from "./kubeletFiles";
import { drain, setUnschedulable, waitForRestartedKubelet, waitForUpgradedNode } from "./nodeOps";
import { withinBudget } from "./rollout";
import {
    drainTimeoutMs,
    KUBEADM_UPGRADE_TIMEOUT_MS,
    KUBELET_CONFIG_TIMEOUT_MS,
    readyTimeoutMs,
    UPGRADE_PACKAGES_TIMEOUT_MS,
} from "./timeouts";

/**
 * kubeletExtraArgs or kubeletConfiguration changed (no upgrade): new flags file or configuration
 * (kubeadm re-renders config.yaml from the cluster's with the patch), kubelet restart, wait until it
 * is back. No drain: pods keep running.
 */
async function reconfigureKubelet(ssh: SshConnection, client: KubeClient, olds: any, news: any): Promise<void> {
    if (changedKeys(olds, news, ["kubeletConfiguration"]).length) {
        await writeKubeletPatch(ssh, news);
        await ssh.exec(["kubeadm", "upgrade", "node", "phase", "kubelet-config", ...patchesFlag(news), "--v=1"], {
            timeoutMs: KUBELET_CONFIG_TIMEOUT_MS,
        });
    }
    if (changedKeys(olds, news, ["kubeletExtraArgs"]).length) await writeKubeletFlags(ssh, olds, news);
    await ssh.exec(["systemctl", "restart", "kubelet"]);
    await waitForRestartedKubelet(client, news.nodeName, readyTimeoutMs());
}

/** In-place upgrade of one node: cordon, drain, new packages, `kubeadm upgrade node`, kubelet restart, uncordon. */
async function upgrade(ssh: SshConnection, client: KubeClient, olds: any, news: any): Promise<void> {
    const name = news.nodeName;
    await setUnschedulable(client, name, true);
    await drain(client, name, drainTimeoutMs(news));
    if (news.upgradePackagesCommand?.length)
        await ssh.exec(news.upgradePackagesCommand, { timeoutMs: UPGRADE_PACKAGES_TIMEOUT_MS });
    const ignore = news.ignorePreflightErrors?.length
        ? [`--ignore-preflight-errors=${news.ignorePreflightErrors.join(",")}`]
        : [];
    await writeKubeletPatch(ssh, news);
    await ssh.exec(["kubeadm", "upgrade", "node", ...ignore, ...patchesFlag(news), "--v=1"], {
        timeoutMs: KUBEADM_UPGRADE_TIMEOUT_MS,
    });
    // After kubeadm, which may rewrite the flags file itself: the restart below applies kubeletExtraArgs.
    if (Object.keys({ ...olds.kubeletExtraArgs, ...news.kubeletExtraArgs }).length)
        await writeKubeletFlags(ssh, olds, news);
    await ssh.exec(["systemctl", "daemon-reload"]);
    await ssh.exec(["systemctl", "restart", "kubelet"]);
    await ssh.exec(["rm", "-f", KUBELET_RESTART_PENDING]);
    await waitForUpgradedNode(client, name, news.kubernetesVersion, olds.kubernetesVersion, readyTimeoutMs());
    await setUnschedulable(client, name, false);
}

/**
 * The upgrade or reconfiguration the change needs, within the pool's rollout budget (rollout.ts).
 * Returns the key the host presented, or undefined when the change needs nothing on the host.
 */
export async function changeOnHost(client: KubeClient, olds: any, news: any): Promise<string | undefined> {
    const upgrading = olds.kubernetesVersion !== news.kubernetesVersion;
    const reconfiguring = changedKeys(olds, news, ["kubeletExtraArgs", "kubeletConfiguration"]).length > 0;
    if (!upgrading && !reconfiguring) return undefined;
    const onHost = () =>
        withConnection(pinnedConnectionOf(news, olds), {}, async (ssh) => {
            if (upgrading) await upgrade(ssh, client, olds, news);
            else await reconfigureKubelet(ssh, client, olds, news);
            return ssh.hostKey;
        });
    return news.rollout ? withinBudget(news.rollout, news.nodeName, onHost) : onHost();
}
