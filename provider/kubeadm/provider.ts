/**
 * Dynamic provider for NodeJoin: joins a prepared host to a tenant control plane with the real
 * `kubeadm join` (join.ts), upgrades or reconfigures it in place (inPlace.ts), and on delete
 * drains it, deletes its Node and resets it (leave.ts). Pulumi state records this module's path.
 */
import * as pulumi from "@pulumi/pulumi";
import { withConnectionDefaults } from "../../model/connection";
import { hostIdentity } from "../../model/hosts";
import { PropertyError } from "../../model/rules/propertyError";
import { versionStepProblem } from "../../model/version";
import { containsUnknown, PartialFailure, stableJson, UNKNOWN } from "../dynamic";
import { newOwner } from "../ownership";
import { KubeClient } from "../../lib/kube/client";
import { ConnectionArgs, withConnection } from "../../lib/ssh/client";
import { connectionOf, pinnedConnectionOf, pinnedHostKey } from "./connection";
import { changedKeys, RECORDED_KEYS, REPLACE_KEYS, UPDATE_KEYS } from "./diffRules";
import { changeOnHost } from "./inPlace";
import { checkProblems } from "./inputRules";
import { finishJoin, join } from "./join";
import { leave } from "./leave";
import { applyLabelsAndTaints, kubeletVersionOf } from "./nodeOps";

/** The engine's shape of a check failure. */
const checkFailure = (e: PropertyError): pulumi.dynamic.CheckFailure => ({
    property: e.propertyPath,
    reason: e.reason,
});

export async function check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures = checkProblems(news, (key) => containsUnknown(news[key])).map(checkFailure);
    return { inputs: news, failures };
}

/**
 * Whether the connection changed other than in address and port (those replace). Host keys compare
 * as pinned: setting hostKey to the key recorded on first use (WorkerPool passes its PreparedHost's)
 * is no change. A hostKey unknown at preview (that PreparedHost is being updated) can only resolve to
 * a key the host must present anyway, so it counts as no change once a key is pinned; `up` compares
 * the known value again.
 */
function connectionChanged(olds: any, oldConn: ConnectionArgs, newConn: ConnectionArgs): boolean {
    const oldKey = pinnedHostKey(oldConn, olds.hostKey);
    const newKey = newConn.hostKey === UNKNOWN && oldKey ? oldKey : pinnedHostKey(newConn, olds.hostKey);
    const rest = (c: ConnectionArgs, hostKey: string | undefined) => stableJson({ ...c, address: 0, port: 0, hostKey });
    return rest(oldConn, oldKey) !== rest(newConn, newKey);
}

export async function diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const oldConn = connectionOf(olds) ?? ({} as ConnectionArgs);
    const newConn = connectionOf(news) ?? ({} as ConnectionArgs);
    // One host however its address is written ("2001:DB8::1", "2001:db8::1"): no replacement.
    const flat = (i: any, c: ConnectionArgs) => ({
        ...i,
        address: typeof c.address === "string" ? hostIdentity(c.address) : c.address,
        port: withConnectionDefaults(c).port,
    });
    const replaces = changedKeys(flat(olds, oldConn), flat(news, newConn), REPLACE_KEYS);
    const updates = changedKeys(olds, news, [...UPDATE_KEYS, ...RECORDED_KEYS]);
    if (connectionChanged(olds, oldConn, newConn)) updates.push("connection");
    if (updates.includes("kubernetesVersion")) {
        const p = versionStepProblem(olds.kubernetesVersion, news.kubernetesVersion, "node");
        if (p) throw new Error(`kubernetesVersion: ${p}`);
    }
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
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

export async function update(_id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    const client = KubeClient.fromKubeconfig(news.tenantKubeconfig);
    const presented = await changeOnHost(client, olds, news);
    // A create that failed after joining (olds.incomplete) left the Ready wait and labels to this run.
    if (olds.incomplete) await finishJoin(client, news);
    if (changedKeys(olds, news, ["labels", "taints"]).length)
        await applyLabelsAndTaints(client, news.nodeName, olds, news);
    return {
        outs: {
            ...news,
            owner: olds.owner,
            outcome: olds.outcome,
            kubeletVersion: await kubeletVersionOf(client, news.nodeName),
            hostKey: presented ?? pinnedHostKey(connectionOf(news), olds.hostKey),
            incomplete: false,
            ...(olds.bastionHostKey
                ? { bastionHostKey: pinnedHostKey(news.connection?.bastion, olds.bastionHostKey) }
                : {}),
        },
    };
}

/** Connects first (the recorded keys pinned), then leaves the cluster and resets the host (leave.ts). */
export async function delete_(_id: string, props: any): Promise<void> {
    const client = KubeClient.fromKubeconfig(props.tenantKubeconfig);
    await withConnection(pinnedConnectionOf(props, props), {}, (ssh) => leave(ssh, client, props));
}
export { delete_ as delete };
