// The tenant control-plane library (lab/tenant) against a real mTLS etcd with auth enabled:
// a real kube-apiserver + kube-controller-manager on a tenant prefix, the kubeadm objects that
// `kubeadm join` reads, bootstrapsigner signing cluster-info, idempotent restarts, clean stop.
// Over 400 lines: the suites share one etcd and one started tenant, which take long to start.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { Etcd3 } from "etcd3";
import { KubeApiError, KubeClient } from "../../lib/kube";
import { issueCertificate } from "../../lib/pki";
import { connect, ensureTenantAccess, removeTenantAccess } from "../../lab/tenant/etcdAccess";
import { startTenantControlPlane, stopTenantControlPlane, tenantStatus, TenantControlPlane } from "../../lab/tenant";
import { freePort } from "../../lab/tenant/process";
import { repoRoot } from "../support/engine";
import {
    bootstrapTokenSecret,
    DataStoreEtcd,
    ensureDataStoreEtcd,
    etcdRoot,
    keysUnder,
    processAlive,
    requireTenantBinaries,
    stopDataStoreEtcd,
    tmpStateDir,
} from "../support/tenant";

const ETCD_NAME = "tenant-lib-test";
const ETCD_BASE_PORT = 23960;
const SCHEMA = "tenant_lib_test";

describe("lab/tenant: one tenant control plane as processes", function () {
    this.timeout(300_000);
    let ds: DataStoreEtcd;
    let root: Etcd3;
    let dir: string;
    let cert: { certPem: string; keyPem: string };
    let apiPort: number;
    let tenant: TenantControlPlane;
    let admin: KubeClient;

    const options = () => ({
        name: "lib-tenant",
        dir,
        etcdEndpoints: ds.endpoints,
        etcdPrefix: `/${SCHEMA}/`,
        etcdCaPem: ds.caPem,
        etcdCertPem: cert.certPem,
        etcdKeyPem: cert.keyPem,
        serviceCidr: "10.96.0.0/16",
        podCidr: "10.244.0.0/16",
        apiPort,
        kubernetesVersion: "v1.34.4",
        kubeProxy: true,
    });

    before(async () => {
        requireTenantBinaries();
        ds = ensureDataStoreEtcd(ETCD_NAME, ETCD_BASE_PORT);
        root = etcdRoot(ds);
        const c = connect({ endpoints: ds.endpoints, caPem: ds.caPem, certPem: ds.rootCertPem, keyPem: ds.rootKeyPem });
        await ensureTenantAccess(c, SCHEMA, SCHEMA);
        c.close();
        cert = await issueCertificate(
            { certPem: ds.caPem, keyPem: ds.caKeyPem },
            { commonName: SCHEMA, organizations: ["system:masters"], usages: ["client"], validity: 30 },
        );
        dir = tmpStateDir("tenant-lib");
        apiPort = await freePort();
    });

    after(async () => {
        if (dir) await stopTenantControlPlane(dir, { purge: true });
        if (ds) {
            const c = connect({
                endpoints: ds.endpoints,
                caPem: ds.caPem,
                certPem: ds.rootCertPem,
                keyPem: ds.rootKeyPem,
            });
            await removeTenantAccess(c, SCHEMA, SCHEMA).catch(() => undefined);
            c.close();
        }
        root?.close();
        stopDataStoreEtcd(ETCD_NAME);
    });

    it("starts kube-apiserver and kube-controller-manager and reports Ready with the admin kubeconfig", async () => {
        tenant = await startTenantControlPlane(options());
        process.stderr.write(`      start-up (cold): ${JSON.stringify(tenant.timings)} ms\n`);
        expect(tenant.server).to.equal(`https://127.0.0.1:${apiPort}`);
        expect(processAlive(tenant.apiserverPid)).to.equal(true);
        expect(processAlive(tenant.controllerManagerPid)).to.equal(true);
        expect(tenant.binaryVersion).to.match(/^v1\.34\./);
        admin = KubeClient.fromKubeconfig(tenant.adminKubeconfig);
        const readyz = await admin.request("GET", "/readyz");
        expect(String(readyz)).to.equal("ok");
        const nss = (await admin.list("/api/v1/namespaces")).map((n: any) => n.metadata.name);
        expect(nss).to.include.members(["default", "kube-system", "kube-public"]);
    });

    it("listens on loopback only", () => {
        const ss = execFileSync("ss", ["-Hltnp"], { encoding: "utf8" });
        const mine = ss
            .split("\n")
            .filter(
                (l) => l.includes(`pid=${tenant.apiserverPid},`) || l.includes(`pid=${tenant.controllerManagerPid},`),
            );
        expect(mine.length).to.be.greaterThan(0);
        for (const l of mine) expect(l.split(/\s+/)[3]).to.match(/^127\.0\.0\.1:\d+$/);
    });

    it("keeps every key under the tenant prefix, written with the tenant's own etcd user", async () => {
        const keys = [...(await keysUnder(root, `/${SCHEMA}/`)).keys()];
        expect(keys).to.include(`/${SCHEMA}/namespaces/kube-public`);
        expect(keys.some((k) => k.startsWith(`/${SCHEMA}/configmaps/kube-public/cluster-info`))).to.equal(true);
        // The tenant user cannot read outside its prefix (auth is enabled, CN = user).
        const tenantEtcd = connect({
            endpoints: ds.endpoints,
            caPem: ds.caPem,
            certPem: cert.certPem,
            keyPem: cert.keyPem,
        });
        try {
            let err: unknown;
            await tenantEtcd
                .get("/not-mine")
                .string()
                .catch((e) => (err = e));
            expect(String(err)).to.match(/permission denied/i);
            expect(await tenantEtcd.get(`/${SCHEMA}/namespaces/default`).string()).to.be.a("string");
        } finally {
            tenantEtcd.close();
        }
    });

    it("writes what kubeadm init leaves for kubeadm join (v1.34 names and contents)", async () => {
        const ci = await admin.get("/api/v1/namespaces/kube-public/configmaps/cluster-info");
        const kc = yaml.load(ci.data.kubeconfig) as any;
        expect(kc.clusters[0].name).to.equal("");
        expect(kc.clusters[0].cluster.server).to.equal(tenant.server);
        expect(Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString()).to.equal(
            tenant.ca.certPem,
        );
        const kcfg = await admin.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config");
        const cc = yaml.load(kcfg.data.ClusterConfiguration) as any;
        expect(cc).to.include({
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "ClusterConfiguration",
            kubernetesVersion: "v1.34.4",
            controlPlaneEndpoint: `127.0.0.1:${apiPort}`,
        });
        expect(cc.networking).to.deep.equal({
            dnsDomain: "cluster.local",
            podSubnet: "10.244.0.0/16",
            serviceSubnet: "10.96.0.0/16",
        });
        const kubelet = await admin.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config");
        const kcf = yaml.load(kubelet.data.kubelet) as any;
        expect(kcf).to.include({
            kind: "KubeletConfiguration",
            cgroupDriver: "systemd",
            clusterDomain: "cluster.local",
        });
        expect(kcf.clusterDNS).to.deep.equal(["10.96.0.10"]);
        expect(kubelet.metadata.annotations["kubeadm.kubernetes.io/component-config.hash"]).to.match(
            /^sha256:[0-9a-f]{64}$/,
        );

        const crb = async (n: string) => admin.get(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${n}`);
        const bootstrappers = {
            kind: "Group",
            apiGroup: "rbac.authorization.k8s.io",
            name: "system:bootstrappers:kubeadm:default-node-token",
        };
        expect((await crb("kubeadm:kubelet-bootstrap")).roleRef.name).to.equal("system:node-bootstrapper");
        expect((await crb("kubeadm:kubelet-bootstrap")).subjects).to.deep.equal([bootstrappers]);
        expect((await crb("kubeadm:node-autoapprove-bootstrap")).roleRef.name).to.equal(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        );
        expect((await crb("kubeadm:node-autoapprove-certificate-rotation")).roleRef.name).to.equal(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        );
        expect((await crb("kubeadm:node-autoapprove-certificate-rotation")).subjects[0].name).to.equal("system:nodes");
        expect((await crb("kubeadm:get-nodes")).roleRef.name).to.equal("kubeadm:get-nodes");
        expect((await crb("kubeadm:cluster-admins")).roleRef.name).to.equal("cluster-admin");
        for (const [ns, n] of [
            ["kube-public", "kubeadm:bootstrap-signer-clusterinfo"],
            ["kube-system", "kubeadm:nodes-kubeadm-config"],
            ["kube-system", "kubeadm:kubelet-config"],
        ]) {
            expect(
                await admin.get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${n}`),
                `Role ${ns}/${n}`,
            ).to.be.an("object");
            expect(
                await admin.get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/${n}`),
                `RoleBinding ${ns}/${n}`,
            ).to.be.an("object");
        }
    });

    it("lets anonymous read cluster-info, and bootstrapsigner signs it for a new bootstrap token", async () => {
        const anon = new KubeClient({ ...admin.credentials, clientCertificate: undefined, clientKey: undefined });
        const ci = await anon.get("/api/v1/namespaces/kube-public/configmaps/cluster-info");
        expect(ci.data.kubeconfig).to.be.a("string");
        let denied: unknown;
        await anon.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config").catch((e) => (denied = e));
        expect((denied as KubeApiError).status).to.equal(403);

        await admin.create(
            "/api/v1/namespaces/kube-system/secrets",
            bootstrapTokenSecret("abcdef", "0123456789abcdef"),
        );
        const signed = await admin.waitFor(
            "/api/v1/namespaces/kube-public/configmaps/cluster-info",
            (cm) => cm?.data?.["jws-kubeconfig-abcdef"],
            { timeoutMs: 60_000, intervalMs: 250, description: "jws-kubeconfig-abcdef in cluster-info" },
        );
        expect(signed).to.match(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/); // detached JWS: header..signature
        // The token authenticates as a bootstrapper and may read kubeadm-config and kubelet-config.
        const boot = new KubeClient({
            ...admin.credentials,
            clientCertificate: undefined,
            clientKey: undefined,
            token: "abcdef.0123456789abcdef",
        });
        expect(await boot.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).to.be.an("object");
        expect(await boot.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config")).to.be.an("object");
    });

    it("signs an approved kubelet client CSR from a bootstrap token (csrapproving + csrsigning)", async () => {
        const boot = new KubeClient({
            ...admin.credentials,
            clientCertificate: undefined,
            clientKey: undefined,
            token: "abcdef.0123456789abcdef",
        });
        const csrPem = execFileSync(
            "openssl",
            [
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "/dev/null",
                "-subj",
                "/O=system:nodes/CN=system:node:lib-node",
            ],
            {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "ignore"],
            },
        );
        await boot.create("/apis/certificates.k8s.io/v1/certificatesigningrequests", {
            apiVersion: "certificates.k8s.io/v1",
            kind: "CertificateSigningRequest",
            metadata: { name: "lib-node-csr" },
            spec: {
                request: Buffer.from(csrPem).toString("base64"),
                signerName: "kubernetes.io/kube-apiserver-client-kubelet",
                usages: ["digital signature", "client auth"],
            },
        });
        const issued = await admin.waitFor(
            "/apis/certificates.k8s.io/v1/certificatesigningrequests/lib-node-csr",
            (c) => c?.status?.certificate,
            {
                timeoutMs: 60_000,
                intervalMs: 250,
                description: "the kubelet CSR to be approved and signed",
            },
        );
        const crt = new (await import("crypto")).X509Certificate(Buffer.from(issued, "base64"));
        expect(crt.subject).to.include("CN=system:node:lib-node");
        expect(crt.issuer).to.equal(new (await import("crypto")).X509Certificate(tenant.ca.certPem).subject);
    });

    it("passes the real kubeadm v1.34 join discovery: JWS-signed cluster-info, CA pin, kubeadm-config, kubelet-config, kube-proxy", () => {
        const kubeadm = path.join(repoRoot, "bin", "kubeadm");
        const adminConf = path.join(dir, "admin.conf");
        const join = execFileSync(kubeadm, ["token", "create", "--kubeconfig", adminConf, "--print-join-command"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        }).trim();
        expect(join).to.match(
            new RegExp(
                `^kubeadm join 127\\.0\\.0\\.1:${apiPort} --token \\S+ --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$`,
            ),
        );
        // Only the kubelet-start phase: discovery, config download, bootstrap-kubelet.conf. It runs in a
        // private mount namespace with tmpfs over /etc/kubernetes and /var/lib/kubelet, so the
        // machine's files are untouched; starting the (absent) kubelet service fails as a warning.
        fs.mkdirSync("/etc/kubernetes", { recursive: true });
        const script = [
            "set -e",
            "mount -t tmpfs none /etc/kubernetes",
            "mount -t tmpfs none /var/lib",
            `${kubeadm} join phase kubelet-start ${join.replace(/^kubeadm join /, "")} --node-name lib-join-node -v=1 2>&1`,
            "echo '--- config.yaml'",
            "cat /var/lib/kubelet/config.yaml",
            "echo '--- bootstrap-kubelet.conf'",
            "grep -c 'token:' /etc/kubernetes/bootstrap-kubelet.conf",
        ].join("\n");
        const out = execFileSync("unshare", ["-m", "--propagation", "private", "bash", "-c", script], {
            encoding: "utf8",
            timeout: 60_000,
        });
        expect(out).to.include(
            "Cluster info signature and contents are valid and TLS certificate validates against pinned roots",
        );
        expect(out).to.include(`Reading configuration from the "kubeadm-config" ConfigMap`);
        expect(out).to.include(`attempting to download the KubeletConfiguration from ConfigMap "kubelet-config"`);
        expect(out).to.not.match(/No kubeproxy.config.k8s.io\/v1alpha1 config is loaded|forbidden/);
        const cfg = yaml.load(out.split("--- config.yaml\n")[1].split("--- bootstrap-kubelet.conf")[0]) as any;
        expect(cfg).to.include({
            kind: "KubeletConfiguration",
            cgroupDriver: "systemd",
            clusterDomain: "cluster.local",
        });
        expect(out.trim().endsWith("1")).to.equal(true);
    });

    it("is idempotent: a second start adopts the running processes; status reports them", async () => {
        const again = await startTenantControlPlane(options());
        process.stderr.write(`      start-up (already running): ${JSON.stringify(again.timings)} ms\n`);
        expect(again.apiserverPid).to.equal(tenant.apiserverPid);
        expect(again.controllerManagerPid).to.equal(tenant.controllerManagerPid);
        expect(again.ca.certPem).to.equal(tenant.ca.certPem);
        const st = tenantStatus(dir);
        expect(st.apiserverPid).to.equal(tenant.apiserverPid);
        expect(st.controllerManagerPid).to.equal(tenant.controllerManagerPid);
    });

    it("restarts on request (a version change) with the same CA, and the data survives", async () => {
        const restarted = await startTenantControlPlane({ ...options(), kubernetesVersion: "v1.34.5", restart: true });
        process.stderr.write(`      start-up (restart, warm etcd): ${JSON.stringify(restarted.timings)} ms\n`);
        expect(restarted.apiserverPid).to.not.equal(tenant.apiserverPid);
        expect(processAlive(tenant.apiserverPid)).to.equal(false);
        expect(processAlive(tenant.controllerManagerPid)).to.equal(false);
        expect(restarted.ca.certPem).to.equal(tenant.ca.certPem);
        const c = KubeClient.fromKubeconfig(restarted.adminKubeconfig);
        const cc = yaml.load(
            (await c.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).data.ClusterConfiguration,
        ) as any;
        expect(cc.kubernetesVersion).to.equal("v1.34.5");
        expect(await c.get("/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef")).to.be.an("object");
        tenant = restarted;
    });

    it("the CLI stops it (down) and leaves no process behind; status then fails", async () => {
        const cli = path.join(repoRoot, "dist", "lab", "tenant", "cli.js");
        const st = JSON.parse(execFileSync(process.execPath, [cli, "status", "--dir", dir], { encoding: "utf8" }));
        expect(st.apiserverPid).to.equal(tenant.apiserverPid);
        execFileSync(process.execPath, [cli, "down", "--dir", dir], { stdio: ["ignore", "ignore", "inherit"] });
        expect(processAlive(tenant.apiserverPid)).to.equal(false);
        expect(processAlive(tenant.controllerManagerPid)).to.equal(false);
        expect(fs.existsSync(path.join(dir, "kube-apiserver.pid"))).to.equal(false);
        let code = 0;
        try {
            execFileSync(process.execPath, [cli, "status", "--dir", dir], { stdio: "ignore" });
        } catch (e) {
            code = (e as { status: number }).status;
        }
        expect(code).to.equal(1);
    });

    it("the CLI starts it again (up) from the same state, printing the endpoint as JSON", async () => {
        const cli = path.join(repoRoot, "dist", "lab", "tenant", "cli.js");
        const files = path.join(dir, "cli-etcd");
        fs.mkdirSync(files, { recursive: true });
        fs.writeFileSync(path.join(files, "ca.crt"), ds.caPem);
        fs.writeFileSync(path.join(files, "client.crt"), cert.certPem);
        fs.writeFileSync(path.join(files, "client.key"), cert.keyPem, { mode: 0o600 });
        const out = execFileSync(
            process.execPath,
            [
                cli,
                "up",
                "--name",
                "lib-tenant",
                "--dir",
                dir,
                "--api-port",
                String(apiPort),
                "--etcd-endpoints",
                ds.endpoints.join(","),
                "--etcd-prefix",
                `/${SCHEMA}/`,
                "--etcd-ca",
                path.join(files, "ca.crt"),
                "--etcd-cert",
                path.join(files, "client.crt"),
                "--etcd-key",
                path.join(files, "client.key"),
                "--version",
                "v1.34.5",
            ],
            { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
        );
        const r = JSON.parse(out);
        process.stderr.write(`      start-up (CLI, warm etcd): ${JSON.stringify(r.timings)} ms\n`);
        expect(r.endpoint).to.equal(`127.0.0.1:${apiPort}`);
        const c = KubeClient.fromKubeconfig(fs.readFileSync(r.adminKubeconfig, "utf8"));
        expect(String(await c.request("GET", "/readyz"))).to.equal("ok");
        await stopTenantControlPlane(dir);
        expect(processAlive(r.apiserverPid)).to.equal(false);
        expect(processAlive(r.controllerManagerPid)).to.equal(false);
    });
});
