/**
 * create: the host claimed (adopted when joined already, reset when a join of ours was cut short),
 * the join's files written, `kubeadm join`, then the Node Ready with its labels and taints.
 */
import { KubeClient } from "../../lib/kube/client";
import { SshConnection } from "../../lib/ssh/client";
import { writeOwner } from "../ownership";
import { createToken, deleteToken } from "../token/tokens";
import { expiresSoon, parseToken } from "../token/logic";
import { connectionOf } from "./connection";
import { foreignStateProblem, JOIN_CONFIG_PATH, JOIN_MARKER, OWNER_PATH } from "./hostPaths";
import { adopt, hasKubeletConf, joinStarted, kubeadmReset, nodeStateFiles } from "./hostState";
import { renderJoinConfiguration } from "./joinConfiguration";
import { writeKubeletPatch } from "./kubeletFiles";
import { applyLabelsAndTaints, waitForReadyNode } from "./nodeOps";
import { JOIN_TOKEN_TTL_SECONDS, KUBEADM_JOIN_TIMEOUT_MS, readyTimeoutMs } from "./timeouts";

/** The token for this join: the caller's (checked for expiry) or a fresh one minted for 15 minutes. */
async function joinToken(client: KubeClient, inputs: any): Promise<{ token: string; minted?: string }> {
    if (inputs.token) {
        const t = parseToken(inputs.token);
        const secret = await client.get(`/api/v1/namespaces/kube-system/secrets/bootstrap-token-${t.id}`);
        const expiration = secret?.data?.expiration
            ? Buffer.from(secret.data.expiration, "base64").toString()
            : undefined;
        if (!secret || (expiration && expiresSoon(expiration, new Date(), 30))) {
            throw new Error(
                `token: bootstrap token ${t.id} ${secret ? `expired at ${expiration}` : "does not exist in the tenant (expired tokens are deleted)"}; ` +
                    `create a new one (BootstrapToken resource or \`kubeadm token create\`), or leave token unset so each join mints its own`,
            );
        }
        return { token: inputs.token };
    }
    const t = await createToken(
        client,
        JOIN_TOKEN_TTL_SECONDS,
        `join of ${inputs.nodeName} by pulumi-hosted-control-plane`,
    );
    return { token: `${t.id}.${t.secret}`, minted: t.id };
}

/**
 * kubeadm's preflight refuses a host with node state files. Resets only what a join of ours left
 * (its marker is there), or a host the user said may be wiped; returns the join's outcome.
 */
async function resetLeftState(ssh: SshConnection, inputs: any): Promise<string> {
    const found = await nodeStateFiles(ssh);
    if (!found.length) return "joined";
    const ours = await joinStarted(ssh);
    if (!ours && inputs.resetForeignState !== true)
        throw new Error(foreignStateProblem(connectionOf(inputs).address, found));
    await kubeadmReset(ssh, inputs);
    return ours
        ? "joined (after resetting an interrupted join)"
        : "joined (after resetting the node state it had: resetForeignState)";
}

/** `kubeadm join` with its configuration (it holds the token: uploaded 0600, removed after). */
async function kubeadmJoin(ssh: SshConnection, client: KubeClient, inputs: any): Promise<void> {
    const { token, minted } = await joinToken(client, inputs);
    try {
        const config = renderJoinConfiguration({ ...inputs, token });
        await writeKubeletPatch(ssh, inputs);
        await ssh.upload({ path: JOIN_CONFIG_PATH, content: config, mode: "0600", secrets: [token] });
        await ssh.upload({ path: JOIN_MARKER, content: `${inputs.nodeName}\n`, mode: "0644" });
        try {
            await ssh.exec(["kubeadm", "join", "--config", JOIN_CONFIG_PATH, "--v=1"], {
                secrets: [token],
                timeoutMs: KUBEADM_JOIN_TIMEOUT_MS,
            });
            await ssh.exec(["rm", "-f", JOIN_MARKER]);
        } finally {
            await ssh.exec(["rm", "-f", JOIN_CONFIG_PATH], { check: false });
        }
    } finally {
        if (minted) await deleteToken(client, minted).catch(() => undefined);
    }
}

/** Joins the host; `claim` runs once the host is this resource's (before kubeadm changes anything). */
export async function join(
    ssh: SshConnection,
    client: KubeClient,
    inputs: any,
    owner: string,
    claim: () => void,
): Promise<string> {
    const record = { owner, resource: "NodeJoin", caCertHash: inputs.caCertHash, nodeName: inputs.nodeName };
    const joined = await hasKubeletConf(ssh);
    const outcome = joined ? await adopt(ssh, inputs) : await resetLeftState(ssh, inputs);
    await writeOwner(ssh, OWNER_PATH, record);
    claim();
    if (!joined) await kubeadmJoin(ssh, client, inputs);
    return outcome;
}

/** What follows the join: the Node Ready, then its labels and taints. Returns the kubelet's version. */
export async function finishJoin(client: KubeClient, inputs: any): Promise<string> {
    const node = await waitForReadyNode(client, inputs.nodeName, readyTimeoutMs());
    if (inputs.labels || inputs.taints) await applyLabelsAndTaints(client, inputs.nodeName, {}, inputs);
    return node.status?.nodeInfo?.kubeletVersion ?? "";
}
