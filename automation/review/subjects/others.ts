/** The rest: the management cluster, etcd health checks, bootstrap tokens, objects in a tenant, anything else. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { name } from "../values";
import { SubjectContext } from "./context";

export function describeOthers(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const { base, tenantOfComponent } = ctx;
    for (const c of changes) {
        const t = c.step.type;
        const b = base(c);
        if (t === TYPES.hcpManagement) {
            if (c.op === "update") continue; // its outputs move with its children
            entries.push({
                subject: "management-cluster",
                action: c.op,
                name: c.step.name,
                risk: "low",
                disruptsNode: false,
                ...b,
                summary: `management cluster ${c.step.name} is ${c.op === "create" ? "connected" : c.op === "delete" ? "disconnected" : "replaced"}`,
                impact:
                    c.op === "create"
                        ? "checks that Kamaji's CRDs are served before anything is created on it"
                        : "nothing runs on the cluster itself",
            });
        } else if (t === TYPES.etcdHealth) {
            entries.push({
                subject: "etcd-health",
                action: c.op === "delete" ? "delete" : "check",
                name: c.step.name,
                risk: "low",
                disruptsNode: false,
                ...b,
                summary:
                    c.op === "delete"
                        ? `the etcd health check ${c.step.name} is removed`
                        : `etcd health is checked (${c.step.name})`,
                impact:
                    c.op === "delete"
                        ? "nothing changes on etcd"
                        : "every etcd member, alarms and the leader are checked before the DataStore changes",
            });
        } else if (t === TYPES.bootstrapToken) {
            entries.push({
                subject: "bootstrap-token",
                action: c.op === "create" ? "create" : c.op === "delete" ? "delete" : "rotate",
                name: c.step.name,
                risk: "low",
                disruptsNode: false,
                ...b,
                summary: `bootstrap token ${c.step.name} is ${c.op === "create" ? "created" : c.op === "delete" ? "deleted" : "rotated"}`,
                impact: "joins after this use the new token; joined nodes are not affected",
            });
        } else if (
            [
                TYPES.tenantControlPlane,
                TYPES.dataStore,
                TYPES.dataStoreRelease,
                TYPES.nodeJoin,
                TYPES.preparedHost,
                TYPES.hcpControlPlane,
                TYPES.hcpDataStore,
                TYPES.hcpWorkerPool,
            ].includes(t) ||
            (t === TYPES.secret &&
                (c.step.parentTypes.at(-1) === TYPES.hcpDataStore ||
                    c.step.parentTypes.at(-1) === TYPES.hcpControlPlane))
        ) {
            continue;
        } else if (c.step.parentTypes.at(-1) === TYPES.hcpControlPlane) {
            const tenant =
                tenantOfComponent.get(c.step.parentName ?? "") ?? name(c.step.parentName) ?? c.step.parentName ?? "";
            entries.push({
                subject: "tenant",
                action: c.op,
                name: tenant,
                tenant,
                risk: c.op === "delete" || c.op === "replace" ? "medium" : "low",
                disruptsNode: false,
                ...b,
                summary: `${shortType(t)} ${c.step.name} of tenant ${tenant}: ${c.op}`,
                impact: `applied inside the tenant cluster`,
            });
        } else {
            entries.push({
                subject: "other",
                action: c.op,
                name: c.step.name,
                risk: c.op === "delete" || c.op === "replace" ? "medium" : "low",
                disruptsNode: false,
                ...b,
                summary: `${shortType(t)} ${c.step.name}: ${c.op}`,
                impact: "not a resource this package manages",
            });
        }
    }
    return entries;
}

function shortType(t: string): string {
    return t.split(":").pop() ?? t;
}
