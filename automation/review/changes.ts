/** A plan's steps as the review reads them: one change per resource, replacements folded, moves split. */
import { isPlumbing, urnName } from "../events";
import { Plan, PlanStep } from "./steps";

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
    dataStoreRelease: "pulumi-nodejs:dynamic/hcp:DataStoreRelease",
    tenantRelease: "pulumi-nodejs:dynamic/hcp:TenantRelease",
    secret: "kubernetes:core/v1:Secret",
};

/** One resource's change, with the replacement steps folded into one "replace". */
export interface Change {
    op: "create" | "update" | "delete" | "replace" | string;
    step: PlanStep;
}

const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced"]);
const IGNORED_OPS = new Set(["same", "read", "refresh", "discard", "read-replacement", "remove-pending-replace"]);

export function changesOf(plan: Plan): Change[] {
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
export function splitMove(c: Change): Change[] {
    const from = c.step.old?.parent;
    const to = c.step.new?.parent;
    if (c.op !== "replace" || c.step.type !== TYPES.nodeJoin || !from || !to || from === to) return [c];
    return [
        { op: "delete", step: { ...c.step, parentName: urnName(from), new: undefined, replaceReasons: [] } },
        { op: "create", step: { ...c.step, parentName: urnName(to), old: undefined, replaceReasons: [] } },
    ];
}

export function changedNames(s: PlanStep): string[] {
    const keys = new Set<string>([...s.diffs, ...s.detailedDiffKeys.map((k) => k.replace(/\[.*$/, ""))]);
    return [...keys].filter((k) => /^[A-Za-z0-9_.\-[\]"]{1,120}$/.test(k)).sort();
}
