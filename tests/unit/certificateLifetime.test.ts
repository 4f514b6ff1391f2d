// Certificate lifetimes: the rules (model/rules/certificateLifetime.ts) and the review's entries and
// gate for certificates near their end (automation/review/subjects/certificates.ts).
import { expect } from "chai";
import { buildReview, renderMarkdown, TYPES } from "../../automation/review";
import type { Plan, PlanStep } from "../../automation/review/steps";
import {
    daysLeft,
    expiresWithin,
    expiryWarning,
    rotateBeforeProblem,
    rotationDue,
    warningDaysProblem,
} from "../../model/rules/certificateLifetime";

const NOW = new Date("2027-03-01T12:00:00Z");
const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000);

describe("certificate lifetimes", () => {
    it("counts whole days left and tells inside from outside the window", () => {
        expect(daysLeft(inDays(10.5), NOW)).to.equal(10);
        expect(daysLeft(inDays(-2), NOW)).to.equal(-2);
        expect(expiresWithin(inDays(30), NOW, 30)).to.equal(true);
        expect(expiresWithin(inDays(30.01), NOW, 30)).to.equal(false);
        expect(expiresWithin(inDays(-1), NOW, 30)).to.equal(true);
    });

    it("warns naming the property, the date, the window and the fix", () => {
        expect(expiryWarning("tls.caCertificate", inDays(12), NOW, 30, "renew it")).to.equal(
            "tls.caCertificate: the certificate expires in 12 day(s) (notAfter 2027-03-13T12:00:00.000Z, inside the 30-day warning window): renew it",
        );
        expect(expiryWarning("x", inDays(-3), NOW, 30, "fix")).to.match(/^x: the certificate expired 3 day\(s\) ago/);
        expect(expiryWarning("x", inDays(31), NOW, 30, "fix")).to.equal(undefined);
    });

    it("accepts warning windows of 1 to 3650 whole days", () => {
        for (const ok of [undefined, 1, 30, 3650]) expect(warningDaysProblem(ok)).to.equal(undefined);
        for (const bad of [0, 3651, 1.5, "30", -1])
            expect(warningDaysProblem(bad)?.propertyPath).to.equal("expiryWarningDays");
    });

    it("accepts rotateBefore as an RFC 3339 instant only", () => {
        for (const ok of [undefined, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00.5+02:00"])
            expect(rotateBeforeProblem(ok)).to.equal(undefined);
        for (const bad of ["2027-01-01", "now", 1767225600, "2027-13-01T00:00:00Z"])
            expect(rotateBeforeProblem(bad)?.reason).to.match(/must be an RFC 3339 instant/);
    });

    it("renews a certificate issued before rotateBefore, not one issued at it or after", () => {
        const t = "2027-03-01T12:00:00Z";
        expect(rotationDue(new Date("2027-03-01T11:00:00Z"), t)).to.equal(true);
        // X.509 keeps whole seconds: one minted at the instant may read a second early.
        expect(rotationDue(new Date("2027-03-01T11:59:59Z"), t)).to.equal(false);
        expect(rotationDue(new Date("2027-03-02T00:00:00Z"), t)).to.equal(false);
        expect(rotationDue(new Date("2020-01-01T00:00:00Z"), undefined)).to.equal(false);
    });
});

describe("review: certificates near their end", () => {
    const step = (
        type: string,
        name: string,
        op: string,
        expiry: unknown,
        inputs: Record<string, unknown> = {},
    ): PlanStep => ({
        op,
        urn: `urn:pulumi:dev::hcp::${type}::${name}`,
        type,
        name,
        parentTypes: [],
        old: { type, inputs, outputs: { certificateExpiry: expiry } },
        new: { type, inputs },
        diffs: [],
        replaceReasons: [],
        detailedDiffKeys: [],
    });
    const plan = (...steps: PlanStep[]): Plan => ({ steps, errors: 0 });
    const iso = (d: number) => inDays(d).toISOString();

    it("lists an unchanged DataStore's client certificate inside the window and fails the gate", () => {
        const p = plan(
            step(TYPES.hcpDataStore, "lab-etcd", "same", {
                "tls.caCertificate": iso(400),
                "tls.clientCertificate": iso(9),
            }),
        );
        const r = buildReview(p, {}, { now: NOW });
        expect(r.entries.map((e) => [e.subject, e.action, e.name, e.risk])).to.deep.equal([
            ["certificate", "expires", "lab-etcd tls.clientCertificate", "high"],
        ]);
        expect(r.entries[0].summary).to.include("expires in 9 day(s)");
        const gate = r.gates.find((g) => g.gate === "certificate-expiry")!;
        expect(gate.passed).to.equal(false);
        expect(gate.reason).to.include("--allow-expiring-certificates");
        expect(r.passed).to.equal(false);
        expect(renderMarkdown(r)).to.include("Certificate");
        const allowed = buildReview(p, { allowExpiringCertificates: true }, { now: NOW });
        expect(allowed.gates.find((g) => g.gate === "certificate-expiry")!.passed).to.equal(true);
    });

    it("names the tenant of an expired tenant CA; the window comes from the gates' config", () => {
        const cp = step(TYPES.hcpControlPlane, "team-a", "same", { caCertificate: iso(-1) }, { tenantName: "team-a" });
        const r = buildReview(plan(cp), {}, { now: NOW });
        expect(r.entries.map((e) => [e.action, e.tenant])).to.deep.equal([["expired", "team-a"]]);
        const far = step(TYPES.hcpControlPlane, "team-b", "same", { caCertificate: iso(50) }, { tenantName: "team-b" });
        expect(buildReview(plan(far), {}, { now: NOW }).entries).to.deep.equal([]);
        expect(buildReview(plan(far), { certificateWarningDays: 60 }, { now: NOW }).entries).to.have.length(1);
    });

    it("ignores deleted components, unknown keys and values that are not instants", () => {
        const r = buildReview(
            plan(
                step(TYPES.hcpDataStore, "gone", "delete", { "tls.caCertificate": iso(1) }),
                step(TYPES.hcpDataStore, "odd", "same", {
                    "tls.caCertificate": "-----BEGIN CERTIFICATE-----",
                    other: iso(1),
                }),
            ),
            {},
            { now: NOW },
        );
        expect(r.entries).to.deep.equal([]);
        expect(r.gates.find((g) => g.gate === "certificate-expiry")!.passed).to.equal(true);
    });
});
