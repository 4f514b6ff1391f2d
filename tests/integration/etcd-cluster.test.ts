import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { checkEtcdHealth } from "../../provider/etcd/health";
import { issueCertificate } from "../../lib/pki";
import { startEtcdCluster, EtcdTestCluster } from "../support/etcd";
import { rejection } from "../support/rejection";

/** The process runs and is not a zombie (killed members are reaped late by this container's PID 1). */
function alive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

// lab/etcd-cluster.sh with --auth, the way kamaji-etcd runs its DataStore.
describe("lab/etcd-cluster.sh (integration: 3 members, mTLS, auth enabled)", function () {
    this.timeout(60_000);
    let etcd: EtcdTestCluster;
    let dir: string;
    const pids = () => [0, 1, 2].map((i) => Number(fs.readFileSync(path.join(dir, `m${i}.pid`), "utf8")));

    before(async () => {
        etcd = await startEtcdCluster({ name: "authlab", auth: true });
        dir = path.join(etcd.labDir, "etcd", "authlab");
    });
    after(async () => {
        await etcd?.down();
    });

    it("up is idempotent: same processes, same certificates", async () => {
        const before = pids();
        const cert = etcd.clientCertificate;
        const { stderr } = await etcd.script("up", "authlab", "--auth");
        expect(stderr).to.match(/etcd cluster authlab up \(3 members, etcd .*, auth on\)/);
        expect(pids()).to.deep.equal(before);
        expect(fs.readFileSync(path.join(dir, "pki", "root.crt"), "utf8")).to.equal(cert);
    });

    it("up refuses to change the member count of an existing cluster", async () => {
        const err = await rejection<any>(etcd.script("up", "authlab", "--members", "5"));
        expect(err?.stderr).to.include("cluster authlab exists with 3 members; run");
    });

    it("root client certificate (CN=root) is healthy with auth on; a certificate for an unknown user is denied", async () => {
        const r = await checkEtcdHealth({
            endpoints: etcd.endpoints,
            caCertificate: etcd.caCertificate,
            clientCertificate: etcd.clientCertificate,
            clientPrivateKey: etcd.clientPrivateKey,
        });
        expect(r.level).to.equal("ok");
        const nobody = await issueCertificate(
            { certPem: etcd.caCertificate, keyPem: etcd.caPrivateKey },
            { commonName: "nobody", usages: ["client"], validity: 1 },
        );
        const { Etcd3 } = await import("etcd3");
        const c = new Etcd3({
            hosts: etcd.urls[0],
            credentials: {
                rootCertificate: Buffer.from(etcd.caCertificate),
                certChain: Buffer.from(nobody.certPem),
                privateKey: Buffer.from(nobody.keyPem),
            },
        });
        try {
            const err = await rejection(c.put("x").value("y").exec());
            expect(String(err?.message)).to.match(/permission denied/);
        } finally {
            c.close();
        }
        // etcdctl's rule: a permission-denied read was still committed through raft, so the endpoint is healthy.
        const r2 = await checkEtcdHealth({
            endpoints: etcd.endpoints,
            caCertificate: etcd.caCertificate,
            clientCertificate: nobody.certPem,
            clientPrivateKey: nobody.keyPem,
        });
        expect(r2.healthyCount).to.equal(3);
    });

    it("status: exit 0 when healthy, 3 naming a stopped member", async () => {
        const ok = await etcd.script("status", "authlab");
        expect(ok.stdout).to.match(/m0 https:\/\/127\.0\.0\.1:\d+ pid=\d+ healthy/);
        await etcd.stopMember(1);
        const err = await rejection<any>(etcd.script("status", "authlab"));
        expect(err?.code).to.equal(3);
        expect(err?.stdout).to.match(/m1 https:\/\/127\.0\.0\.1:\d+ pid=- stopped/);
        await etcd.stopMember(1); // idempotent
        await etcd.startMember(1);
        await etcd.startMember(1); // idempotent
        await etcd.script("status", "authlab");
    });

    it("rejects a base port in the ephemeral range, naming the range", async () => {
        const err = await rejection<any>(etcd.script("up", "other", "--base-port", "40000"));
        expect(err?.stderr).to.match(/--base-port: 40000\.\.40005 overlaps the ephemeral port range \d+\.\.\d+/);
        expect(fs.existsSync(path.join(etcd.labDir, "etcd", "other"))).to.equal(false);
    });

    it("down stops every member and removes the state; a second down is a no-op", async () => {
        const running = pids();
        expect(running.every(alive)).to.equal(true);
        await etcd.script("down", "authlab");
        expect(running.some(alive)).to.equal(false);
        expect(fs.existsSync(dir)).to.equal(false);
        await etcd.script("down", "authlab");
    });
});
