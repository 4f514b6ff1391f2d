/**
 * A preview turned into a change review that speaks the domain: tenants, DataStores, hosts and
 * nodes, each entry with its impact and a risk level, plus gates.
 *
 * No secret may reach a review. Values are never copied wholesale: only allowlisted fields are read
 * (versions, names, addresses, counts, the reuse policy), and each must also match the pattern of
 * its kind (a version looks like a version, a name like a DNS name, …); anything else, "[secret]"
 * and unknown values included, is left out. Property *names* (what changed) are shown, never values.
 */
import { hostIdentity } from "../../components/validation";
import { compareKubernetesVersions, parseRecordedVersion } from "../../model/version";
import { isPlumbing, urnName } from "../events";
import { GateConfig, GateResult, evaluateGates } from "./gates";
import { Plan, PlanStep } from "./steps";

export type Risk = "low" | "medium" | "high";
export type Subject =
    "datastore" | "tenant" | "node" | "host" | "management-cluster" | "etcd-health" | "bootstrap-token" | "other";

export interface ReviewEntry {
    subject: Subject;
    /** create | upgrade | downgrade | update | delete | replace | prepare | re-prepare | clean | release | join | remove | rejoin | check | … */
    action: string;
    /** The tenant name, DataStore name, host address or node name the entry is about. */
    name: string;
    tenant?: string;
    pool?: string;
    host?: string;
    node?: string;
    dataStore?: string;
    from?: string;
    to?: string;
    risk: Risk;
    /** One sentence: what changes. */
    summary: string;
    /** One sentence: what it does to the running system. */
    impact: string;
    /** The node stops serving workloads for a while (drained, reset, removed). */
    disruptsNode: boolean;
    /** Properties that change (names only). */
    changed: string[];
    /** Properties that force a replacement (names only). */
    replacedBecause: string[];
    /** The Pulumi resources behind the entry (logical names). */
    resources: string[];
}

export interface ImpactSummary {
    /** The tenant (or, when unknown, "worker pool <name>"). */
    scope: string;
    nodesDisrupted: number;
    text: string;
}

export interface Review {
    /** Bumped when the JSON shape changes. */
    schemaVersion: 1;
    title?: string;
    risk: Risk | "none";
    counts: { entries: number; high: number; medium: number; low: number; nodesDisrupted: number };
    impacts: ImpactSummary[];
    entries: ReviewEntry[];
    gates: GateResult[];
    passed: boolean;
}

/** What the review cannot learn from a preview alone: which pool serves which tenant, host addresses. */
export interface ReviewContext {
    /** worker pool component name → tenant name. */
    pools?: Record<string, string>;
    /** resource name (`host-<slug>-prep` / `-join`, see the WorkerPool's hostResourceName) → host address. */
    hosts?: Record<string, string>;
    title?: string;
}

// ---------------------------------------------------------------------------------------------
// Allowlisted value readers

/** The engine's placeholder for a value known only after apply. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function at(obj: unknown, path: string): unknown {
    let cur: any = obj;
    for (const k of path.split(".")) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = cur[k];
    }
    return cur;
}

const VERSION = /^v?\d{1,3}\.\d{1,3}\.\d{1,4}(-[0-9A-Za-z.-]{1,30})?$/;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/;
const ADDRESS =
    /^(\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]+|[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?)(:\d{1,5})?$/;

function safe(v: unknown, pattern: RegExp): string | undefined {
    return typeof v === "string" && v !== UNKNOWN_VALUE && v.length <= 253 && pattern.test(v) ? v : undefined;
}
const version = (v: unknown) => safe(v, VERSION);
const name = (v: unknown) => safe(v, NAME);
const address = (v: unknown) => safe(v, ADDRESS);
function count(v: unknown): number | undefined {
    return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 100000 ? v : undefined;
}
const POLICY = /^(retain|clean)$/;

/** <0 when a is older than b; 0 also when either is not a release version. */
function compareVersion(a: string, b: string): number {
    const x = parseRecordedVersion(a);
    const y = parseRecordedVersion(b);
    return x && y ? compareKubernetesVersions(x, y) : 0;
}

// ---------------------------------------------------------------------------------------------
// Types

export const TYPES = {
    hcpControlPlane: "hcp:index:HostedControlPlane",
    hcpDataStore: "hcp:index:DataStore",
    hcpWorkerPool: "hcp:index:WorkerPool",
    hcpManagement: "hcp:index:ManagementCluster",
    tenantControlPlane: "kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane",
    dataStore: "kubernetes:kamaji.clastix.io/v1alpha1:DataStore",
    preparedHost: "pulumi-nodejs:dynamic/hcp:PreparedHost",
    nodeJoin: "pulumi-nodejs:dynamic/hcp:NodeJoin",
    bootstrapToken: "pulumi-nodejs:dynamic/hcp:BootstrapToken",
    etcdHealth: "pulumi-nodejs:dynamic/hcp:EtcdHealth",
    secret: "kubernetes:core/v1:Secret",
};

/** One resource's change, with the replacement steps folded into one "replace". */
interface Change {
    op: "create" | "update" | "delete" | "replace" | string;
    step: PlanStep;
}

const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced"]);
const IGNORED_OPS = new Set(["same", "read", "refresh", "discard", "read-replacement", "remove-pending-replace"]);

function changesOf(plan: Plan): Change[] {
    const byUrn = new Map<string, Change>();
    for (const s of plan.steps) {
        if (IGNORED_OPS.has(s.op) || isPlumbing(s.type)) continue;
        const prev = byUrn.get(s.urn);
        if (REPLACE_OPS.has(s.op)) {
            // Keep the richest step of the three (the "replace" one carries old and new).
            const merged: PlanStep = prev && prev.op === "replace" ? { ...prev.step } : { ...s };
            merged.old = merged.old ?? s.old ?? prev?.step.old;
            merged.new = merged.new ?? s.new ?? prev?.step.new;
            merged.replaceReasons = [...new Set([...(prev?.step.replaceReasons ?? []), ...s.replaceReasons])];
            merged.diffs = [...new Set([...(prev?.step.diffs ?? []), ...s.diffs])];
            byUrn.set(s.urn, { op: "replace", step: merged });
        } else if (!prev) {
            byUrn.set(s.urn, { op: s.op, step: s });
        }
    }
    return [...byUrn.values()];
}

/**
 * A host moved to a pool of another tenant keeps its resource names (they come from the host), so
 * the engine replaces its NodeJoin under a new parent: for the reader that is the node leaving
 * one pool and joining the other, in that order (the replacement deletes first).
 */
function splitMove(c: Change): Change[] {
    const from = c.step.old?.parent;
    const to = c.step.new?.parent;
    if (c.op !== "replace" || c.step.type !== TYPES.nodeJoin || !from || !to || from === to) return [c];
    return [
        { op: "delete", step: { ...c.step, parentName: urnName(from), new: undefined, replaceReasons: [] } },
        { op: "create", step: { ...c.step, parentName: urnName(to), old: undefined, replaceReasons: [] } },
    ];
}

function changedNames(s: PlanStep): string[] {
    const keys = new Set<string>([...s.diffs, ...s.detailedDiffKeys.map((k) => k.replace(/\[.*$/, ""))]);
    return [...keys].filter((k) => /^[A-Za-z0-9_.\-[\]"]{1,120}$/.test(k)).sort();
}

const plural = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;

// ---------------------------------------------------------------------------------------------

/** Builds the review of a plan. */
export function buildReview(plan: Plan, gates: GateConfig = {}, context: ReviewContext = {}): Review {
    const changes = changesOf(plan).flatMap(splitMove);
    const entries: ReviewEntry[] = [];
    const base = (c: Change) => ({
        changed: c.op === "update" ? changedNames(c.step) : [],
        replacedBecause:
            c.op === "replace"
                ? [...new Set(c.step.replaceReasons)].filter((k) => /^[A-Za-z0-9_.\-[\]"]{1,120}$/.test(k)).sort()
                : [],
        resources: [c.step.name],
    });
    const inp = (c: Change, which: "old" | "new") => (which === "old" ? c.step.old?.inputs : c.step.new?.inputs) ?? {};
    const because = (e: { replacedBecause: string[] }) =>
        e.replacedBecause.length > 0 ? ` (replaced because ${e.replacedBecause.join(", ")} changed)` : "";
    // A replacement loses the old object, so it is named by the old name; a rename adds " by <new>".
    const objectName = (c: Change) => {
        const o = name(at(inp(c, "old"), "metadata.name"));
        const n = name(at(inp(c, "new"), "metadata.name"));
        return { name: c.op === "replace" ? (o ?? n) : (n ?? o), renamedTo: o && n && o !== n ? n : undefined };
    };

    // DataStores: the custom resource, with the component and its TLS Secrets folded in.
    const dsEntries = new Map<string, ReviewEntry>(); // by component name
    for (const c of changes.filter((c) => c.step.type === TYPES.dataStore)) {
        const component = c.step.parentName ?? c.step.name;
        const named = objectName(c);
        const dsName = named.name ?? name(component) ?? c.step.name;
        const endpoints = at(inp(c, "new"), "spec.endpoints");
        const eps = Array.isArray(endpoints) ? endpoints.map(address).filter((x): x is string => !!x) : [];
        const b = base(c);
        let e: ReviewEntry;
        switch (c.op) {
            case "create":
                e = {
                    subject: "datastore",
                    action: "create",
                    name: dsName,
                    dataStore: dsName,
                    risk: "low",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is created`,
                    impact:
                        eps.length > 0
                            ? `registers etcd at ${eps.join(", ")} with Kamaji`
                            : "registers an etcd with Kamaji",
                };
                break;
            case "update":
                e = {
                    subject: "datastore",
                    action: "update",
                    name: dsName,
                    dataStore: dsName,
                    risk: "medium",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is updated in place`,
                    impact: "Kamaji reconnects the tenant control planes stored there to the changed etcd settings",
                };
                break;
            case "delete":
                e = {
                    subject: "datastore",
                    action: "delete",
                    name: dsName,
                    dataStore: dsName,
                    risk: "high",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is deleted`,
                    impact: "Kamaji loses this etcd: tenants still stored there cannot run (Kamaji refuses the delete while a tenant uses it)",
                };
                break;
            default:
                e = {
                    subject: "datastore",
                    action: "replace",
                    name: dsName,
                    dataStore: dsName,
                    risk: "high",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is replaced${named.renamedTo ? ` by ${named.renamedTo}` : ""}`,
                    impact: "",
                };
                e.impact = `the DataStore object is deleted and created again${because(e)}; tenants stored there lose their storage meanwhile`;
        }
        dsEntries.set(component, e);
        entries.push(e);
    }
    for (const c of changes.filter(
        (c) => c.step.type === TYPES.secret && c.step.parentTypes.at(-1) === TYPES.hcpDataStore,
    )) {
        const component = c.step.parentName ?? c.step.name;
        const e = dsEntries.get(component);
        if (e) {
            e.resources.push(c.step.name);
            continue;
        }
        const dsName = name(component) ?? component;
        const created = c.op === "create";
        const deleted = c.op === "delete";
        const ne: ReviewEntry = {
            subject: "datastore",
            action: created ? "create" : deleted ? "delete" : "update",
            name: dsName,
            dataStore: dsName,
            risk: created ? "low" : "medium",
            disruptsNode: false,
            changed: [`TLS Secret ${c.step.name}`],
            replacedBecause: [],
            resources: [c.step.name],
            summary: `the etcd TLS material of DataStore ${dsName} changes`,
            impact: "Kamaji uses the new etcd client credentials for the tenants stored there",
        };
        dsEntries.set(component, ne);
        entries.push(ne);
    }

    // Tenants: the TenantControlPlane, with the component folded in.
    const tenantOfComponent = new Map<string, string>();
    for (const c of changes.filter((c) => c.step.type === TYPES.tenantControlPlane)) {
        const component = c.step.parentName ?? c.step.name;
        const o = inp(c, "old");
        const n = inp(c, "new");
        const named = objectName(c);
        const tenant = named.name ?? name(component) ?? c.step.name;
        tenantOfComponent.set(component, tenant);
        const from = version(at(o, "spec.kubernetes.version"));
        const to = version(at(n, "spec.kubernetes.version"));
        const ds = name(at(n, "spec.dataStore")) ?? name(at(o, "spec.dataStore"));
        const replicas = count(at(n, "spec.controlPlane.deployment.replicas"));
        const b = base(c);
        const common = {
            subject: "tenant" as const,
            name: tenant,
            tenant,
            disruptsNode: false,
            ...b,
            ...(ds ? { dataStore: ds } : {}),
        };
        let e: ReviewEntry;
        if (c.op === "create") {
            e = {
                ...common,
                action: "create",
                risk: "low",
                ...(to ? { to } : {}),
                summary: `tenant ${tenant} is created${to ? ` at ${to}` : ""}`,
                impact: `starts a new control plane${replicas !== undefined ? ` (${plural(replicas, "replica")})` : ""}${ds ? ` stored in DataStore ${ds}` : ""}`,
            };
        } else if (c.op === "delete") {
            e = {
                ...common,
                action: "delete",
                risk: "high",
                ...(from ? { from } : {}),
                summary: `tenant ${tenant} is deleted`,
                impact: `stops its control plane and deletes its data${ds ? ` from DataStore ${ds}` : ""}; the tenant's nodes and workloads lose their cluster`,
            };
        } else if (c.op === "replace") {
            e = {
                ...common,
                action: "replace",
                risk: "high",
                ...(from ? { from } : {}),
                ...(to ? { to } : {}),
                summary: `tenant ${tenant} is replaced${named.renamedTo ? ` by ${named.renamedTo}` : ""}`,
                impact: "",
            };
            e.impact = `replaces the control plane: the API endpoint changes, the cluster starts empty and every node must rejoin${because(e)}`;
        } else if (from && to && from !== to) {
            const down = compareVersion(to, from) < 0;
            e = {
                ...common,
                action: down ? "downgrade" : "upgrade",
                risk: down ? "high" : "medium",
                from,
                to,
                summary: `tenant ${tenant} is ${down ? "downgraded" : "upgraded"} from ${from} to ${to}`,
                impact: down
                    ? "Kubernetes control planes cannot be downgraded: the stored objects may not be readable by the older API server"
                    : "Kamaji rolls the control plane to the new version; the API server restarts, running workloads are not touched",
            };
        } else {
            e = {
                ...common,
                action: "update",
                risk: "low",
                summary: `tenant ${tenant} is updated in place`,
                impact: `changes ${b.changed.join(", ") || "its settings"}; Kamaji rolls the control plane if its pods change`,
            };
        }
        entries.push(e);
    }

    // Hosts and nodes.
    const poolTenant = (pool: string | undefined) => (pool ? context.pools?.[pool] : undefined);
    const joinAddress = new Map<string, string>(); // slug name → address seen on the NodeJoin
    for (const c of changes.filter((c) => c.step.type === TYPES.nodeJoin || c.step.type === TYPES.preparedHost)) {
        const a = address(at(inp(c, "new"), "connection.address")) ?? address(at(inp(c, "old"), "connection.address"));
        if (a) joinAddress.set(c.step.name.replace(/-(join|prep)$/, ""), a);
    }
    const hostOf = (c: Change): string => {
        const fromCtx = context.hosts?.[c.step.name];
        if (fromCtx && address(fromCtx)) return fromCtx;
        const seen = joinAddress.get(c.step.name.replace(/-(join|prep)$/, ""));
        if (seen) return seen;
        const pool = c.step.parentName;
        let slug = c.step.name.replace(/-(join|prep)$/, "");
        if (slug.startsWith("host-")) slug = slug.slice("host-".length);
        else if (pool && slug.startsWith(pool + "-")) slug = slug.slice(pool.length + 1); // names before hostResourceName
        return slug;
    };

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

    for (const c of changes.filter((c) => c.step.type === TYPES.preparedHost)) {
        const o = inp(c, "old");
        const n = inp(c, "new");
        const pool = c.step.parentName;
        const tenant = poolTenant(pool);
        const host = hostOf(c);
        const from = version(at(o, "kubernetesVersion"));
        const to = version(at(n, "kubernetesVersion"));
        const policy = safe(at(o, "reusePolicy"), POLICY) ?? (c.op === "delete" ? "retain" : undefined);
        const b = base(c);
        const common = {
            subject: "host" as const,
            name: host,
            host,
            ...(pool ? { pool } : {}),
            ...(tenant ? { tenant } : {}),
            disruptsNode: false,
            ...b,
        };
        let e: ReviewEntry;
        if (c.op === "create") {
            e = {
                ...common,
                action: "prepare",
                risk: "low",
                ...(to ? { to } : {}),
                summary: `host ${host} is prepared`,
                impact: `installs containerd${to ? ` and kubelet/kubeadm ${to}` : " and kubelet/kubeadm"}, sets swap, kernel modules and sysctls over SSH`,
            };
        } else if (c.op === "delete") {
            e = {
                ...common,
                action: policy === "clean" ? "clean" : "release",
                risk: "low",
                summary: policy === "clean" ? `host ${host} is cleaned` : `host ${host} is released`,
                impact:
                    policy === "clean"
                        ? "removes what preparation installed (reusePolicy clean)"
                        : "leaves the host as it is (reusePolicy retain)",
            };
        } else if (c.op === "replace") {
            e = {
                ...common,
                action: "re-prepare",
                risk: "medium",
                ...(from ? { from } : {}),
                ...(to ? { to } : {}),
                summary: `host ${host} is prepared again from scratch`,
                impact: "",
            };
            e.impact = `cleans and prepares the host again${because(e)}`;
        } else {
            const versionChange = from && to && from !== to;
            e = {
                ...common,
                action: "re-prepare",
                risk: "low",
                ...(versionChange ? { from, to } : {}),
                summary: `host ${host} is re-prepared${versionChange ? ` for ${to}` : ""}`,
                impact: versionChange
                    ? `installs kubelet/kubeadm ${to} (from ${from}); the node's upgrade drains it`
                    : `re-runs the preparation steps whose inputs changed (${b.changed.join(", ") || "settings"})`,
            };
        }
        entries.push(e);
    }

    // The rest: management cluster, checks, tokens, anything else.
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

    // A tenant deleted whose component was seen but whose TCP was not (cannot happen with the
    // components, kept for stacks edited by hand): nothing to add.

    const order: Subject[] = [
        "datastore",
        "tenant",
        "node",
        "host",
        "management-cluster",
        "etcd-health",
        "bootstrap-token",
        "other",
    ];
    const riskRank: Record<Risk, number> = { high: 0, medium: 1, low: 2 };
    entries.sort(
        (a, b) =>
            riskRank[a.risk] - riskRank[b.risk] ||
            order.indexOf(a.subject) - order.indexOf(b.subject) ||
            (a.tenant ?? a.pool ?? "").localeCompare(b.tenant ?? b.pool ?? "") ||
            a.name.localeCompare(b.name, undefined, { numeric: true }) ||
            a.action.localeCompare(b.action) ||
            // Objects of several kinds may share a name (a CNI's ServiceAccount, ClusterRole and
            // DaemonSet): the summary, which names the kind, keeps the order the same on every path.
            a.summary.localeCompare(b.summary),
    );
    for (const e of entries) e.resources.sort();

    const impacts = impactSummaries(entries);
    const nodesDisrupted = entries.filter((e) => e.disruptsNode).length;
    const review: Review = {
        schemaVersion: 1,
        ...(context.title ? { title: context.title } : {}),
        risk: entries.some((e) => e.risk === "high")
            ? "high"
            : entries.some((e) => e.risk === "medium")
              ? "medium"
              : entries.length > 0
                ? "low"
                : "none",
        counts: {
            entries: entries.length,
            high: entries.filter((e) => e.risk === "high").length,
            medium: entries.filter((e) => e.risk === "medium").length,
            low: entries.filter((e) => e.risk === "low").length,
            nodesDisrupted,
        },
        impacts,
        entries,
        gates: [],
        passed: true,
    };
    review.gates = evaluateGates(review, plan, gates);
    review.passed = review.gates.every((g) => g.passed);
    return review;
}

function shortType(t: string): string {
    return t.split(":").pop() ?? t;
}

/** Per tenant (or pool): "drains 3 nodes of team-a (2 upgraded to v1.35.4, 1 removed)". */
function impactSummaries(entries: ReviewEntry[]): ImpactSummary[] {
    const scopes = new Map<string, ReviewEntry[]>();
    for (const e of entries) {
        if (e.subject !== "node" && e.subject !== "tenant") continue;
        const scope = e.tenant ?? (e.pool ? `worker pool ${e.pool}` : e.name);
        scopes.set(scope, [...(scopes.get(scope) ?? []), e]);
    }
    const out: ImpactSummary[] = [];
    for (const [scope, es] of [...scopes].sort((a, b) => a[0].localeCompare(b[0]))) {
        const nodes = es.filter((e) => e.subject === "node");
        const tenant = es.find((e) => e.subject === "tenant");
        const parts: string[] = [];
        if (tenant)
            parts.push(
                tenant.summary.replace(/^tenant \S+ is /, "control plane ").replace(/^tenant \S+ /, "control plane "),
            );
        const disrupted = nodes.filter((e) => e.disruptsNode);
        const by = (action: string) => nodes.filter((e) => e.action === action);
        const details: string[] = [];
        const upgrades = by("upgrade");
        if (upgrades.length) {
            const tos = [...new Set(upgrades.map((e) => e.to))];
            details.push(`${upgrades.length} upgraded${tos.length === 1 && tos[0] ? ` to ${tos[0]}` : ""}`);
        }
        if (by("downgrade").length) details.push(`${by("downgrade").length} downgraded`);
        if (by("remove").length) details.push(`${by("remove").length} removed`);
        if (by("rejoin").length) details.push(`${by("rejoin").length} rejoined`);
        if (disrupted.length)
            parts.push(
                `drains ${plural(disrupted.length, "node")} of ${scope}${details.length ? ` (${details.join(", ")})` : ""}`,
            );
        if (by("join").length) parts.push(`joins ${plural(by("join").length, "new node")}`);
        if (by("update").length) parts.push(`updates ${plural(by("update").length, "node")} without draining`);
        if (parts.length === 0) continue;
        out.push({ scope, nodesDisrupted: disrupted.length, text: `${scope}: ${parts.join("; ")}` });
    }
    return out;
}

/** Host identity helper re-exported for callers building contexts. */
export { hostIdentity };
