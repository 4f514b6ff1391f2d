/**
 * A review as Markdown (for a pull-request comment) and as JSON (for machines).
 */
import type { Review, ReviewEntry } from "./review";

const SUBJECT: Record<ReviewEntry["subject"], string> = {
    datastore: "DataStore",
    tenant: "Tenant",
    node: "Node",
    host: "Host",
    certificate: "Certificate",
    "management-cluster": "Management cluster",
    "etcd-health": "etcd health",
    "bootstrap-token": "Bootstrap token",
    other: "Other",
};

function cell(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function renderMarkdown(r: Review): string {
    const lines: string[] = [];
    lines.push(`## Change review${r.title ? `: ${r.title}` : ""}`);
    lines.push("");
    const failed = r.gates.filter((g) => !g.passed);
    const verdict = failed.length
        ? `**Blocked**: ${failed.length} gate${failed.length === 1 ? "" : "s"} failed`
        : "**Passed**: every gate holds";
    if (r.entries.length === 0) {
        lines.push(`No changes. ${verdict}.`);
    } else {
        lines.push(
            `${verdict}. Risk: **${r.risk}** (${r.counts.entries} change${r.counts.entries === 1 ? "" : "s"}: ${r.counts.high} high, ${r.counts.medium} medium, ${r.counts.low} low; ${r.counts.nodesDisrupted} node${r.counts.nodesDisrupted === 1 ? "" : "s"} disrupted).`,
        );
    }
    lines.push("");
    if (r.impacts.length > 0) {
        lines.push("### Impact");
        lines.push("");
        for (const i of r.impacts) lines.push(`- ${i.text}`);
        lines.push("");
    }
    lines.push("### Gates");
    lines.push("");
    for (const g of r.gates) lines.push(`- ${g.passed ? "pass" : "**FAIL**"} \`${g.gate}\`: ${g.reason}`);
    lines.push("");
    if (r.entries.length > 0) {
        lines.push("### Changes");
        lines.push("");
        lines.push("| Risk | What | Change | Impact |");
        lines.push("|---|---|---|---|");
        for (const e of r.entries) {
            const change = e.changed.length ? `${e.summary} (changes: ${e.changed.join(", ")})` : e.summary;
            lines.push(`| ${e.risk} | ${SUBJECT[e.subject]} ${cell(e.name)} | ${cell(change)} | ${cell(e.impact)} |`);
        }
        lines.push("");
    }
    return lines.join("\n");
}

export function renderJson(r: Review): string {
    return JSON.stringify(r, null, 2) + "\n";
}
