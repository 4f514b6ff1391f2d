/** The rest: the management cluster, etcd health checks, bootstrap tokens, objects in a tenant, anything else. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { name } from "../values";
import { SubjectContext } from "./context";

/** One entry for a change, or none when another subject's describer (or its parent's) already tells it. */
type Describer = (c: Change, ctx: SubjectContext) => ReviewEntry | undefined;

export function describeOthers(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    for (const c of changes) {
        const entry = describerOf(c)(c, ctx);
        if (entry) entries.push(entry);
    }
    return entries;
}

/** The describer for each type this file words itself. */
const BY_TYPE = new Map<string, Describer>([
    [TYPES.hcpManagement, managementCluster],
    [TYPES.etcdHealth, etcdHealth],
    [TYPES.bootstrapToken, bootstrapToken],
]);

/** Types another describer tells, or whose component's entry says it all. */
const TOLD_ELSEWHERE: string[] = [
    TYPES.tenantControlPlane,
    TYPES.dataStore,
    TYPES.dataStoreRelease,
    TYPES.tenantRelease,
    TYPES.nodeJoin,
    TYPES.preparedHost,
    TYPES.hcpControlPlane,
    TYPES.hcpDataStore,
    TYPES.hcpWorkerPool,
];

function describerOf(c: Change): Describer {
    const t = c.step.type;
    const parent = c.step.parentTypes.at(-1);
    const own = BY_TYPE.get(t);
    if (own) return own;
    if (TOLD_ELSEWHERE.includes(t)) return none;
    // A component's secrets are told by the component's own entry.
    if (t === TYPES.secret && (parent === TYPES.hcpDataStore || parent === TYPES.hcpControlPlane)) return none;
    if (parent === TYPES.hcpControlPlane) return objectInTenant;
    return other;
}

function none(): undefined {
    return undefined;
}

function managementCluster(c: Change, ctx: SubjectContext): ReviewEntry | undefined {
    if (c.op === "update") return undefined; // its outputs move with its children
    return {
        subject: "management-cluster",
        action: c.op,
        name: c.step.name,
        risk: "low",
        disruptsNode: false,
        ...ctx.base(c),
        summary: `management cluster ${c.step.name} is ${c.op === "create" ? "connected" : c.op === "delete" ? "disconnected" : "replaced"}`,
        impact:
            c.op === "create"
                ? "checks that Kamaji's CRDs are served before anything is created on it"
                : "nothing runs on the cluster itself",
    };
}

function etcdHealth(c: Change, ctx: SubjectContext): ReviewEntry {
    const removed = c.op === "delete";
    return {
        subject: "etcd-health",
        action: removed ? "delete" : "check",
        name: c.step.name,
        risk: "low",
        disruptsNode: false,
        ...ctx.base(c),
        summary: removed
            ? `the etcd health check ${c.step.name} is removed`
            : `etcd health is checked (${c.step.name})`,
        impact: removed
            ? "nothing changes on etcd"
            : "every etcd member, alarms and the leader are checked before the DataStore changes",
    };
}

function bootstrapToken(c: Change, ctx: SubjectContext): ReviewEntry {
    return {
        subject: "bootstrap-token",
        action: c.op === "create" ? "create" : c.op === "delete" ? "delete" : "rotate",
        name: c.step.name,
        risk: "low",
        disruptsNode: false,
        ...ctx.base(c),
        summary: `bootstrap token ${c.step.name} is ${c.op === "create" ? "created" : c.op === "delete" ? "deleted" : "rotated"}`,
        impact: "joins after this use the new token; joined nodes are not affected",
    };
}

/** An object the HostedControlPlane applies inside its tenant cluster (RBAC, the CNI, …). */
function objectInTenant(c: Change, ctx: SubjectContext): ReviewEntry {
    const parent = c.step.parentName;
    const tenant = ctx.tenantOfComponent.get(parent ?? "") ?? name(parent) ?? parent ?? "";
    return {
        subject: "tenant",
        action: c.op,
        name: tenant,
        tenant,
        risk: riskOfOp(c),
        disruptsNode: false,
        ...ctx.base(c),
        summary: `${shortType(c.step.type)} ${c.step.name} of tenant ${tenant}: ${c.op}`,
        impact: `applied inside the tenant cluster`,
    };
}

function other(c: Change, ctx: SubjectContext): ReviewEntry {
    return {
        subject: "other",
        action: c.op,
        name: c.step.name,
        risk: riskOfOp(c),
        disruptsNode: false,
        ...ctx.base(c),
        summary: `${shortType(c.step.type)} ${c.step.name}: ${c.op}`,
        impact: "not a resource this package manages",
    };
}

function riskOfOp(c: Change): ReviewEntry["risk"] {
    return c.op === "delete" || c.op === "replace" ? "medium" : "low";
}

function shortType(t: string): string {
    return t.split(":").pop() ?? t;
}
