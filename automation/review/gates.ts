/**
 * Gates: conditions that make a review fail (the command exits non-zero with the reason).
 */
import type { Review } from "./review";
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
}

export type GateName = "tenant-deletion" | "datastore-deletion" | "disrupted-nodes" | "downgrade" | "preview-errors";

export interface GateResult {
    gate: GateName;
    passed: boolean;
    /** Why it passed or failed, naming what tripped it and the option that allows it. */
    reason: string;
}

const list = (xs: string[]) => xs.join(", ");

export function evaluateGates(review: Review, plan: Plan, cfg: GateConfig): GateResult[] {
    const out: GateResult[] = [];
    const e = review.entries;

    const tenants = e.filter(
        (x) => x.subject === "tenant" && (x.action === "delete" || x.action === "replace") && x.risk === "high",
    );
    if (cfg.allowTenantDeletion) {
        out.push({
            gate: "tenant-deletion",
            passed: true,
            reason: tenants.length
                ? `allowed: ${list(tenants.map((x) => `${x.name} (${x.action})`))}`
                : "no tenant is deleted or replaced",
        });
    } else {
        out.push(
            tenants.length
                ? {
                      gate: "tenant-deletion",
                      passed: false,
                      reason: `tenant ${list(tenants.map((x) => `${x.name} is ${x.action === "delete" ? "deleted" : "replaced"}`))}; allow with --allow-tenant-deletion`,
                  }
                : { gate: "tenant-deletion", passed: true, reason: "no tenant is deleted or replaced" },
        );
    }

    const stores = e.filter((x) => x.subject === "datastore" && (x.action === "delete" || x.action === "replace"));
    if (cfg.allowDataStoreDeletion) {
        out.push({
            gate: "datastore-deletion",
            passed: true,
            reason: stores.length
                ? `allowed: ${list(stores.map((x) => `${x.name} (${x.action})`))}`
                : "no DataStore is deleted or replaced",
        });
    } else {
        out.push(
            stores.length
                ? {
                      gate: "datastore-deletion",
                      passed: false,
                      reason: `DataStore ${list(stores.map((x) => `${x.name} is ${x.action === "delete" ? "deleted" : "replaced"}`))}; allow with --allow-datastore-deletion`,
                  }
                : { gate: "datastore-deletion", passed: true, reason: "no DataStore is deleted or replaced" },
        );
    }

    const disrupted = e.filter((x) => x.disruptsNode);
    const n = disrupted.length;
    if (cfg.maxDisruptedNodes === undefined) {
        out.push({
            gate: "disrupted-nodes",
            passed: true,
            reason: `${n} node${n === 1 ? "" : "s"} disrupted; no limit set (--max-disrupted-nodes N)`,
        });
    } else if (n > cfg.maxDisruptedNodes) {
        out.push({
            gate: "disrupted-nodes",
            passed: false,
            reason: `${n} nodes disrupted (${list(disrupted.map((x) => `${x.name}: ${x.action}`))}), more than the limit of ${cfg.maxDisruptedNodes}; split the change or raise --max-disrupted-nodes`,
        });
    } else {
        out.push({
            gate: "disrupted-nodes",
            passed: true,
            reason: `${n} node${n === 1 ? "" : "s"} disrupted, within the limit of ${cfg.maxDisruptedNodes}`,
        });
    }

    const downs = e.filter((x) => x.action === "downgrade");
    if (cfg.allowDowngrade) {
        out.push({
            gate: "downgrade",
            passed: true,
            reason: downs.length
                ? `allowed: ${list(downs.map((x) => `${x.subject} ${x.name} ${x.from} → ${x.to}`))}`
                : "no downgrade",
        });
    } else {
        out.push(
            downs.length
                ? {
                      gate: "downgrade",
                      passed: false,
                      reason: `${list(downs.map((x) => `${x.subject} ${x.name} goes from ${x.from} down to ${x.to}`))}; allow with --allow-downgrade`,
                  }
                : { gate: "downgrade", passed: true, reason: "no downgrade" },
        );
    }

    if (plan.errors > 0) {
        out.push({
            gate: "preview-errors",
            passed: false,
            reason: `the preview reported ${plan.errors} error${plan.errors === 1 ? "" : "s"}, so the review is incomplete; fix the preview first`,
        });
    }
    return out;
}
