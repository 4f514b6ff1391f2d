/** Tenants: the TenantControlPlane, with the component folded in. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { at, compareVersion, count, name, plural, version } from "../values";
import { SubjectContext } from "./context";

export function describeTenants(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const { base, inp, because, objectName, tenantOfComponent } = ctx;
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
    return entries;
}
