// NodeJoin's provider with the real kubeadm on real sshd hosts, joining a real tenant control plane
// (kube-apiserver, kube-controller-manager and kube-scheduler on a DataStore etcd): the real kubelet,
// containerd and runc, installed by PreparedHost from the lab bundle, do the TLS bootstrap the
// tenant's controller-manager approves and register a Ready Node. Needs root.
import { expect } from "chai";
import { bridgeIp, labIp } from "../support/labNet";
import * as fs from "fs";
import * as path from "path";
import * as hostprep from "../../provider/hostprep/provider";
import * as nodejoin from "../../provider/kubeadm/provider";
import { KubeClient } from "../../lib/kube/client";
import { KUBELET_FLAGS_ENV } from "../../provider/kubeadm/hostPaths";
import { parseKubeletFlagsEnv } from "../../provider/kubeadm/kubeletFlags";
import { caCertHash } from "../../lib/pki";
import { fingerprint, parsePublicKey } from "../../lib/ssh/logic";
import { createToken } from "../../provider/token/tokens";
import { startTenantControlPlane, stopTenantControlPlane, TenantControlPlane } from "../../lab/tenant";
import { freePort } from "../../lab/tenant/process";
import { HostLab, TestHost } from "../support/hosts";
import {
    installLabStandIns,
    installStaticCni,
    joinKubeletConfiguration,
    labBundle,
    LAB_IGNORED_PREFLIGHT,
    prepareInputs,
    KUBERNETES_VERSION,
} from "../support/labHosts";
import { ensureLab } from "../support/lab";
import { labDir } from "../support/management";
import { rejection } from "../support/rejection";
import { DataStoreEtcd, ensureDataStoreEtcd, stopDataStoreEtcd } from "../support/tenant";

const BRIDGE_IP = bridgeIp;

/** A string matched literally inside a RegExp. */
const literally = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("NodeJoin with the real kubeadm against a real tenant", function () {
    this.timeout(10 * 60 * 1000);
    const lab = new HostLab();
    const stateDir = path.join(labDir, "test-nodejoin");
    let ds: DataStoreEtcd;
    let tenant: TenantControlPlane;
    let client: KubeClient;
    let hosts: TestHost[];
    const joined: { id: string; outs: any }[] = [];

    const joinInputs = (h: TestHost, nodeName: string, extra: any = {}) => ({
        connection: { address: h.address, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: h.hostKey },
        tenantKubeconfig: tenant.adminKubeconfig,
        apiEndpoint: `${BRIDGE_IP}:${tenant.server.split(":").pop()}`,
        caCertHash: caCertHash(tenant.ca.certPem),
        kubernetesVersion: KUBERNETES_VERSION,
        nodeName,
        labels: { "example.com/pool": "blue" },
        kubeletConfiguration: joinKubeletConfiguration(h.name),
        ignorePreflightErrors: LAB_IGNORED_PREFLIGHT,
        drainTimeoutSeconds: 30,
        ...extra,
    });

    before(async () => {
        fs.rmSync(stateDir, { recursive: true, force: true });
        ds = ensureDataStoreEtcd("nodejoin-test", 24379);
        hosts = await Promise.all([
            lab.create("t-join-1", labIp(61)),
            lab.create("t-join-2", labIp(62), { user: "ops", sudo: true }),
        ]);
        const bundle = labBundle();
        const { registry } = ensureLab();
        for (const [i, h] of hosts.entries()) {
            await installLabStandIns(lab, h.name);
            await hostprep.create(prepareInputs(h, bundle, registry));
            await installStaticCni(lab, h.name, `10.113.${i + 1}.0/24`);
        }
        // The hosts reach the tenant through the bridge address, as they would reach a LoadBalancer.
        tenant = await startTenantControlPlane({
            name: "nodejoin",
            dir: stateDir,
            etcdEndpoints: ds.endpoints,
            etcdPrefix: "/nodejoin_test/",
            etcdCaPem: ds.caPem,
            etcdCertPem: ds.rootCertPem,
            etcdKeyPem: ds.rootKeyPem,
            serviceCidr: "10.112.0.0/16",
            podCidr: "10.113.0.0/16",
            apiPort: await freePort(),
            kubernetesVersion: KUBERNETES_VERSION,
            bindAddress: BRIDGE_IP,
        });
        client = KubeClient.fromKubeconfig(tenant.adminKubeconfig);
    });

    after(async () => {
        for (const j of joined.reverse()) await nodejoin.delete(j.id, j.outs).catch(() => undefined);
        await lab.dispose();
        // Also when start-up failed half-way: whatever it started is stopped.
        await stopTenantControlPlane(stateDir);
        if (ds) stopDataStoreEtcd("nodejoin-test");
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("joins a root host and a sudo host; their Nodes register Ready with the pool label", async () => {
        const t0 = Date.now();
        const results = await Promise.all(hosts.map((h, i) => nodejoin.create(joinInputs(h, `worker-${i + 1}`))));
        console.log(`      [measure] two joins in parallel: ${Date.now() - t0} ms`);
        results.forEach((r) => joined.push({ id: r.id, outs: r.outs }));
        for (const [i, r] of results.entries()) {
            expect(r.outs.outcome).to.equal("joined");
            expect(r.outs.kubeletVersion).to.equal(KUBERNETES_VERSION);
            const node = await client.get(`/api/v1/nodes/worker-${i + 1}`);
            expect(node.metadata.labels["example.com/pool"]).to.equal("blue");
            expect(node.status.conditions.find((c: any) => c.type === "Ready").status).to.equal("True");
        }
    });

    it("left no join token and no join configuration behind", async () => {
        const secrets = await client.list("/api/v1/namespaces/kube-system/secrets");
        expect(secrets.filter((s: any) => s.type === "bootstrap.kubernetes.io/token")).to.have.length(0);
        expect(await lab.readFile("t-join-1", "/etc/kubernetes/hcp-join-configuration.yaml")).to.equal(undefined);
        expect(await lab.readFile("t-join-1", "/etc/kubernetes/kubelet.conf")).to.include("kubelet-client-current.pem");
        // The kubelet's client certificate was signed by the tenant CA through the CSR flow.
        const csrs = await client.list("/apis/certificates.k8s.io/v1/certificatesigningrequests");
        expect(csrs.some((c: any) => c.spec.username.startsWith("system:bootstrap:") && c.status.certificate)).to.equal(
            true,
        );
    });

    it("skips the join on a host that already has a kubelet.conf", async () => {
        const again = await nodejoin.create(joinInputs(hosts[0], "worker-1"));
        expect(again.outs.outcome).to.match(/already joined/);
    });

    it("trust on first use records the host key; once the host presents another, update and delete are refused", async () => {
        const tofu = (extra: any = {}) => {
            const i = joinInputs(hosts[0], "worker-1", extra);
            delete i.connection.hostKey;
            i.connection.trustOnFirstUse = true;
            return i;
        };
        const r = await nodejoin.create(tofu());
        expect(r.outs.hostKey).to.equal(hosts[0].hostKey);
        const otherKey = await lab.replaceHostKey("t-join-1");
        try {
            const news = tofu({ kubeletExtraArgs: { "max-pods": "60" } });
            const d = await nodejoin.diff(r.id, r.outs, news);
            expect([d.changes, d.replaces]).to.deep.equal([true, []]);
            const mismatch = new RegExp(
                `^host key mismatch for ${literally(labIp(61))}:22: expected ${literally(fingerprint(parsePublicKey(hosts[0].hostKey)))} ` +
                    `\\(ssh-ed25519\\) from connection\\.hostKey, but the host presented ${literally(fingerprint(parsePublicKey(otherKey)))} `,
            );
            expect((await rejection(nodejoin.update(r.id, r.outs, news))).message).to.match(mismatch);
            expect((await rejection(nodejoin.delete(r.id, r.outs))).message).to.match(mismatch);
            // Refused before anything was done: the Node is schedulable, the host joined, its flags as they were.
            const node = await client.get("/api/v1/nodes/worker-1");
            expect(node.spec.unschedulable ?? false).to.equal(false);
            expect(await lab.readFile("t-join-1", "/etc/kubernetes/kubelet.conf")).to.include("kubelet-client");
            expect(await lab.readFile("t-join-1", KUBELET_FLAGS_ENV)).not.to.include("max-pods");
        } finally {
            await lab.restoreHostKey("t-join-1");
        }
    });

    it("updates labels in place", async () => {
        const olds = joined[0].outs;
        const news = joinInputs(hosts[0], "worker-1", { labels: { "example.com/pool": "green", tier: "web" } });
        const d = await nodejoin.diff(joined[0].id, olds, news);
        expect(d.changes).to.equal(true);
        expect(d.replaces).to.deep.equal([]);
        const u = await nodejoin.update(joined[0].id, olds, news);
        joined[0].outs = u.outs;
        const node = await client.get("/api/v1/nodes/worker-1");
        expect(node.metadata.labels).to.include({ "example.com/pool": "green", tier: "web" });
    });

    it("applies kubeletExtraArgs in place: kubeadm-flags.env rewritten, kubelet restarted, Node Ready again", async () => {
        const kubelet = async () => {
            const pid = (await lab.sh("t-join-1", "cat /var/lib/standin-systemd/kubelet.pid")).trim();
            const argv = (await lab.sh("t-join-1", `tr '\\0' '\\n' < /proc/${pid}/cmdline`)).split("\n");
            return { pid, argv };
        };
        const flagsOnHost = async () => parseKubeletFlagsEnv((await lab.readFile("t-join-1", KUBELET_FLAGS_ENV))!);
        // As kubeadm join wrote it: the labels of the join as --node-labels, and kubeadm's own flags, if any.
        const written = await flagsOnHost();
        expect(written).to.include("--node-labels=example.com/pool=blue");
        const kubeadmOwn = written.filter((f) => !f.startsWith("--node-labels="));
        const before = await kubelet();
        const labels = joined[0].outs.labels;
        const nodeLabels = "--node-labels=example.com/pool=green,tier=web";

        const news = joinInputs(hosts[0], "worker-1", { labels, kubeletExtraArgs: { "max-pods": "60", v: "2" } });
        const d = await nodejoin.diff(joined[0].id, joined[0].outs, news);
        expect([d.changes, d.replaces]).to.deep.equal([true, []]);
        joined[0].outs = (await nodejoin.update(joined[0].id, joined[0].outs, news)).outs;
        expect(await flagsOnHost()).to.have.members([...kubeadmOwn, nodeLabels, "--max-pods=60", "--v=2"]);
        const after = await kubelet();
        expect(after.pid).not.to.equal(before.pid);
        expect(after.argv).to.include.members(["--max-pods=60", "--v=2", nodeLabels]);
        const node = await client.get("/api/v1/nodes/worker-1");
        expect(node.status.conditions.find((c: any) => c.type === "Ready").status).to.equal("True");
        expect(node.spec.unschedulable ?? false).to.equal(false);

        // Removing a key drops its flag; the others stay.
        const fewer = joinInputs(hosts[0], "worker-1", { labels, kubeletExtraArgs: { v: "2" } });
        joined[0].outs = (await nodejoin.update(joined[0].id, joined[0].outs, fewer)).outs;
        expect(await flagsOnHost()).to.have.members([...kubeadmOwn, nodeLabels, "--v=2"]);
        expect((await kubelet()).argv).not.to.include("--max-pods=60");
        expect(joined[0].outs.hostKey).to.equal(hosts[0].hostKey);
    });

    it("refuses an expired token, naming it, before touching the host", async () => {
        const t = await createToken(client, 60, "expired for test", new Date(Date.now() - 3600_000));
        const host3 = await lab.create("t-join-3", labIp(63));
        const e = await rejection(nodejoin.create(joinInputs(host3, "worker-3", { token: `${t.id}.${t.secret}` })));
        expect(e.message).to.match(new RegExp(`^token: bootstrap token ${t.id} (expired at|does not exist)`));
        expect(e.message).not.to.include(t.secret);
        expect(await client.get("/api/v1/nodes/worker-3")).to.equal(undefined);
    });

    it("delete drains, deletes the Node and resets the host", async () => {
        const j = joined.pop()!;
        await nodejoin.delete(j.id, j.outs);
        expect(await client.get("/api/v1/nodes/worker-2")).to.equal(undefined);
        expect(await lab.readFile("t-join-2", "/etc/kubernetes/kubelet.conf")).to.equal(undefined);
        expect((await lab.sh("t-join-2", "systemctl is-active kubelet || true")).trim()).to.equal("inactive");
        // Deleting again (e.g. a retried destroy) tolerates the Node being gone.
        await nodejoin.delete(j.id, j.outs);
    });
});
