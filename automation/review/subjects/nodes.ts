/** Nodes: a NodeJoin is a host joining, leaving, rejoining or upgrading its tenant. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { at, compareVersion, name, version } from "../values";
import { SubjectContext } from "./context";

export function describeNodes(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const { base, inp, because, poolTenant, hostOf } = ctx;
    for (const c of changes.filter((c) => c.step.type === TYPES.nodeJoin)) {
        const o = inp(c, "old");
        const n = inp(c, "new");
        const pool = c.step.parentName;
        const tenant = poolTenant(pool);
        const host = hostOf(c);
        const node = name(at(n, "nodeName")) ?? name(at(o, "nodeName")) ?? host;
        const from = version(at(o, "kubernetesVersion"));
        const to = version(at(n, "kubernetesVersion"));
        const of = tenant ? `tenant ${tenant}` : pool ? `worker pool ${pool}` : "its tenant";
        const b = base(c);
        const common = {
            subject: "node" as const,
            name: node,
            node,
            host,
            ...(pool ? { pool } : {}),
            ...(tenant ? { tenant } : {}),
            ...b,
        };
        let e: ReviewEntry;
        if (c.op === "create") {
            e = {
                ...common,
                action: "join",
                risk: "low",
                disruptsNode: false,
                ...(to ? { to } : {}),
                summary: `host ${host} joins ${of} as node ${node}${to ? ` (kubelet ${to})` : ""}`,
                impact: "kubeadm join with a short-lived bootstrap token and the CA pinned; the node starts taking workloads",
            };
        } else if (c.op === "delete") {
            e = {
                ...common,
                action: "remove",
                risk: "medium",
                disruptsNode: true,
                ...(from ? { from } : {}),
                summary: `node ${node} leaves ${of}: drained and reset`,
                impact: `drains node ${node}, deletes it from ${of} and runs kubeadm reset on host ${host}`,
            };
        } else if (c.op === "replace") {
            e = {
                ...common,
                action: "rejoin",
                risk: "medium",
                disruptsNode: true,
                ...(from ? { from } : {}),
                ...(to ? { to } : {}),
                summary: `node ${node} is drained, reset and joined again`,
                impact: "",
            };
            e.impact = `drains node ${node}, resets host ${host} and joins it again${because(e)}`;
        } else if (from && to && from !== to) {
            const down = compareVersion(to, from) < 0;
            e = {
                ...common,
                action: down ? "downgrade" : "upgrade",
                risk: down ? "high" : "medium",
                disruptsNode: true,
                from,
                to,
                summary: `node ${node} is ${down ? "downgraded" : "upgraded"} from ${from} to ${to}`,
                impact: `drains node ${node}, runs kubeadm upgrade node and restarts kubelet at ${to}, then uncordons it`,
            };
        } else {
            e = {
                ...common,
                action: "update",
                risk: "low",
                disruptsNode: false,
                summary: `node ${node} is updated in place`,
                impact: `changes ${b.changed.join(", ") || "its settings"} on the Node without draining it`,
            };
        }
        entries.push(e);
    }
    return entries;
}
