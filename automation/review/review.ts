/**
 * A preview turned into a change review that speaks the domain: tenants, DataStores, hosts and
 * nodes, each entry with its impact and a risk level, plus gates.
 *
 * No secret may reach a review. Values are never copied wholesale: only allowlisted fields are read
 * (versions, names, addresses, counts, the reuse policy), and each must also match the pattern of
 * its kind (a version looks like a version, a name like a DNS name, …); anything else, "[secret]"
 * and unknown values included, is left out. Property *names* (what changed) are shown, never values.
 */
import { hostIdentity } from "../../model/hosts";
import { DEFAULT_EXPIRY_WARNING_DAYS } from "../../model/rules/certificateLifetime";
import { changesOf, splitMove } from "./changes";
import { evaluateGates, GateConfig } from "./gates";
import { impactSummaries } from "./impacts";
import { Plan } from "./steps";
import { describeCertificates } from "./subjects/certificates";
import { describeDataStores } from "./subjects/dataStores";
import { describeHosts } from "./subjects/hosts";
import { describeNodes } from "./subjects/nodes";
import { describeOthers } from "./subjects/others";
import { describeTenants } from "./subjects/tenants";
import { subjectContext } from "./subjects/context";
import { Review, ReviewContext, ReviewEntry, Risk, Subject } from "./types";

export * from "./types";
export { TYPES } from "./changes";
export { UNKNOWN_VALUE } from "./values";

/**
 * One describer per subject, in this order: tenants fill the context's tenant names that objects
 * inside a tenant are described with.
 */
const DESCRIBERS = [describeDataStores, describeTenants, describeNodes, describeHosts, describeOthers];

/** Builds the review of a plan. */
export function buildReview(plan: Plan, gates: GateConfig = {}, context: ReviewContext = {}): Review {
    const changes = changesOf(plan).flatMap(splitMove);
    const ctx = subjectContext(changes, context);
    const entries: ReviewEntry[] = [
        ...DESCRIBERS.flatMap((describe) => describe(changes, ctx)),
        ...describeCertificates(
            plan,
            gates.certificateWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
            context.now ?? new Date(),
        ),
    ];

    const order: Subject[] = [
        "datastore",
        "tenant",
        "node",
        "host",
        "certificate",
        "management-cluster",
        "etcd-health",
        "bootstrap-token",
        "other",
    ];
    const riskRank: Record<Risk, number> = { high: 0, medium: 1, low: 2 };
    entries.sort(
        (a, b) =>
            riskRank[a.risk] - riskRank[b.risk] ||
            order.indexOf(a.subject) - order.indexOf(b.subject) ||
            (a.tenant ?? a.pool ?? "").localeCompare(b.tenant ?? b.pool ?? "") ||
            a.name.localeCompare(b.name, undefined, { numeric: true }) ||
            a.action.localeCompare(b.action) ||
            // Objects of several kinds may share a name (a CNI's ServiceAccount, ClusterRole and
            // DaemonSet): the summary, which names the kind, keeps the order the same on every path.
            a.summary.localeCompare(b.summary),
    );
    for (const e of entries) e.resources.sort();

    const impacts = impactSummaries(entries);
    const nodesDisrupted = entries.filter((e) => e.disruptsNode).length;
    const review: Review = {
        schemaVersion: 1,
        ...(context.title ? { title: context.title } : {}),
        risk: entries.some((e) => e.risk === "high")
            ? "high"
            : entries.some((e) => e.risk === "medium")
              ? "medium"
              : entries.length > 0
                ? "low"
                : "none",
        counts: {
            entries: entries.length,
            high: entries.filter((e) => e.risk === "high").length,
            medium: entries.filter((e) => e.risk === "medium").length,
            low: entries.filter((e) => e.risk === "low").length,
            nodesDisrupted,
        },
        impacts,
        entries,
        gates: [],
        passed: true,
    };
    review.gates = evaluateGates(review, plan, gates);
    review.passed = review.gates.every((g) => g.passed);
    return review;
}

/** Host identity helper re-exported for callers building contexts. */
export { hostIdentity };
