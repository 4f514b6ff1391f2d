/**
 * What every subject's describer needs of a change: its inputs, what changed or forces the
 * replacement, its object's name, and (for hosts and nodes) the pool's tenant and the host address.
 */
import { Change, changedNames, TYPES } from "../changes";
import { ReviewContext, Risk } from "../types";
import { address, at, compareVersion, name, version } from "../values";

export interface SubjectContext {
    /** The fields every entry of `c` has: what changed, what forces the replacement, its resource. */
    base(c: Change): { changed: string[]; replacedBecause: string[]; resources: string[] };
    inp(c: Change, which: "old" | "new"): any;
    /** " (replaced because … changed)" for an entry replaced, "" otherwise. */
    because(e: { replacedBecause: string[] }): string;
    /** The custom resource's name; a replacement loses the old object, so it is named by the old name. */
    objectName(c: Change): { name: string | undefined; renamedTo: string | undefined };
    /** The tenant a worker pool serves, when the context says. */
    poolTenant(pool: string | undefined): string | undefined;
    /** The host address of a NodeJoin or PreparedHost change. */
    hostOf(c: Change): string;
    /** HostedControlPlane component name → tenant name, filled by the tenants' describer. */
    tenantOfComponent: Map<string, string>;
}

export function subjectContext(changes: Change[], context: ReviewContext): SubjectContext {
    const inp = (c: Change, which: "old" | "new") => (which === "old" ? c.step.old?.inputs : c.step.new?.inputs) ?? {};
    const because = (e: { replacedBecause: string[] }) =>
        e.replacedBecause.length > 0 ? ` (replaced because ${e.replacedBecause.join(", ")} changed)` : "";
    const objectName = (c: Change) => {
        const o = name(at(inp(c, "old"), "metadata.name"));
        const n = name(at(inp(c, "new"), "metadata.name"));
        return { name: c.op === "replace" ? (o ?? n) : (n ?? o), renamedTo: o && n && o !== n ? n : undefined };
    };
    const poolTenant = (pool: string | undefined) => (pool ? context.pools?.[pool] : undefined);
    const joinAddress = new Map<string, string>(); // slug name → address seen on the NodeJoin
    for (const c of changes.filter((c) => c.step.type === TYPES.nodeJoin || c.step.type === TYPES.preparedHost)) {
        const a = address(at(inp(c, "new"), "connection.address")) ?? address(at(inp(c, "old"), "connection.address"));
        if (a) joinAddress.set(c.step.name.replace(/-(join|prep)$/, ""), a);
    }
    const hostOf = (c: Change): string => {
        const fromCtx = context.hosts?.[c.step.name];
        if (fromCtx && address(fromCtx)) return fromCtx;
        const seen = joinAddress.get(c.step.name.replace(/-(join|prep)$/, ""));
        if (seen) return seen;
        const pool = c.step.parentName;
        let slug = c.step.name.replace(/-(join|prep)$/, "");
        if (slug.startsWith("host-")) slug = slug.slice("host-".length);
        else if (pool && slug.startsWith(pool + "-")) slug = slug.slice(pool.length + 1); // names before hostResourceName
        return slug;
    };
    return {
        base: (c: Change) => ({
            changed: c.op === "update" ? changedNames(c.step) : [],
            replacedBecause:
                c.op === "replace"
                    ? [...new Set(c.step.replaceReasons)].filter((k) => /^[A-Za-z0-9_.\-[\]"]{1,120}$/.test(k)).sort()
                    : [],
            resources: [c.step.name],
        }),
        inp,
        because,
        objectName,
        poolTenant,
        hostOf,
        tenantOfComponent: new Map(),
    };
}

/** `{ from, to }` with only the versions that are known, for spreading into an entry. */
export function versions(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
    return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** A move between two known, different versions; a downgrade is the riskier of the two. */
export interface VersionMove {
    /** The entry's action and risk, for spreading. */
    kind: { action: "upgrade" | "downgrade"; risk: Risk };
    /** The entry's from and to, for spreading. */
    versions: { from: string; to: string };
    down: boolean;
    /** "upgraded" or "downgraded", for the summary. */
    done: string;
}

export function versionMove(from: string | undefined, to: string | undefined): VersionMove | undefined {
    if (!from || !to || from === to) return undefined;
    const down = compareVersion(to, from) < 0;
    return {
        kind: down ? { action: "downgrade", risk: "high" } : { action: "upgrade", risk: "medium" },
        versions: { from, to },
        down,
        done: down ? "downgraded" : "upgraded",
    };
}

/** What an entry about one of a worker pool's hosts or nodes starts from. */
export interface MemberFacts {
    old: any;
    new: any;
    host: string;
    /** The Kubernetes version before and after, when known. */
    from: string | undefined;
    to: string | undefined;
    /** The pool and its tenant, when known, for spreading into an entry. */
    where: { pool?: string; tenant?: string };
    /** "tenant t", "worker pool p" or "its tenant": what the member belongs to, in words. */
    of: string;
}

export function memberFacts(c: Change, ctx: SubjectContext): MemberFacts {
    const o = ctx.inp(c, "old");
    const n = ctx.inp(c, "new");
    const pool = c.step.parentName;
    const tenant = ctx.poolTenant(pool);
    return {
        old: o,
        new: n,
        host: ctx.hostOf(c),
        from: version(at(o, "kubernetesVersion")),
        to: version(at(n, "kubernetesVersion")),
        where: { ...(pool ? { pool } : {}), ...(tenant ? { tenant } : {}) },
        of: tenant ? `tenant ${tenant}` : pool ? `worker pool ${pool}` : "its tenant",
    };
}
