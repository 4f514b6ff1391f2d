/** Hosts: a PreparedHost is a host prepared, prepared again, cleaned or released. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { at, POLICY, safe, version } from "../values";
import { SubjectContext } from "./context";

export function describeHosts(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const { base, inp, because, poolTenant, hostOf } = ctx;
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
    return entries;
}
