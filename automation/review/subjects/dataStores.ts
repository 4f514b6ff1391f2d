/** DataStores: the Kamaji custom resource, with the component and its TLS Secrets folded in. */
import { Change, TYPES } from "../changes";
import { ReviewEntry } from "../types";
import { address, at, name } from "../values";
import { SubjectContext } from "./context";

export function describeDataStores(changes: Change[], ctx: SubjectContext): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const { base, inp, because, objectName } = ctx;
    const dsEntries = new Map<string, ReviewEntry>(); // by component name
    for (const c of changes.filter((c) => c.step.type === TYPES.dataStore)) {
        const component = c.step.parentName ?? c.step.name;
        const named = objectName(c);
        const dsName = named.name ?? name(component) ?? c.step.name;
        const endpoints = at(inp(c, "new"), "spec.endpoints");
        const eps = Array.isArray(endpoints) ? endpoints.map(address).filter((x): x is string => !!x) : [];
        const b = base(c);
        let e: ReviewEntry;
        switch (c.op) {
            case "create":
                e = {
                    subject: "datastore",
                    action: "create",
                    name: dsName,
                    dataStore: dsName,
                    risk: "low",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is created`,
                    impact:
                        eps.length > 0
                            ? `registers etcd at ${eps.join(", ")} with Kamaji`
                            : "registers an etcd with Kamaji",
                };
                break;
            case "update":
                e = {
                    subject: "datastore",
                    action: "update",
                    name: dsName,
                    dataStore: dsName,
                    risk: "medium",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is updated in place`,
                    impact: "Kamaji reconnects the tenant control planes stored there to the changed etcd settings",
                };
                break;
            case "delete":
                e = {
                    subject: "datastore",
                    action: "delete",
                    name: dsName,
                    dataStore: dsName,
                    risk: "high",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is deleted`,
                    impact: "Kamaji loses this etcd: tenants still stored there cannot run (Kamaji refuses the delete while a tenant uses it)",
                };
                break;
            default:
                e = {
                    subject: "datastore",
                    action: "replace",
                    name: dsName,
                    dataStore: dsName,
                    risk: "high",
                    disruptsNode: false,
                    ...b,
                    summary: `DataStore ${dsName} is replaced${named.renamedTo ? ` by ${named.renamedTo}` : ""}`,
                    impact: "",
                };
                e.impact = `the DataStore object is deleted and created again${because(e)}; tenants stored there lose their storage meanwhile`;
        }
        dsEntries.set(component, e);
        entries.push(e);
    }
    for (const c of changes.filter(
        (c) => c.step.type === TYPES.secret && c.step.parentTypes.at(-1) === TYPES.hcpDataStore,
    )) {
        const component = c.step.parentName ?? c.step.name;
        const e = dsEntries.get(component);
        if (e) {
            e.resources.push(c.step.name);
            continue;
        }
        const dsName = name(component) ?? component;
        const created = c.op === "create";
        const deleted = c.op === "delete";
        const ne: ReviewEntry = {
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
        dsEntries.set(component, ne);
        entries.push(ne);
    }
    return entries;
}
