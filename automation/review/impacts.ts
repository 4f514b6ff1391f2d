/** The per-tenant (or per-pool) sentences at the top of a review. */
import { ImpactSummary, ReviewEntry } from "./types";
import { plural } from "./values";

/** Per tenant (or pool): "drains 3 nodes of team-a (2 upgraded to v1.35.4, 1 removed)". */
export function impactSummaries(entries: ReviewEntry[]): ImpactSummary[] {
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
