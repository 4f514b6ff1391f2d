/**
 * Gates: conditions that make a review fail (the command exits non-zero with the reason).
 */
import type { Review } from "./review";
import type { ReviewEntry } from "./types";
import type { Plan } from "./steps";

export interface GateConfig {
    /** Let tenants be deleted or replaced. Defaults to false (gate on). */
    allowTenantDeletion?: boolean;
    /** Let DataStores be deleted or replaced. Defaults to false (gate on). */
    allowDataStoreDeletion?: boolean;
    /** Fail when more nodes than this are disrupted (drained, reset or removed). Defaults to no limit. */
    maxDisruptedNodes?: number;
    /** Let a tenant or node go to an older Kubernetes version. Defaults to false (gate on). */
    allowDowngrade?: boolean;
    /** Let a tenant move to another DataStore (a data migration). Defaults to false (gate on). */
    allowDataStoreMigration?: boolean;
    /** Let certificates inside the warning window (or expired) pass. Defaults to false (gate on). */
    allowExpiringCertificates?: boolean;
    /** The warning window for certificate expiry, in days. Defaults to 30. */
    certificateWarningDays?: number;
}

export type GateName =
    | "tenant-deletion"
    | "datastore-deletion"
    | "disrupted-nodes"
    | "downgrade"
    | "datastore-migration"
    | "certificate-expiry"
    | "preview-errors";

export interface GateResult {
    gate: GateName;
    passed: boolean;
    /** Why it passed or failed, naming what tripped it and the option that allows it. */
    reason: string;
}

const list = (xs: string[]) => xs.join(", ");
const nodes = (n: number) => `${n} node${n === 1 ? "" : "s"}`;

/** Every gate, in the order a review lists them; each rule once, here. */
export function evaluateGates(review: Review, plan: Plan, cfg: GateConfig): GateResult[] {
    const e = review.entries;
    const tenants = e.filter(
        (x) => x.subject === "tenant" && (x.action === "delete" || x.action === "replace") && x.risk === "high",
    );
    const stores = e.filter((x) => x.subject === "datastore" && (x.action === "delete" || x.action === "replace"));
    return [
        deletionGate("tenant-deletion", tenants, cfg.allowTenantDeletion, "tenant", "--allow-tenant-deletion"),
        deletionGate(
            "datastore-deletion",
            stores,
            cfg.allowDataStoreDeletion,
            "DataStore",
            "--allow-datastore-deletion",
        ),
        disruptedNodesGate(
            e.filter((x) => x.disruptsNode),
            cfg.maxDisruptedNodes,
        ),
        downgradeGate(
            e.filter((x) => x.action === "downgrade"),
            cfg.allowDowngrade,
        ),
        migrationGate(
            e.filter((x) => x.action === "migrate"),
            cfg.allowDataStoreMigration,
        ),
        certificateExpiryGate(
            e.filter((x) => x.subject === "certificate"),
            cfg.allowExpiringCertificates,
        ),
        ...(plan.errors > 0 ? [previewErrorsGate(plan.errors)] : []),
    ];
}

/** Deleting or replacing what holds data (a tenant, a DataStore) is refused unless allowed. */
function deletionGate(
    gate: GateName,
    hits: ReviewEntry[],
    allowed: boolean | undefined,
    noun: string,
    flag: string,
): GateResult {
    if (hits.length === 0) return { gate, passed: true, reason: `no ${noun} is deleted or replaced` };
    if (allowed) return { gate, passed: true, reason: `allowed: ${list(hits.map((x) => `${x.name} (${x.action})`))}` };
    const what = hits.map((x) => `${x.name} is ${x.action === "delete" ? "deleted" : "replaced"}`);
    return { gate, passed: false, reason: `${noun} ${list(what)}; allow with ${flag}` };
}

function disruptedNodesGate(disrupted: ReviewEntry[], max: number | undefined): GateResult {
    const gate = "disrupted-nodes";
    const n = disrupted.length;
    if (max === undefined)
        return { gate, passed: true, reason: `${nodes(n)} disrupted; no limit set (--max-disrupted-nodes N)` };
    if (n <= max) return { gate, passed: true, reason: `${nodes(n)} disrupted, within the limit of ${max}` };
    return {
        gate,
        passed: false,
        reason: `${n} nodes disrupted (${list(disrupted.map((x) => `${x.name}: ${x.action}`))}), more than the limit of ${max}; split the change or raise --max-disrupted-nodes`,
    };
}

function downgradeGate(downs: ReviewEntry[], allowed: boolean | undefined): GateResult {
    const gate = "downgrade";
    if (downs.length === 0) return { gate, passed: true, reason: "no downgrade" };
    if (allowed)
        return {
            gate,
            passed: true,
            reason: `allowed: ${list(downs.map((x) => `${x.subject} ${x.name} ${x.from} → ${x.to}`))}`,
        };
    return {
        gate,
        passed: false,
        reason: `${list(downs.map((x) => `${x.subject} ${x.name} goes from ${x.from} down to ${x.to}`))}; allow with --allow-downgrade`,
    };
}

/** Moving a tenant's data to another DataStore is refused unless allowed. */
function migrationGate(moves: ReviewEntry[], allowed: boolean | undefined): GateResult {
    const gate = "datastore-migration";
    if (moves.length === 0) return { gate, passed: true, reason: "no tenant moves to another DataStore" };
    const what = list(moves.map((x) => `${x.name}: ${x.from} → ${x.to}`));
    if (allowed) return { gate, passed: true, reason: `allowed: ${what}` };
    return { gate, passed: false, reason: `tenant data is migrated (${what}); allow with --allow-datastore-migration` };
}

/** A certificate about to end (or ended) is renewed before anything else is applied, unless allowed. */
function certificateExpiryGate(expiring: ReviewEntry[], allowed: boolean | undefined): GateResult {
    const gate = "certificate-expiry";
    if (expiring.length === 0) return { gate, passed: true, reason: "no certificate expires within the window" };
    const what = list(expiring.map((x) => `${x.name} (${x.action === "expired" ? "expired" : "expires"} ${x.to})`));
    if (allowed) return { gate, passed: true, reason: `allowed: ${what}` };
    return {
        gate,
        passed: false,
        reason: `${what}; renew it first (DataStore: rotateBefore or a new certificate), or allow with --allow-expiring-certificates`,
    };
}

function previewErrorsGate(errors: number): GateResult {
    return {
        gate: "preview-errors",
        passed: false,
        reason: `the preview reported ${errors} error${errors === 1 ? "" : "s"}, so the review is incomplete; fix the preview first`,
    };
}
