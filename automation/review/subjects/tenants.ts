/** Tenants: the TenantControlPlane, with the component folded in. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { at, count, name, plural, version } from "../values";
import { SubjectContext, versionMove, versions } from "./context";

export function describeTenants(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    return changes.filter((c) => c.step.type === TYPES.tenantControlPlane).map((c) => tenantEntry(c, ctx));
}

function tenantEntry(c: Change, ctx: SubjectContext): ReviewEntry {
    const component = c.step.parentName ?? c.step.name;
    const o = ctx.inp(c, "old");
    const n = ctx.inp(c, "new");
    const named = ctx.objectName(c);
    const tenant = named.name ?? name(component) ?? c.step.name;
    ctx.tenantOfComponent.set(component, tenant);
    const from = version(at(o, "spec.kubernetes.version"));
    const to = version(at(n, "spec.kubernetes.version"));
    const oldDs = name(at(o, "spec.dataStore"));
    const ds = name(at(n, "spec.dataStore")) ?? oldDs;
    const replicas = count(at(n, "spec.controlPlane.deployment.replicas"));
    const b = ctx.base(c);
    const common = {
        subject: "tenant" as const,
        name: tenant,
        tenant,
        disruptsNode: false,
        ...b,
        ...(ds ? { dataStore: ds } : {}),
    };
    if (c.op === "create")
        return {
            ...common,
            action: "create",
            risk: "low",
            ...versions(undefined, to),
            summary: `tenant ${tenant} is created${to ? ` at ${to}` : ""}`,
            impact: `starts a new control plane${replicas !== undefined ? ` (${plural(replicas, "replica")})` : ""}${ds ? ` stored in DataStore ${ds}` : ""}`,
        };
    if (c.op === "delete")
        return {
            ...common,
            action: "delete",
            risk: "high",
            ...versions(from, undefined),
            summary: `tenant ${tenant} is deleted`,
            impact: `stops its control plane and deletes its data${ds ? ` from DataStore ${ds}` : ""}; the tenant's nodes and workloads lose their cluster`,
        };
    if (c.op === "replace")
        return {
            ...common,
            action: "replace",
            risk: "high",
            ...versions(from, to),
            summary: `tenant ${tenant} is replaced${named.renamedTo ? ` by ${named.renamedTo}` : ""}`,
            impact: `replaces the control plane: the API endpoint changes, the cluster starts empty and every node must rejoin${ctx.because(b)}`,
        };
    if (c.op === "update" && oldDs && ds && oldDs !== ds)
        return {
            ...common,
            action: "migrate",
            risk: "high",
            from: oldDs,
            to: ds,
            summary: `tenant ${tenant} moves from DataStore ${oldDs} to DataStore ${ds}`,
            impact: `Kamaji migrates the tenant's data: its migrate job copies every key under the tenant's prefix from ${oldDs} to ${ds}; the tenant's API is read-only until the copy is done`,
        };
    const move = versionMove(from, to);
    if (move)
        return {
            ...common,
            ...move.kind,
            ...move.versions,
            summary: `tenant ${tenant} is ${move.done} from ${from} to ${to}`,
            impact: move.down
                ? "Kubernetes control planes cannot be downgraded: the stored objects may not be readable by the older API server"
                : "Kamaji rolls the control plane to the new version; the API server restarts, running workloads are not touched",
        };
    return {
        ...common,
        action: "update",
        risk: "low",
        summary: `tenant ${tenant} is updated in place`,
        impact: `changes ${b.changed.join(", ") || "its settings"}; Kamaji rolls the control plane if its pods change`,
    };
}
