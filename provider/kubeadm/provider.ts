/**
 * Dynamic provider for NodeJoin: joins a prepared host to a tenant control plane with the real
 * `kubeadm join`, upgrades it in place, and on delete drains it, deletes its Node and resets it.
 */
import * as pulumi from "@pulumi/pulumi";
import { hostIdentity } from "../../model/hosts";
import { versionStepProblem } from "../../model/version";
import { containsUnknown, PartialFailure, stableJson, UNKNOWN } from "../dynamic";
import { newOwner, owns, readOwner, writeOwner } from "../ownership";
import { KubeApiError, KubeClient } from "../../lib/kube/client";
import { ConnectionArgs, SshConnection, SshError, validateConnection, withConnection } from "../../lib/ssh/client";
import { missingHostKeyFailures, pinRecordedHostKeys } from "../../lib/ssh/logic";
import { createToken, deleteToken } from "../token/tokens";
import { expiresSoon, parseToken } from "../token/logic";
import {
    changedKeys,
    DEFAULT_CRI_SOCKET,
    foreignStateProblem,
    joinProblems,
    JOIN_MARKER,
    JOIN_CONFIG_PATH,
    KUBELET_CONF,
    KUBELET_FLAGS_ENV,
    KUBELET_PATCH_PATH,
    NODE_STATE_FILES,
    OWNER_PATH,
    PATCHES_DIR,
    pinnedHostKey,
    renderJoinConfiguration,
    renderKubeletPatch,
    REPLACE_KEYS,
    rewriteKubeletFlagsEnv,
    UPDATE_KEYS,
} from "./logic";
import {
    applyLabelsAndTaints,
    deleteNode,
    drain,
    setUnschedulable,
    waitForReadyNode,
    waitForRestartedKubelet,
} from "./nodeOps";
import { withinBudget } from "./rollout";

const JOIN_TOKEN_TTL_SECONDS = 15 * 60;
const DEFAULT_DRAIN_TIMEOUT_SECONDS = 300;
/** How long a join or restart may take to report Ready; tests shorten it through the provider's environment. */
const readyTimeoutMs = () => Number(process.env.HCP_NODE_READY_TIMEOUT_MS ?? 5 * 60_000);

function connectionOf(inputs: any): ConnectionArgs {
    return inputs.connection as ConnectionArgs;
}

/** The connection with the keys recorded at creation (the host's, the bastion's) pinned unless set. */
function pinnedConnectionOf(props: any, recorded: { hostKey?: string; bastionHostKey?: string }): ConnectionArgs {
    return pinRecordedHostKeys(connectionOf(props), recorded.hostKey, recorded.bastionHostKey);
}

export async function check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures = joinProblems(news, (key) => containsUnknown(news[key]));
    try {
        if (!containsUnknown(news.connection)) validateConnection(connectionOf(news), "connection");
    } catch (e) {
        const m = /^([\w.[\]]+): (.*)$/s.exec((e as Error).message);
        failures.push({ property: m ? m[1] : "connection", reason: m ? m[2] : (e as Error).message });
    }
    if (
        news.resetForeignState !== undefined &&
        typeof news.resetForeignState !== "boolean" &&
        !containsUnknown(news.resetForeignState)
    )
        failures.push({
            property: "resetForeignState",
            reason: `must be true or false (got ${JSON.stringify(news.resetForeignState)})`,
        });
    if (news.connection && typeof news.connection === "object")
        failures.push(...missingHostKeyFailures(news.connection));
    if (typeof news.token === "string" && news.token !== "" && !containsUnknown(news.token)) {
        try {
            parseToken(news.token);
        } catch (e) {
            failures.push({ property: "token", reason: (e as Error).message.replace(/^token: /, "") });
        }
    }
    return { inputs: news, failures };
}

export async function diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const oldConn = connectionOf(olds) ?? ({} as ConnectionArgs);
    const newConn = connectionOf(news) ?? ({} as ConnectionArgs);
    // One host however its address is written ("2001:DB8::1", "2001:db8::1"): no replacement.
    const flat = (i: any, c: ConnectionArgs) => ({
        ...i,
        address: typeof c.address === "string" ? hostIdentity(c.address) : c.address,
        port: c.port ?? 22,
    });
    const replaces = changedKeys(flat(olds, oldConn), flat(news, newConn), REPLACE_KEYS);
    const updates = changedKeys(olds, news, [
        ...UPDATE_KEYS,
        "drainTimeoutSeconds",
        "tenantKubeconfig",
        "token",
        "ignorePreflightErrors",
    ]);
    // Host keys compare as pinned: setting hostKey to the key recorded on first use (WorkerPool passes
    // its PreparedHost's) is no change. A hostKey unknown at preview (that PreparedHost is being
    // updated) can only resolve to a key the host must present anyway, so it counts as no change
    // once a key is pinned; `up` compares the known value again.
    const oldKey = pinnedHostKey(oldConn, olds.hostKey);
    const newKey = newConn.hostKey === UNKNOWN && oldKey ? oldKey : pinnedHostKey(newConn, olds.hostKey);
    const rest = (c: ConnectionArgs, hostKey: string | undefined) => stableJson({ ...c, address: 0, port: 0, hostKey });
    if (rest(oldConn, oldKey) !== rest(newConn, newKey)) updates.push("connection");
    if (updates.includes("kubernetesVersion")) {
        const p = versionStepProblem(olds.kubernetesVersion, news.kubernetesVersion, "node");
        if (p) throw new Error(`kubernetesVersion: ${p}`);
    }
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
}

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

async function hasKubeletConf(ssh: SshConnection): Promise<boolean> {
    return (await ssh.exec(["test", "-f", KUBELET_CONF], { check: false })).code === 0;
}

/** The node state files kubeadm left on the host (no kubelet.conf: a join cut short, or another cluster's). */
async function nodeStateFiles(ssh: SshConnection): Promise<string[]> {
    const r = await ssh.exec(
        ["sh", "-c", 'for f; do [ -e "$f" ] && echo "$f"; done; true', "sh", ...NODE_STATE_FILES],
        {
            check: false,
        },
    );
    return r.stdout.split("\n").filter((l) => l !== "");
}

/**
 * A host already joined (kubelet.conf present) becomes this resource's when it is joined to this
 * cluster as this Node: another resource of the stack that joined it (the program renamed or
 * re-addressed the host) then finds it claimed and leaves it alone on delete. Joined elsewhere, it
 * is refused: taking it over would leave its cluster with a Node that this stack resets.
 */
async function adopt(ssh: SshConnection, inputs: any): Promise<string> {
    const rec = await readOwner(ssh, OWNER_PATH);
    if (rec) {
        if (rec.caCertHash !== inputs.caCertHash || rec.nodeName !== inputs.nodeName)
            throw new Error(
                `connection.address: ${ssh.target} is joined as Node ${rec.nodeName} to a cluster whose CA is ${rec.caCertHash} ` +
                    `(another NodeJoin, recorded in ${OWNER_PATH}), not as Node ${inputs.nodeName} to this one (${inputs.caCertHash}). ` +
                    `Remove the host from the pool that joined it and run \`pulumi up\` first, then add it here`,
            );
        return "already joined (kubelet.conf present, joined to this cluster as this Node); join skipped";
    }
    // Joined before owner records existed, or by hand: this cluster's API server only.
    const conf = (await ssh.exec(["cat", "--", KUBELET_CONF])).stdout;
    const server = /^\s*server:\s*(\S+)\s*$/m.exec(conf)?.[1];
    if (server !== `https://${inputs.apiEndpoint}`)
        throw new Error(
            `connection.address: ${ssh.target} is joined to another cluster (its ${KUBELET_CONF} points to ${server ?? "no server"}, ` +
                `not https://${inputs.apiEndpoint}). Reset it from that cluster first (kubeadm reset -f), then run \`pulumi up\` again`,
        );
    return "already joined (kubelet.conf present); join skipped";
}

/** Joins the host; `claim` runs once the host is this resource's (before kubeadm changes anything). */
async function join(
    ssh: SshConnection,
    client: KubeClient,
    inputs: any,
    owner: string,
    claim: () => void,
): Promise<string> {
    const record = { owner, resource: "NodeJoin", caCertHash: inputs.caCertHash, nodeName: inputs.nodeName };
    if (await hasKubeletConf(ssh)) {
        const outcome = await adopt(ssh, inputs);
        await writeOwner(ssh, OWNER_PATH, record);
        claim();
        return outcome;
    }
    let outcome = "joined";
    const found = await nodeStateFiles(ssh);
    if (found.length) {
        // kubeadm's preflight refuses a host with these files. Reset only what a join of ours left
        // (its marker is there), or a host the user said may be wiped.
        const ours = (await ssh.exec(["test", "-f", JOIN_MARKER], { check: false })).code === 0;
        if (!ours && inputs.resetForeignState !== true)
            throw new Error(foreignStateProblem(connectionOf(inputs).address, found));
        await ssh.exec(["kubeadm", "reset", "-f", "--cri-socket", inputs.criSocket ?? DEFAULT_CRI_SOCKET], {
            timeoutMs: 5 * 60_000,
        });
        outcome = ours
            ? "joined (after resetting an interrupted join)"
            : "joined (after resetting the node state it had: resetForeignState)";
    }
    await writeOwner(ssh, OWNER_PATH, record);
    claim();
    const { token, minted } = await joinToken(client, inputs);
    try {
        const config = renderJoinConfiguration({ ...inputs, token });
        await writeKubeletPatch(ssh, inputs);
        await ssh.upload({ path: JOIN_CONFIG_PATH, content: config, mode: "0600", secrets: [token] });
        await ssh.upload({ path: JOIN_MARKER, content: `${inputs.nodeName}\n`, mode: "0644" });
        try {
            await ssh.exec(["kubeadm", "join", "--config", JOIN_CONFIG_PATH, "--v=1"], {
                secrets: [token],
                timeoutMs: 10 * 60_000,
            });
            await ssh.exec(["rm", "-f", JOIN_MARKER]);
        } finally {
            await ssh.exec(["rm", "-f", JOIN_CONFIG_PATH], { check: false });
        }
    } finally {
        if (minted) await deleteToken(client, minted).catch(() => undefined);
    }
    return outcome;
}

/** What follows the join: the Node Ready, then its labels and taints. Returns the kubelet's version. */
async function finishJoin(client: KubeClient, inputs: any): Promise<string> {
    const node = await waitForReadyNode(client, inputs.nodeName, readyTimeoutMs());
    if (inputs.labels || inputs.taints) await applyLabelsAndTaints(client, inputs.nodeName, {}, inputs);
    return node.status?.nodeInfo?.kubeletVersion ?? "";
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const client = KubeClient.fromKubeconfig(inputs.tenantKubeconfig);
    const id = `${connectionOf(inputs).address}/${inputs.nodeName}`;
    // owner: this resource's mark on the host (provider/ownership.ts); delete resets only its own host.
    // hostKey: the key the host presented (pinned, or accepted on first use); update and delete pin it.
    const outs: any = { ...inputs, owner: newOwner(), outcome: "", kubeletVersion: "", incomplete: true };
    let claimed = false;
    try {
        await withConnection(connectionOf(inputs), {}, async (ssh) => {
            outs.hostKey = ssh.hostKey;
            if (ssh.bastionHostKey) outs.bastionHostKey = ssh.bastionHostKey;
            outs.outcome = await join(ssh, client, inputs, outs.owner, () => (claimed = true));
        });
        outs.kubeletVersion = await finishJoin(client, inputs);
    } catch (e) {
        // Once the host is claimed, the state must say so, or dropping the host would never reset it.
        if (claimed)
            throw new PartialFailure(
                `${(e as Error).message}\n(NodeJoin ${inputs.nodeName}: the host is joined, or the join began, and is recorded in state: ` +
                    `the next \`pulumi up\` finishes the join, \`pulumi destroy\` or removing the host resets it)`,
                id,
                outs,
            );
        throw e;
    }
    return { id, outs: { ...outs, incomplete: false } };
}

/** Writes kubeadm-flags.env for the new kubeletExtraArgs and labels (temp file + rename); the kubelet reads it on restart. */
async function writeKubeletFlags(ssh: SshConnection, olds: any, news: any): Promise<void> {
    let content: string;
    try {
        content = (await ssh.exec(["sh", "-c", 'test -f "$1" || exit 3; cat -- "$1"', "sh", KUBELET_FLAGS_ENV])).stdout;
    } catch (e) {
        if (e instanceof SshError && e.kind === "command" && e.details.code === 3) {
            throw new Error(
                `kubeletExtraArgs: ${KUBELET_FLAGS_ENV} is missing on ${ssh.target}, so the host was not joined by kubeadm ` +
                    `or was reset by hand; run \`pulumi refresh\` or replace the NodeJoin`,
            );
        }
        throw e;
    }
    let next: string;
    try {
        next = rewriteKubeletFlagsEnv(content, olds.kubeletExtraArgs, news);
    } catch (e) {
        throw new Error(
            `kubeletExtraArgs: cannot rewrite the kubelet's flags on ${ssh.target}: ${(e as Error).message}; ` +
                `fix the file as kubeadm writes it (KUBELET_KUBEADM_ARGS="--flag=value ...") and retry`,
        );
    }
    if (next !== content) await ssh.upload({ path: KUBELET_FLAGS_ENV, content: next, mode: "0644" });
}

/** The kubeletConfiguration patch kubeadm applies (join, upgrade): written, or removed when there is none. */
async function writeKubeletPatch(ssh: SshConnection, inputs: any): Promise<void> {
    const patch = renderKubeletPatch(inputs.kubeletConfiguration);
    if (patch) await ssh.upload({ path: KUBELET_PATCH_PATH, content: patch, mode: "0644" });
    else await ssh.exec(["rm", "-rf", PATCHES_DIR]);
}

/** `--patches` for kubeadm commands that write the kubelet's configuration. */
const patchesFlag = (inputs: any) =>
    renderKubeletPatch(inputs.kubeletConfiguration) ? [`--patches=${PATCHES_DIR}`] : [];

/**
 * kubeletExtraArgs or kubeletConfiguration changed (no upgrade): new flags file or configuration
 * (kubeadm re-renders config.yaml from the cluster's with the patch), kubelet restart, wait until it
 * is back. No drain: pods keep running.
 */
async function reconfigureKubelet(ssh: SshConnection, client: KubeClient, olds: any, news: any): Promise<void> {
    if (changedKeys(olds, news, ["kubeletConfiguration"]).length) {
        await writeKubeletPatch(ssh, news);
        await ssh.exec(["kubeadm", "upgrade", "node", "phase", "kubelet-config", ...patchesFlag(news), "--v=1"], {
            timeoutMs: 5 * 60_000,
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
    await drain(client, name, (news.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS) * 1000);
    if (news.upgradePackagesCommand?.length) await ssh.exec(news.upgradePackagesCommand, { timeoutMs: 15 * 60_000 });
    const ignore = news.ignorePreflightErrors?.length
        ? [`--ignore-preflight-errors=${news.ignorePreflightErrors.join(",")}`]
        : [];
    await writeKubeletPatch(ssh, news);
    await ssh.exec(["kubeadm", "upgrade", "node", ...ignore, ...patchesFlag(news), "--v=1"], {
        timeoutMs: 10 * 60_000,
    });
    // After kubeadm, which may rewrite the flags file itself: the restart below applies kubeletExtraArgs.
    if (Object.keys({ ...olds.kubeletExtraArgs, ...news.kubeletExtraArgs }).length)
        await writeKubeletFlags(ssh, olds, news);
    await ssh.exec(["systemctl", "daemon-reload"]);
    await ssh.exec(["systemctl", "restart", "kubelet"]);
    // PreparedHost installed the new kubelet and left its restart to us (see provider/hostprep).
    await ssh.exec(["rm", "-f", "/var/lib/hcp-hostprep/kubelet-restart-pending"]);
    await client.waitFor(
        `/api/v1/nodes/${name}`,
        (n) =>
            n?.status?.nodeInfo?.kubeletVersion === news.kubernetesVersion &&
            n?.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
        {
            timeoutMs: readyTimeoutMs(),
            description: `Node ${name} to report kubelet ${news.kubernetesVersion} and Ready after the upgrade from ${olds.kubernetesVersion}`,
        },
    );
    await setUnschedulable(client, name, false);
}

export async function update(_id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    const client = KubeClient.fromKubeconfig(news.tenantKubeconfig);
    const upgrading = olds.kubernetesVersion !== news.kubernetesVersion;
    const reconfiguring = changedKeys(olds, news, ["kubeletExtraArgs", "kubeletConfiguration"]).length > 0;
    let hostKey = pinnedHostKey(connectionOf(news), olds.hostKey);
    if (upgrading || reconfiguring) {
        const onHost = () =>
            withConnection(pinnedConnectionOf(news, olds), {}, async (ssh) => {
                if (upgrading) await upgrade(ssh, client, olds, news);
                else await reconfigureKubelet(ssh, client, olds, news);
                return ssh.hostKey;
            });
        // A pool rolls such changes out at most maxUnavailable nodes at a time (rollout.ts).
        hostKey = await (news.rollout ? withinBudget(news.rollout, news.nodeName, onHost) : onHost());
    }
    // A create that failed after joining (olds.incomplete) left the Ready wait and labels to this run.
    if (olds.incomplete) await finishJoin(client, news);
    if (changedKeys(olds, news, ["labels", "taints"]).length)
        await applyLabelsAndTaints(client, news.nodeName, olds, news);
    const node = await client.get(`/api/v1/nodes/${news.nodeName}`);
    return {
        outs: {
            ...news,
            owner: olds.owner,
            outcome: olds.outcome,
            kubeletVersion: node?.status?.nodeInfo?.kubeletVersion ?? "",
            hostKey,
            incomplete: false,
            ...(olds.bastionHostKey
                ? { bastionHostKey: pinnedHostKey(news.connection?.bastion, olds.bastionHostKey) }
                : {}),
        },
    };
}

/**
 * Leaves the cluster: cordon, drain, delete the Node (gone already is fine), `kubeadm reset -f`, CNI
 * config removed. The host is connected to first, so a host presenting another key is refused
 * before the Node is touched, and a host that another NodeJoin has claimed since (its owner record
 * is not this resource's) is left as it is, Node included: it is that resource's now.
 */
export async function delete_(_id: string, props: any): Promise<void> {
    const client = KubeClient.fromKubeconfig(props.tenantKubeconfig);
    const name = props.nodeName;
    await withConnection(pinnedConnectionOf(props, props), {}, async (ssh) => {
        if (!owns(props.owner, await readOwner(ssh, OWNER_PATH))) return;
        const cordoned = await setUnschedulable(client, name, true).catch((e) => {
            if (e instanceof KubeApiError && e.status === 0) {
                throw new Error(
                    `cannot drain Node ${name}: the tenant API is unreachable (${e.message}). Bring the tenant back and retry; ` +
                        `if it is gone for good, reset the host by hand (kubeadm reset -f on ${connectionOf(props).address}) and drop this resource with \`pulumi state delete\``,
                );
            }
            throw e;
        });
        if (cordoned) {
            await drain(client, name, (props.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS) * 1000);
            await deleteNode(client, name);
        }
        await ssh.exec(["kubeadm", "reset", "-f", "--cri-socket", props.criSocket ?? DEFAULT_CRI_SOCKET], {
            timeoutMs: 5 * 60_000,
        });
        // What reset leaves: CNI config, the backups `kubeadm upgrade node` keeps in /etc/kubernetes/tmp,
        // and the then empty directories kubeadm created. The CNI directory itself stays: a running
        // containerd watches it, and would not see the next join's network config in a new one.
        await ssh.exec(["sh", "-c", 'rm -rf /etc/cni/net.d/* /etc/cni/net.d/.[!.]* "$@"', "sh", JOIN_CONFIG_PATH]);
        await ssh.exec(["rm", "-rf", JOIN_MARKER, "/etc/kubernetes/tmp", PATCHES_DIR, OWNER_PATH]);
        await ssh.exec(
            ["rmdir", "--ignore-fail-on-non-empty", "/etc/kubernetes/pki", "/etc/kubernetes", "/var/lib/kubelet"],
            { check: false },
        );
    });
}
export { delete_ as delete };
