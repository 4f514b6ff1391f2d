/** The shape of a review: its entries, impact summaries, gates, and the context a preview lacks. */
import { GateResult } from "./gates";

export type Risk = "low" | "medium" | "high";
export type Subject =
    | "datastore"
    | "tenant"
    | "node"
    | "host"
    | "certificate"
    | "management-cluster"
    | "etcd-health"
    | "bootstrap-token"
    | "other";

export interface ReviewEntry {
    subject: Subject;
    /** create | upgrade | downgrade | update | delete | replace | prepare | re-prepare | clean | release | join | remove | rejoin | check | … */
    action: string;
    /** The tenant name, DataStore name, host address or node name the entry is about. */
    name: string;
    tenant?: string;
    pool?: string;
    host?: string;
    node?: string;
    dataStore?: string;
    from?: string;
    to?: string;
    risk: Risk;
    /** One sentence: what changes. */
    summary: string;
    /** One sentence: what it does to the running system. */
    impact: string;
    /** The node stops serving workloads for a while (drained, reset, removed). */
    disruptsNode: boolean;
    /** Properties that change (names only). */
    changed: string[];
    /** Properties that force a replacement (names only). */
    replacedBecause: string[];
    /** The Pulumi resources behind the entry (logical names). */
    resources: string[];
}

export interface ImpactSummary {
    /** The tenant (or, when unknown, "worker pool <name>"). */
    scope: string;
    nodesDisrupted: number;
    text: string;
}

export interface Review {
    /** Bumped when the JSON shape changes. */
    schemaVersion: 1;
    title?: string;
    risk: Risk | "none";
    counts: { entries: number; high: number; medium: number; low: number; nodesDisrupted: number };
    impacts: ImpactSummary[];
    entries: ReviewEntry[];
    gates: GateResult[];
    passed: boolean;
}

/** What the review cannot learn from a preview alone: which pool serves which tenant, host addresses. */
export interface ReviewContext {
    /** worker pool component name → tenant name. */
    pools?: Record<string, string>;
    /** resource name (`host-<slug>-prep` / `-join`, see the WorkerPool's hostResourceName) → host address. */
    hosts?: Record<string, string>;
    title?: string;
    /** The instant certificate lifetimes are measured from; defaults to now (tests fix it). */
    now?: Date;
}
