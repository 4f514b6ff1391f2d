// A tenant moving to another DataStore is a data migration: a high-risk entry naming both stores,
// behind the gate datastore-migration (automation/review/subjects/tenants.ts, gates.ts).
import { expect } from "chai";
import { buildReview, TYPES } from "../../automation/review";
import { parseArgs } from "../../automation/review/cli";
import type { Plan } from "../../automation/review/steps";

const tcp = (dataStore: string) => ({
    metadata: { name: "team-a", namespace: "default" },
    spec: { dataStore, kubernetes: { version: "v1.30.2" } },
});

const plan = (from: string, to: string): Plan => ({
    errors: 0,
    steps: [
        {
            op: "update",
            urn: `urn:pulumi:dev::hcp::hcp:index:HostedControlPlane$${TYPES.tenantControlPlane}::team-a-tcp`,
            type: TYPES.tenantControlPlane,
            name: "team-a-tcp",
            parentTypes: ["hcp:index:HostedControlPlane"],
            parentName: "team-a",
            old: { type: TYPES.tenantControlPlane, inputs: tcp(from), outputs: {} },
            new: { type: TYPES.tenantControlPlane, inputs: tcp(to), outputs: {} },
            diffs: ["spec"],
            replaceReasons: [],
            detailedDiffKeys: ["spec.dataStore"],
        },
    ],
});

describe("review: a tenant's DataStore switch", () => {
    it("is a high-risk migrate entry naming both DataStores, and the gate stops it", () => {
        const r = buildReview(plan("etcd-a", "etcd-b"));
        expect(r.entries.map((e) => [e.subject, e.action, e.name, e.from, e.to, e.risk])).to.deep.equal([
            ["tenant", "migrate", "team-a", "etcd-a", "etcd-b", "high"],
        ]);
        expect(r.entries[0].summary).to.equal("tenant team-a moves from DataStore etcd-a to DataStore etcd-b");
        const gate = r.gates.find((g) => g.gate === "datastore-migration")!;
        expect(gate).to.deep.equal({
            gate: "datastore-migration",
            passed: false,
            reason: "tenant data is migrated (team-a: etcd-a → etcd-b); allow with --allow-datastore-migration",
        });
        expect(buildReview(plan("etcd-a", "etcd-b"), parseArgs(["--allow-datastore-migration"]).gates).passed).to.equal(
            true,
        );
    });

    it("an update on the same DataStore stays a low-risk update", () => {
        const r = buildReview(plan("etcd-a", "etcd-a"));
        expect(r.entries.map((e) => [e.action, e.risk])).to.deep.equal([["update", "low"]]);
        expect(r.gates.find((g) => g.gate === "datastore-migration")!.passed).to.equal(true);
    });
});
