// EtcdHealth as users meet it: in `pulumi preview` through the real engine, against a real 3-member
// etcd with mutual TLS. A minority down is a warning naming the member; quorum lost fails the
// preview and `up` creates nothing that depends on the DataStore; a NOSPACE alarm does the same.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { EtcdHealth } from "../../provider/etcd/resource";
import { destroyAndDispose, newInlineStack, TestStack } from "../support/engine";
import { EtcdTestCluster, startEtcdCluster, withMembersStopped } from "../support/etcd";
import { Record } from "../support/fixtures/record";

/** The engine's warnings and errors of one operation, and its outcome. */
async function diagnosed(
    op: (opts: { onEvent: (e: automation.EngineEvent) => void }) => Promise<unknown>,
): Promise<{ warnings: string[]; errors: string[]; failure?: string }> {
    const warnings: string[] = [];
    const errors: string[] = [];
    const onEvent = (e: automation.EngineEvent) => {
        const d = e.diagnosticEvent;
        if (d?.severity === "warning") warnings.push(d.message);
        if (d?.severity === "error") errors.push(d.message);
    };
    try {
        await op({ onEvent });
        return { warnings, errors };
    } catch (e) {
        return { warnings, errors, failure: (e as Error).message };
    }
}

describe("EtcdHealth in preview, through the engine, on a real etcd with mTLS", function () {
    this.timeout(10 * 60 * 1000);
    let etcd: EtcdTestCluster;
    let ts: TestStack;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-etcd-engine-"));
    // Stands for everything a DataStore builds on the etcd once its health check passed.
    const dependent = path.join(dir, "datastore-user.json");

    const program = async () => {
        const health = new EtcdHealth("datastore-health", {
            endpoints: etcd.endpoints,
            caCertificate: etcd.caCertificate,
            clientCertificate: etcd.clientCertificate,
            clientPrivateKey: etcd.clientPrivateKey,
            timeoutMs: 1500,
        });
        new Record("datastore-user", { dir, name: "datastore-user", value: "x" }, { dependsOn: [health] });
    };

    before(async () => {
        etcd = await startEtcdCluster({ name: "engine-health" });
        ts = await newInlineStack("hcp-etcd-health", program);
    });
    after(async () => {
        await destroyAndDispose(ts);
        if (etcd) await etcd.down();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("all members healthy: preview plans both creates with no warning", async () => {
        const r = await diagnosed((o) => ts.stack.preview(o));
        expect(r.failure).to.equal(undefined);
        expect(r.warnings.filter((w) => /etcd|member|endpoint/i.test(w))).to.deep.equal([]);
    });

    it("one member down: preview warns, naming it, and still plans the creates", async () => {
        await withMembersStopped(etcd, [2], async () => {
            const r = await diagnosed((o) => ts.stack.preview(o));
            expect(r.failure).to.equal(undefined);
            const warning = r.warnings.find((w) => w.includes(etcd.endpoints[2]));
            expect(warning, `a warning naming ${etcd.endpoints[2]} in ${JSON.stringify(r.warnings)}`).to.be.a("string");
            expect(warning).to.match(/degraded: 2 of 3 endpoints healthy/);
        });
    });

    it("quorum lost: preview fails with the reason and the fix; up creates nothing", async () => {
        await withMembersStopped(etcd, [1, 2], async () => {
            const p = await diagnosed((o) => ts.stack.preview(o));
            expect(p.failure, "preview fails").to.be.a("string");
            const text = p.errors.join("\n");
            expect(text).to.match(/quorum/i);
            expect(text).to.include("endpoints");
            const u = await diagnosed((o) => ts.stack.up(o));
            expect(u.failure, "up fails").to.be.a("string");
            expect(fs.existsSync(dependent), "nothing that depends on the DataStore was created").to.equal(false);
            expect(await ts.stack.exportStack().then((s) => s.deployment.resources ?? [])).to.satisfy((rs: any[]) =>
                rs.every((r) => !String(r.urn).endsWith("datastore-health")),
            );
        });
    });

    it("NOSPACE alarm raised: preview fails naming the alarm; after it is cleared, up succeeds", async () => {
        const member = await etcd.raiseNoSpaceAlarm(0);
        try {
            const p = await diagnosed((o) => ts.stack.preview(o));
            expect(p.failure, "preview fails").to.be.a("string");
            expect(p.errors.join("\n")).to.include("NOSPACE").and.to.include(member);
        } finally {
            await etcd.clearAlarms();
        }
        const u = await diagnosed((o) => ts.stack.up(o));
        expect(u.failure).to.equal(undefined);
        expect(fs.existsSync(dependent)).to.equal(true);
    });
});
