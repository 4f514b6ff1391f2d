/** DataStores: the Kamaji custom resource, with the component and its TLS Secrets folded in. */
import { Change, TYPES } from "../changes";
import { ReviewEntry, Risk } from "../types";
import { address, at, name } from "../values";
import { SubjectContext } from "./context";

export function describeDataStores(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const byComponent = new Map<string, ReviewEntry>();
    for (const c of changes.filter((c) => c.step.type === TYPES.dataStore)) {
        const e = dataStoreEntry(c, ctx);
        byComponent.set(c.step.parentName ?? c.step.name, e);
        entries.push(e);
    }
    // Its TLS Secrets belong to the DataStore's entry, or make one when only they change.
    for (const c of changes.filter(
        (c) => c.step.type === TYPES.secret && c.step.parentTypes.at(-1) === TYPES.hcpDataStore,
    )) {
        const component = c.step.parentName ?? c.step.name;
        const e = byComponent.get(component);
        if (e) {
            e.resources.push(c.step.name);
            continue;
        }
        const ne = tlsSecretEntry(c, name(component) ?? component);
        byComponent.set(component, ne);
        entries.push(ne);
    }
    return entries;
}

function dataStoreEntry(c: Change, ctx: SubjectContext): ReviewEntry {
    const named = ctx.objectName(c);
    const dsName = named.name ?? name(c.step.parentName ?? c.step.name) ?? c.step.name;
    const endpoints = at(ctx.inp(c, "new"), "spec.endpoints");
    const eps = Array.isArray(endpoints) ? endpoints.map(address).filter((x): x is string => !!x) : [];
    const b = ctx.base(c);
    const entry = (action: string, risk: Risk, summary: string, impact: string): ReviewEntry => ({
        subject: "datastore",
        action,
        name: dsName,
        dataStore: dsName,
        risk,
        disruptsNode: false,
        ...b,
        summary,
        impact,
    });
    switch (c.op) {
        case "create":
            return entry(
                "create",
                "low",
                `DataStore ${dsName} is created`,
                eps.length > 0 ? `registers etcd at ${eps.join(", ")} with Kamaji` : "registers an etcd with Kamaji",
            );
        case "update":
            return entry(
                "update",
                "medium",
                `DataStore ${dsName} is updated in place`,
                "Kamaji reconnects the tenant control planes stored there to the changed etcd settings",
            );
        case "delete":
            return entry(
                "delete",
                "high",
                `DataStore ${dsName} is deleted`,
                "Kamaji loses this etcd: tenants still stored there cannot run (Kamaji refuses the delete while a tenant uses it)",
            );
        default:
            return entry(
                "replace",
                "high",
                `DataStore ${dsName} is replaced${named.renamedTo ? ` by ${named.renamedTo}` : ""}`,
                `the DataStore object is deleted and created again${ctx.because(b)}; tenants stored there lose their storage meanwhile`,
            );
    }
}

function tlsSecretEntry(c: Change, dsName: string): ReviewEntry {
    const created = c.op === "create";
    const deleted = c.op === "delete";
    return {
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
}
