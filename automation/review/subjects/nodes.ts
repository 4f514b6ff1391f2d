/** Nodes: a NodeJoin is a host joining, leaving, rejoining or upgrading its tenant. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { at, name } from "../values";
import { memberFacts, SubjectContext, versionMove, versions } from "./context";

export function describeNodes(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    return changes.filter((c) => c.step.type === TYPES.nodeJoin).map((c) => nodeEntry(c, ctx));
}

function nodeEntry(c: Change, ctx: SubjectContext): ReviewEntry {
    const f = memberFacts(c, ctx);
    const { host, from, to, of } = f;
    const node = name(at(f.new, "nodeName")) ?? name(at(f.old, "nodeName")) ?? host;
    const b = ctx.base(c);
    const common = { subject: "node" as const, name: node, node, host, ...f.where, ...b };
    if (c.op === "create")
        return {
            ...common,
            action: "join",
            risk: "low",
            disruptsNode: false,
            ...versions(undefined, to),
            summary: `host ${host} joins ${of} as node ${node}${to ? ` (kubelet ${to})` : ""}`,
            impact: "kubeadm join with a short-lived bootstrap token and the CA pinned; the node starts taking workloads",
        };
    if (c.op === "delete")
        return {
            ...common,
            action: "remove",
            risk: "medium",
            disruptsNode: true,
            ...versions(from, undefined),
            summary: `node ${node} leaves ${of}: drained and reset`,
            impact: `drains node ${node}, deletes it from ${of} and runs kubeadm reset on host ${host}`,
        };
    if (c.op === "replace")
        return {
            ...common,
            action: "rejoin",
            risk: "medium",
            disruptsNode: true,
            ...versions(from, to),
            summary: `node ${node} is drained, reset and joined again`,
            impact: `drains node ${node}, resets host ${host} and joins it again${ctx.because(b)}`,
        };
    const move = versionMove(from, to);
    if (move)
        return {
            ...common,
            ...move.kind,
            disruptsNode: true,
            ...move.versions,
            summary: `node ${node} is ${move.done} from ${from} to ${to}`,
            impact: `drains node ${node}, runs kubeadm upgrade node and restarts kubelet at ${to}, then uncordons it`,
        };
    return {
        ...common,
        action: "update",
        risk: "low",
        disruptsNode: false,
        summary: `node ${node} is updated in place`,
        impact: `changes ${b.changed.join(", ") || "its settings"} on the Node without draining it`,
    };
}
