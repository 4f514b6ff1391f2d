/**
 * Certificates near their end, from the `certificateExpiry` outputs of DataStores and hosted control
 * planes. Read from every step that carries them, unchanged ones too: a certificate expires whether
 * or not the stack changes (the CLI needs `pulumi preview --json --show-sames` to see those).
 */
import { daysLeft, expiresWithin } from "../../../model/rules/certificateLifetime";
import { TYPES } from "../changes";
import { Plan, PlanStep } from "../steps";
import { ReviewEntry } from "../types";
import { name, safe } from "../values";

/** Which certificate a key of `certificateExpiry` is, and what its end does. */
const KNOWN: Record<string, Record<string, { what: string; impact: string }>> = {
    [TYPES.hcpDataStore]: {
        "tls.caCertificate": {
            what: "the etcd CA",
            impact: "once it expires, etcd and Kamaji stop trusting each other: every tenant on this DataStore loses its state store",
        },
        "tls.clientCertificate": {
            what: "the etcd client certificate Kamaji uses as root",
            impact: "once it expires, Kamaji can no longer set up or migrate tenants on this DataStore",
        },
    },
    [TYPES.hcpControlPlane]: {
        caCertificate: {
            what: "the tenant CA",
            impact: "once it expires, every certificate of the tenant fails: nodes and clients stop trusting its API",
        },
    },
};

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function expiryOf(s: PlanStep): Record<string, unknown> | undefined {
    const pick = (o: Record<string, unknown> | undefined) => {
        const v = o?.certificateExpiry;
        return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    };
    return pick(s.new?.outputs) ?? pick(s.old?.outputs);
}

/** An entry per known certificate inside the window (or past its end), of a resource not being deleted. */
export function describeCertificates(plan: Plan, windowDays: number, now: Date): ReviewEntry[] {
    const entries: ReviewEntry[] = [];
    const seen = new Set<string>();
    for (const s of plan.steps) {
        const known = KNOWN[s.type];
        if (!known || s.op === "delete" || s.op === "delete-replaced" || seen.has(s.urn)) continue;
        const expiry = expiryOf(s);
        if (!expiry) continue;
        seen.add(s.urn);
        const owner = name(s.name) ?? s.name;
        for (const [key, cert] of Object.entries(known)) {
            const iso = safe(expiry[key], INSTANT);
            if (!iso || !expiresWithin(new Date(iso), now, windowDays)) continue;
            const left = daysLeft(new Date(iso), now);
            const tenant = s.type === TYPES.hcpControlPlane ? (name(s.new?.inputs?.tenantName) ?? owner) : undefined;
            entries.push({
                subject: "certificate",
                action: left < 0 ? "expired" : "expires",
                name: `${tenant ?? owner} ${key}`,
                ...(tenant ? { tenant } : { dataStore: owner }),
                to: iso,
                risk: "high",
                summary: `${cert.what} of ${tenant ? `tenant ${tenant}` : `DataStore ${owner}`} ${left < 0 ? `expired ${-left} day(s) ago` : `expires in ${left} day(s)`} (${iso}, inside the ${windowDays}-day window)`,
                impact: cert.impact,
                disruptsNode: false,
                changed: [],
                replacedBecause: [],
                resources: [s.name],
            });
        }
    }
    return entries;
}
