import { expect } from "chai";
import { checkEtcdHealth, EtcdHealthInputError } from "../../provider/etcd/health";
import * as provider from "../../provider/etcd/provider";
import { createCertificateAuthority, issueCertificate } from "../../lib/pki";
import { startEtcdCluster, EtcdTestCluster, withMembersStopped } from "../support/etcd";
import { rejection } from "../support/rejection";

// A real 3-member etcd cluster with mutual TLS for clients and peers (lab/etcd-cluster.sh).
describe("etcd health (integration: 3 members, mutual TLS)", function () {
    this.timeout(60_000);
    let etcd: EtcdTestCluster;
    const TIMEOUT_MS = 1500;
    const opts = () => ({
        endpoints: etcd.endpoints,
        caCertificate: etcd.caCertificate,
        clientCertificate: etcd.clientCertificate,
        clientPrivateKey: etcd.clientPrivateKey,
        timeoutMs: TIMEOUT_MS,
    });

    before(async () => {
        etcd = await startEtcdCluster({ name: "health" });
        console.log(`      etcd ${etcd.etcdVersion}: 3-member mTLS cluster up in ${etcd.startMs} ms`);
    });
    after(async () => {
        await etcd?.down();
    });

    it("all healthy: ok, 3 of 3, a leader, version and DB size per endpoint", async () => {
        await checkEtcdHealth(opts()); // warm up (module load, first TLS handshakes)
        const t = Date.now();
        const r = await checkEtcdHealth(opts());
        const total = Date.now() - t;
        expect(r.level).to.equal("ok");
        expect(r.healthyCount).to.equal(3);
        expect(r.quorum).to.equal(2);
        expect(r.alarms).to.deep.equal([]);
        expect(etcd.endpoints).to.include(r.leaderEndpoint);
        expect(r.endpoints.filter((e) => e.leader)).to.have.length(1);
        for (const e of r.endpoints) {
            expect(e.healthy).to.equal(true);
            expect(e.version).to.match(/^3\.\d+\.\d+/);
            expect(e.dbSize).to.be.greaterThan(0);
            expect(e.memberId).to.match(/^[0-9a-f]+$/);
            expect(e.error).to.equal(undefined);
        }
        expect(r.message).to.match(/^etcd healthy: 3 of 3 endpoints, leader 127\.0\.0\.1:\d+, version 3\./);
        console.log(
            `      latency per endpoint: ${r.endpoints.map((e) => `${e.endpoint} ${e.latencyMs} ms`).join(", ")}; whole check ${total} ms`,
        );
    });

    it("one member stopped: warning naming it (connection refused), quorum holds", async () => {
        await withMembersStopped(etcd, [2], async () => {
            const r = await checkEtcdHealth(opts());
            expect(r.level).to.equal("warning");
            expect(r.healthyCount).to.equal(2);
            const dead = r.endpoints[2];
            expect(dead).to.include({ endpoint: etcd.endpoints[2], healthy: false, leader: false });
            expect(dead.error).to.match(/^connection refused \[ECONNREFUSED.*\]: the member is not running/);
            expect(r.message).to.include(`Unhealthy: ${etcd.endpoints[2]} (connection refused`);
            expect(r.message).to.include("One more failure loses quorum");
            expect(r.message).to.not.include(etcd.endpoints[0] + " (");
            console.log(`      dead endpoint reported in ${dead.latencyMs} ms`);
        });
    });

    it("two members stopped: quorum-lost error naming both, with the fix", async () => {
        await withMembersStopped(etcd, [1, 2], async () => {
            const t = Date.now();
            const r = await checkEtcdHealth(opts());
            const total = Date.now() - t;
            expect(r.level).to.equal("error");
            expect(r.healthyCount).to.equal(0); // the survivor has no leader: its linearizable read times out
            expect(r.message).to.match(/^etcd quorum lost: 0 of 3 endpoints healthy, 2 needed\./);
            expect(r.message).to.include(`${etcd.endpoints[1]} (connection refused`);
            expect(r.message).to.include(`${etcd.endpoints[2]} (connection refused`);
            expect(r.message).to.match(
                new RegExp(
                    `${etcd.endpoints[0].replace(/\./g, "\\.")} \\((no answer within ${TIMEOUT_MS} ms|no raft leader)`,
                ),
            );
            expect(r.message).to.include("Fix: start the stopped members");
            expect(r.leaderEndpoint).to.equal(undefined);
            // Per-endpoint deadlines bound the check (no retries against other members).
            expect(total).to.be.lessThan(TIMEOUT_MS + 2000);

            // The provider's check (run at preview) turns it into a failure on "endpoints".
            const res = await provider.check({}, opts());
            expect(res.failures).to.have.length(1);
            expect(res.failures![0].property).to.equal("endpoints");
            expect(res.failures![0].reason).to.match(/^etcd quorum lost/);
        });
        // Started again, members 1 and 2 with member 0 are a quorum again.
        expect((await checkEtcdHealth(opts())).level).to.equal("ok");
    });

    it("NOSPACE alarm: error naming the alarm, the member and the fix", async () => {
        const memberId = await etcd.raiseNoSpaceAlarm(2);
        try {
            const r = await checkEtcdHealth(opts());
            expect(r.level).to.equal("error");
            expect(r.alarms).to.deep.equal([{ alarm: "NOSPACE", memberId, endpoint: etcd.endpoints[2] }]);
            expect(r.message).to.match(
                new RegExp(
                    `^etcd alarm NOSPACE raised on member ${memberId} \\(${etcd.endpoints[2].replace(/\./g, "\\.")}\\): `,
                ),
            );
            expect(r.message).to.include("etcdctl alarm disarm");
            const res = await provider.check({}, { ...opts(), failOn: "error" });
            expect(res.failures!.map((f) => f.property)).to.deep.equal(["endpoints"]);
            expect(res.failures![0].reason).to.include("NOSPACE");
            // failOn "never" only reports.
            expect((await provider.check({}, { ...opts(), failOn: "never" })).failures).to.deep.equal([]);
        } finally {
            await etcd.clearAlarms();
        }
        expect(await etcd.listAlarms()).to.deep.equal([]);
    });

    describe("wrong client certificate (signed by another CA)", () => {
        let other: { certPem: string; keyPem: string };
        let otherCa: { certPem: string; keyPem: string };
        before(async () => {
            otherCa = await createCertificateAuthority("not-the-datastore-ca", 1);
            other = await issueCertificate(otherCa, {
                commonName: "root",
                organizations: ["system:masters"],
                usages: ["client"],
                validity: 1,
            });
        });

        it("caught locally, before any connection, naming clientCertificate", async () => {
            const err = await rejection<EtcdHealthInputError>(
                checkEtcdHealth({ ...opts(), clientCertificate: other.certPem, clientPrivateKey: other.keyPem }),
            );
            expect(err).to.be.instanceOf(EtcdHealthInputError);
            const failures = err.failures;
            expect(failures.map((f) => f.property)).to.deep.equal(["clientCertificate"]);
            expect(failures[0].reason).to.match(
                /^clientCertificate: "root" \(issuer "CN=not-the-datastore-ca"\) is not signed by caCertificate/,
            );
            expect(err.message).to.not.include("PRIVATE KEY");
        });

        it("rejected by etcd when the local bundle trusts both CAs: a clear TLS error on every endpoint", async () => {
            const r = await checkEtcdHealth({
                ...opts(),
                caCertificate: etcd.caCertificate + otherCa.certPem,
                clientCertificate: other.certPem,
                clientPrivateKey: other.keyPem,
            });
            expect(r.level).to.equal("error");
            expect(r.healthyCount).to.equal(0);
            for (const e of r.endpoints) {
                expect(e.error).to.match(
                    /^TLS: the member rejected the client certificate \[alert (unknown ca|bad certificate)\]: clientCertificate is not signed by a CA in the member's --trusted-ca-file/,
                );
            }
        });

        it("server certificate not signed by caCertificate: a clear TLS error", async () => {
            const ownClient = await issueCertificate(otherCa, { commonName: "root", usages: ["client"], validity: 1 });
            const r = await checkEtcdHealth({
                ...opts(),
                caCertificate: otherCa.certPem,
                clientCertificate: ownClient.certPem,
                clientPrivateKey: ownClient.keyPem,
            });
            expect(r.level).to.equal("error");
            for (const e of r.endpoints)
                expect(e.error).to.match(/^TLS: the member's server certificate is not signed by caCertificate \[/);
        });
    });

    it("provider: check passes and create stores the report without the client key", async () => {
        const inputs = { ...opts(), failOn: "error" };
        const checked = await provider.check({}, inputs);
        expect(checked.failures).to.deep.equal([]);
        const created = await provider.create(inputs);
        expect(created.id).to.match(/^etcdhealth-[0-9a-f]{12}$/);
        const outs = created.outs;
        expect(outs.level).to.equal("ok");
        expect(outs.healthyCount).to.equal(3);
        expect(outs.statuses).to.have.length(3);
        expect(outs.clientCommonName).to.equal("root");
        expect(JSON.stringify(outs)).to.not.include("PRIVATE KEY");
        expect(outs).to.not.have.property("clientPrivateKey");
        const d = await provider.diff(created.id, outs, inputs);
        expect(d.changes).to.equal(false);
        const d2 = await provider.diff(created.id, outs, { ...inputs, endpoints: etcd.endpoints.slice(0, 2) });
        expect(d2.changes).to.equal(true);
    });
});
