/** Hosts: a PreparedHost is a host prepared, prepared again, cleaned or released. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { at, POLICY, safe } from "../values";
import { memberFacts, SubjectContext, versions } from "./context";

export function describeHosts(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    return changes.filter((c) => c.step.type === TYPES.preparedHost).map((c) => hostEntry(c, ctx));
}

function hostEntry(c: Change, ctx: SubjectContext): ReviewEntry {
    const f = memberFacts(c, ctx);
    const { host, from, to } = f;
    const b = ctx.base(c);
    const common = { subject: "host" as const, name: host, host, ...f.where, disruptsNode: false, ...b };
    if (c.op === "create")
        return {
            ...common,
            action: "prepare",
            risk: "low",
            ...versions(undefined, to),
            summary: `host ${host} is prepared`,
            impact: `installs containerd${to ? ` and kubelet/kubeadm ${to}` : " and kubelet/kubeadm"}, sets swap, kernel modules and sysctls over SSH`,
        };
    if (c.op === "delete") {
        const clean = (safe(at(f.old, "reusePolicy"), POLICY) ?? "retain") === "clean";
        return {
            ...common,
            action: clean ? "clean" : "release",
            risk: "low",
            summary: clean ? `host ${host} is cleaned` : `host ${host} is released`,
            impact: clean
                ? "removes what preparation installed (reusePolicy clean)"
                : "leaves the host as it is (reusePolicy retain)",
        };
    }
    if (c.op === "replace")
        return {
            ...common,
            action: "re-prepare",
            risk: "medium",
            ...versions(from, to),
            summary: `host ${host} is prepared again from scratch`,
            impact: `cleans and prepares the host again${ctx.because(b)}`,
        };
    const versionChange = from && to && from !== to;
    return {
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
