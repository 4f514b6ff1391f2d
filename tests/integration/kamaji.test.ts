// The Kamaji-contract controller (lab/kamaji) against the real management cluster, the Kamaji CRDs
// and a real mTLS etcd DataStore with auth: two TenantControlPlanes on one DataStore, each with its
// own prefix, user, role, processes and Secrets; a version change; a controller restart; deleting
// one tenant leaves the other's data untouched.
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { Etcd3 } from "etcd3";
import { KubeClient } from "../../provider/kube";
import {
    bootstrapTokenSecret,
    ControllerProcess,
    createDataStore,
    DataStoreEtcd,
    ensureDataStoreEtcd,
    ensureNamespace,
    etcdRoles,
    etcdRoot,
    etcdUsers,
    keysUnder,
    managementWithCrds,
    processAlive,
    requireTenantBinaries,
    startController,
    stopControllerTenants,
    stopDataStoreEtcd,
    tcpPath,
    tenantControlPlane,
    tmpStateDir,
    waitGone,
    waitTcp,
} from "../support/tenant";

const ETCD_NAME = "kamaji-test";
const ETCD_BASE_PORT = 23970;
const suffix = crypto.randomBytes(3).toString("hex");
const NS = `kamaji-test-${suffix}`;
const DS = `kamaji-test-${suffix}`;
const PORT = 26443 + (crypto.randomBytes(1)[0] % 50);

/** The tenant's kube-apiserver pid, from the controller's state directory. */
function apiserverPid(stateDir: string, name: string): number {
    const dir = fs.readdirSync(path.join(stateDir, "tenants")).find((d) => d.startsWith(`${NS}__${name}__`));
    if (!dir) return 0;
    const f = path.join(stateDir, "tenants", dir, "tenant", "kube-apiserver.pid");
    return fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8")) : 0;
}

const secretPath = (name: string) => `/api/v1/namespaces/${NS}/secrets/${name}`;
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

describe("lab/kamaji: the Kamaji-contract controller", function () {
    this.timeout(600_000);
    let mgmt: KubeClient;
    let ds: DataStoreEtcd;
    let root: Etcd3;
    let stateDir: string;
    let ctl: ControllerProcess;
    const tcp: Record<string, any> = {};
    let failed = false;

    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });

    before(async () => {
        requireTenantBinaries();
        mgmt = await managementWithCrds();
        ds = ensureDataStoreEtcd(ETCD_NAME, ETCD_BASE_PORT);
        root = etcdRoot(ds);
        await ensureNamespace(mgmt, NS);
        await createDataStore(mgmt, DS, ds, NS);
        stateDir = tmpStateDir("kamaji");
        ctl = startController(stateDir, [NS], [DS]);
    });

    after(async () => {
        // Delete what is left while the controller still runs (finalizers), then stop everything.
        try {
            for (const t of await mgmt.list(tcpPath(NS))) await mgmt.delete(tcpPath(NS, t.metadata.name));
            for (const t of await mgmt.list(tcpPath(NS)))
                await waitGone(mgmt, tcpPath(NS, t.metadata.name), "the TCP", 60_000);
            await mgmt.delete(`/apis/kamaji.clastix.io/v1alpha1/datastores/${DS}`);
            await waitGone(mgmt, `/apis/kamaji.clastix.io/v1alpha1/datastores/${DS}`, "the DataStore", 30_000);
        } catch (e) {
            process.stderr.write(`      cleanup: ${(e as Error).message}\n`);
        }
        await ctl?.stop();
        if (stateDir) {
            stopControllerTenants(stateDir);
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
        await mgmt?.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
        root?.close();
        if (ds) stopDataStoreEtcd(ETCD_NAME);
        if (failed || process.env.HCP_SHOW_CONTROLLER_LOG) process.stderr.write(ctl?.log() ?? "");
    });

    it("brings a TenantControlPlane to Ready with its endpoint, version and storage status", async () => {
        const t0 = Date.now();
        await mgmt.create(
            tcpPath(NS),
            tenantControlPlane(NS, "alpha", { dataStore: DS, version: "v1.34.4", port: PORT }),
        );
        tcp.alpha = await waitTcp(
            mgmt,
            NS,
            "alpha",
            (o) => o.status?.kubernetesResources?.version?.status === "Ready",
            "to be Ready",
        );
        process.stderr.write(`      TCP alpha: create → Ready in ${Date.now() - t0} ms\n`);
        const s = tcp.alpha.status;
        expect(s.kubernetesResources.version.version).to.equal("v1.34.4");
        expect(s.controlPlaneEndpoint).to.equal(`127.0.0.1:${PORT}`);
        expect(s.kubeconfig.admin.secretName).to.equal("alpha-admin-kubeconfig");
        expect(s.certificates.ca.secretName).to.equal("alpha-ca");
        expect(s.storage).to.include({ driver: "etcd", dataStoreName: DS });
        // Defaults as Kamaji's webhook sets them today: schema and user = the TCP UID.
        expect(tcp.alpha.spec.dataStoreSchema).to.equal(tcp.alpha.metadata.uid);
        expect(tcp.alpha.spec.dataStoreUsername).to.equal(tcp.alpha.metadata.uid);
        expect(s.storage.setup).to.include({ schema: tcp.alpha.metadata.uid, user: tcp.alpha.metadata.uid });
        expect(tcp.alpha.metadata.finalizers).to.include("finalizer.kamaji.clastix.io");
    });

    it("publishes <tcp>-admin-kubeconfig and <tcp>-ca with Kamaji's keys, owned by the TCP", async () => {
        const admin = await mgmt.get(secretPath("alpha-admin-kubeconfig"));
        expect(Object.keys(admin.data).sort()).to.deep.equal([
            "admin.conf",
            "admin.svc",
            "super-admin.conf",
            "super-admin.svc",
        ]);
        const ca = await mgmt.get(secretPath("alpha-ca"));
        expect(Object.keys(ca.data).sort()).to.deep.equal(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
        for (const s of [admin, ca])
            expect(s.metadata.ownerReferences[0]).to.include({
                kind: "TenantControlPlane",
                name: "alpha",
                uid: tcp.alpha.metadata.uid,
            });
        const dsCert = await mgmt.get(secretPath("alpha-datastore-certificate"));
        expect(Object.keys(dsCert.data).sort()).to.deep.equal(["ca.crt", "server.crt", "server.key"]);
        const c = new crypto.X509Certificate(unb64(dsCert.data["server.crt"]));
        expect(c.subject).to.include(`CN=${tcp.alpha.metadata.uid}`);
        expect(c.verify(new crypto.X509Certificate(ds.caPem).publicKey)).to.equal(true);
    });

    it("the admin kubeconfig works against the tenant API, and cluster-info is in kube-public", async () => {
        const admin = await mgmt.get(secretPath("alpha-admin-kubeconfig"));
        const t = KubeClient.fromKubeconfig(unb64(admin.data["admin.conf"]));
        expect(t.credentials.server).to.equal(`https://127.0.0.1:${PORT}`);
        expect(String(await t.request("GET", "/readyz"))).to.equal("ok");
        const nss = (await t.list("/api/v1/namespaces")).map((n: any) => n.metadata.name);
        expect(nss).to.include.members(["default", "kube-system", "kube-public"]);
        const ci = await t.get("/api/v1/namespaces/kube-public/configmaps/cluster-info");
        const kc = yaml.load(ci.data.kubeconfig) as any;
        expect(kc.clusters[0].cluster.server).to.equal(`https://127.0.0.1:${PORT}`);
        const caPem = unb64((await mgmt.get(secretPath("alpha-ca"))).data["ca.crt"]);
        expect(unb64(kc.clusters[0].cluster["certificate-authority-data"])).to.equal(caPem);
    });

    it("keeps the tenant's data under /<schema>/ with its own etcd user and role", async () => {
        const schema = tcp.alpha.spec.dataStoreSchema;
        const keys = await keysUnder(root, `/${schema}/`);
        expect([...keys.keys()]).to.include(`/${schema}/namespaces/kube-system`);
        expect(await etcdUsers(root)).to.include(tcp.alpha.spec.dataStoreUsername);
        expect(await etcdRoles(root)).to.include(schema);
        const perms = await root.auth.roleGet({ role: schema });
        expect(perms.perm.map((p) => [p.permType, p.key.toString(), p.range_end.toString()])).to.deep.equal([
            ["Readwrite", `/${schema}/`, `/${schema}0`],
        ]);
    });

    it("a bootstrap token in the tenant gets its jws-kubeconfig-<id> signature in cluster-info", async () => {
        const admin = await mgmt.get(secretPath("alpha-admin-kubeconfig"));
        const t = KubeClient.fromKubeconfig(unb64(admin.data["admin.conf"]));
        await t.create("/api/v1/namespaces/kube-system/secrets", bootstrapTokenSecret("k4m4j1", "0123456789abcdef"));
        const jws = await t.waitFor(
            "/api/v1/namespaces/kube-public/configmaps/cluster-info",
            (cm) => cm?.data?.["jws-kubeconfig-k4m4j1"],
            {
                timeoutMs: 60_000,
                intervalMs: 250,
                description: "jws-kubeconfig-k4m4j1 in cluster-info",
            },
        );
        expect(jws).to.match(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    });

    it("reports the DataStore ready and used by the TCP, with the in-use finalizer", async () => {
        const d = await mgmt.waitFor(
            `/apis/kamaji.clastix.io/v1alpha1/datastores/${DS}`,
            (o) => (o?.status?.usedBy?.length ? o : undefined),
            {
                timeoutMs: 30_000,
                intervalMs: 500,
            },
        );
        expect(d.status.ready).to.equal(true);
        expect(d.status.usedBy).to.deep.equal([`${NS}/alpha`]);
        expect(d.metadata.finalizers).to.include("kamaji.clastix.io/TenantControlPlane");
    });

    it("gives a second TCP on the same DataStore its own prefix, user and (when the port is taken) its own port", async () => {
        const t0 = Date.now();
        await mgmt.create(
            tcpPath(NS),
            tenantControlPlane(NS, "beta", { dataStore: DS, version: "v1.34.4", port: PORT, schema: `beta_${suffix}` }),
        );
        tcp.beta = await waitTcp(
            mgmt,
            NS,
            "beta",
            (o) => o.status?.kubernetesResources?.version?.status === "Ready",
            "to be Ready",
        );
        process.stderr.write(`      TCP beta: create → Ready in ${Date.now() - t0} ms\n`);
        expect(tcp.beta.status.controlPlaneEndpoint).to.match(/^127\.0\.0\.1:\d+$/);
        expect(tcp.beta.status.controlPlaneEndpoint).to.not.equal(`127.0.0.1:${PORT}`);
        expect(tcp.beta.status.storage.setup).to.include({ schema: `beta_${suffix}`, user: `beta_${suffix}` });
        const betaKeys = [...(await keysUnder(root, `/beta_${suffix}/`)).keys()];
        expect(betaKeys).to.include(`/beta_${suffix}/namespaces/kube-system`);
        const alphaSchema = tcp.alpha.spec.dataStoreSchema;
        expect(betaKeys.every((k) => !k.startsWith(`/${alphaSchema}/`))).to.equal(true);
        const admin = await mgmt.get(secretPath("beta-admin-kubeconfig"));
        const t = KubeClient.fromKubeconfig(unb64(admin.data["admin.conf"]));
        expect(String(await t.request("GET", "/readyz"))).to.equal("ok");
        // Separate clusters: the token created in alpha does not exist in beta.
        expect(await t.get("/api/v1/namespaces/kube-system/secrets/bootstrap-token-k4m4j1")).to.equal(undefined);
    });

    it("a restarted controller adopts the running tenants instead of starting new ones", async () => {
        const before = [apiserverPid(stateDir, "alpha"), apiserverPid(stateDir, "beta")];
        await ctl.stop();
        expect(before.every(processAlive)).to.equal(true);
        ctl = startController(stateDir, [NS], [DS]);
        await new Promise((r) => setTimeout(r, 3000));
        const a = await mgmt.get(tcpPath(NS, "alpha"));
        expect(a.status.kubernetesResources.version.status).to.equal("Ready");
        expect([apiserverPid(stateDir, "alpha"), apiserverPid(stateDir, "beta")]).to.deep.equal(before);
    });

    it("on a version change reports Upgrading, restarts the tenant and reports the new version", async () => {
        const t0 = Date.now();
        await mgmt.patch(tcpPath(NS, "beta"), { spec: { kubernetes: { version: "v1.34.5" } } });
        const b = await waitTcp(
            mgmt,
            NS,
            "beta",
            (o) =>
                o.status?.kubernetesResources?.version?.status === "Ready" &&
                o.status.kubernetesResources.version.version === "v1.34.5",
            "to be Ready at v1.34.5",
        );
        process.stderr.write(`      TCP beta: upgrade → Ready in ${Date.now() - t0} ms\n`);
        const admin = await mgmt.get(secretPath("beta-admin-kubeconfig"));
        const t = KubeClient.fromKubeconfig(unb64(admin.data["admin.conf"]));
        const cc = yaml.load(
            (await t.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).data.ClusterConfiguration,
        ) as any;
        expect(cc.kubernetesVersion).to.equal("v1.34.5");
        expect(b.status.controlPlaneEndpoint).to.equal(tcp.beta.status.controlPlaneEndpoint);
        expect(ctl.log()).to.match(/TenantControlPlane .*\/beta: Upgrading/);
    });

    it("restarts a tenant whose kube-apiserver died (NotReady, then Ready again)", async () => {
        const old = apiserverPid(stateDir, "beta");
        process.kill(old, "SIGKILL");
        await waitTcp(
            mgmt,
            NS,
            "beta",
            () => apiserverPid(stateDir, "beta") !== old,
            "to get a new kube-apiserver",
            60_000,
        );
        const b = await waitTcp(
            mgmt,
            NS,
            "beta",
            (o) => o.status?.kubernetesResources?.version?.status === "Ready",
            "to be Ready again",
        );
        expect(processAlive(apiserverPid(stateDir, "beta"))).to.equal(true);
        expect(b.status.controlPlaneEndpoint).to.equal(tcp.beta.status.controlPlaneEndpoint);
        expect(ctl.log()).to.match(/TenantControlPlane .*\/beta: NotReady/);
    });

    it("replicas 0 puts a tenant to sleep (processes stopped, Sleeping) and 1 wakes it with the same CA", async () => {
        const caBefore = (await mgmt.get(secretPath("beta-ca"))).data["ca.crt"];
        const pid = apiserverPid(stateDir, "beta");
        await mgmt.patch(tcpPath(NS, "beta"), { spec: { controlPlane: { deployment: { replicas: 0 } } } });
        await waitTcp(
            mgmt,
            NS,
            "beta",
            (o) => o.status?.kubernetesResources?.version?.status === "Sleeping",
            "to be Sleeping",
            60_000,
        );
        expect(processAlive(pid)).to.equal(false);
        await mgmt.patch(tcpPath(NS, "beta"), { spec: { controlPlane: { deployment: { replicas: 1 } } } });
        const b = await waitTcp(
            mgmt,
            NS,
            "beta",
            (o) =>
                o.status?.kubernetesResources?.version?.status === "Ready" &&
                o.status.observedGeneration === o.metadata.generation,
            "to be Ready again",
        );
        expect((await mgmt.get(secretPath("beta-ca"))).data["ca.crt"]).to.equal(caBefore);
        const t = KubeClient.fromKubeconfig(
            unb64((await mgmt.get(secretPath("beta-admin-kubeconfig"))).data["admin.conf"]),
        );
        expect(String(await t.request("GET", "/readyz"))).to.equal("ok");
        expect(b.status.controlPlaneEndpoint).to.equal(tcp.beta.status.controlPlaneEndpoint);
    });

    it("deleting one TCP removes its prefix, user, role, Secrets and processes; the other's keys stay", async () => {
        const alphaSchema = tcp.alpha.spec.dataStoreSchema;
        const alphaUser = tcp.alpha.spec.dataStoreUsername;
        const betaPrefix = `/beta_${suffix}/`;
        const stable = (m: Map<string, string>) =>
            new Map(
                [...m].filter(
                    ([k]) => !k.startsWith(`${betaPrefix}events/`) && !k.startsWith(`${betaPrefix}masterleases/`),
                ),
            );
        const betaBefore = stable(await keysUnder(root, betaPrefix));
        const alphaAdmin = await mgmt.get(secretPath("alpha-admin-kubeconfig"));
        const alphaServer = KubeClient.fromKubeconfig(unb64(alphaAdmin.data["admin.conf"]));

        await mgmt.delete(tcpPath(NS, "alpha"));
        await waitGone(mgmt, tcpPath(NS, "alpha"), "TenantControlPlane alpha");

        expect((await keysUnder(root, `/${alphaSchema}/`)).size).to.equal(0);
        expect(await etcdUsers(root)).to.not.include(alphaUser);
        expect(await etcdRoles(root)).to.not.include(alphaSchema);
        for (const s of [
            "alpha-admin-kubeconfig",
            "alpha-ca",
            "alpha-datastore-certificate",
            "alpha-datastore-config",
        ]) {
            expect(await mgmt.get(secretPath(s)), s).to.equal(undefined);
        }
        let down: unknown;
        await alphaServer.request("GET", "/readyz", { timeoutMs: 3000 }).catch((e) => (down = e));
        expect(String(down)).to.match(/cannot reach|ECONNREFUSED/);

        const betaAfter = await keysUnder(root, betaPrefix);
        for (const [k, rev] of betaBefore) expect(betaAfter.get(k), k).to.equal(rev);
        const b = await mgmt.get(tcpPath(NS, "beta"));
        expect(b.status.kubernetesResources.version.status).to.equal("Ready");
        const d = await mgmt.waitFor(
            `/apis/kamaji.clastix.io/v1alpha1/datastores/${DS}`,
            (o) => (o?.status?.usedBy?.length === 1 ? o : undefined),
            { timeoutMs: 30_000, intervalMs: 500 },
        );
        expect(d.status.usedBy).to.deep.equal([`${NS}/beta`]);
    });
});
