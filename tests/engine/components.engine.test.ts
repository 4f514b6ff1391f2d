// The components through the real engine (Automation API, Go-built CLI and Kubernetes provider) on
// the lab's real management cluster (etcd + kube-apiserver) with Kamaji's CRDs installed.
//
// There is no Kamaji operator in that cluster, so the test plays Kamaji's documented contract
// itself (REFERENCE.md §2.1-2.2): it marks DataStores ready, and for each TenantControlPlane writes
// `<tcp>-admin-kubeconfig` (admin.conf) and `<tcp>-ca` (ca.crt) and then reports status Ready at
// the requested version with an endpoint. Everything else — the CRDs' schemas and CEL rules, the
// provider's await on the `pulumi.com/waitFor` annotation, reads, updates, deletes — is real.
import { expect } from "chai";
import { createPrivateKey } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { KubeClient, resourcePath } from "../../lib/kube";
import { caCertHash, CertificateAndKey, createCertificateAuthority } from "../../lib/pki";
import {
    compiledComponents,
    destroyAndDispose,
    newInlineStack,
    previewSteps,
    changeCounts,
    TestStack,
} from "../support/engine";
import { deleteNamespace, ensureNamespace } from "../support/kube";
import { ensureKamajiCrdsAndNamespace, ensureManagementCluster } from "../support/management";

const KAMAJI = { group: "kamaji.clastix.io", version: "v1alpha1" };
const tag = `ct${process.pid}`;
// A fixed namespace, left in place: the lab cluster runs no namespace controller to finish deleting one.
const tenantNs = "hcp-components-test";
const dsName = `etcd-${tag}`;
const tcpName = `team-${tag}`;
const ENDPOINT = "192.0.2.50:6443";

/** Plays Kamaji for our objects until stopped. */
class FakeKamaji {
    private timer: NodeJS.Timeout | undefined;
    private busy = false;
    readonly events: string[] = [];

    constructor(
        private readonly client: KubeClient,
        private readonly tenantCa: CertificateAndKey,
        private readonly adminConf: string,
    ) {}

    start(): void {
        this.timer = setInterval(() => void this.tick(), 250);
    }

    stop(): void {
        if (this.timer) clearInterval(this.timer);
    }

    private async tick(): Promise<void> {
        if (this.busy) return;
        this.busy = true;
        try {
            const ds = await this.client.get(resourcePath({ ...KAMAJI, plural: "datastores", name: dsName }));
            if (ds && ds.status?.ready !== true) {
                await this.client.patch(
                    resourcePath({ ...KAMAJI, plural: "datastores", name: dsName, subresource: "status" }),
                    { status: { ready: true, usedBy: [] } },
                );
                this.events.push("datastore ready");
            }
            const tcp = await this.client.get(
                resourcePath({ ...KAMAJI, plural: "tenantcontrolplanes", namespace: tenantNs, name: tcpName }),
            );
            if (!tcp || tcp.metadata.deletionTimestamp) return;
            const want = tcp.spec.kubernetes.version;
            const st = tcp.status?.kubernetesResources?.version;
            if (st?.status === "Ready" && st.version === want && tcp.status?.controlPlaneEndpoint) return;
            for (const [suffix, data] of [
                ["admin-kubeconfig", { "admin.conf": this.adminConf }],
                ["ca", { "ca.crt": this.tenantCa.certPem, "ca.key": this.tenantCa.keyPem }],
            ] as const) {
                const body = {
                    apiVersion: "v1",
                    kind: "Secret",
                    metadata: { name: `${tcpName}-${suffix}`, namespace: tenantNs },
                    data: Object.fromEntries(
                        Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
                    ),
                };
                await this.client.patch(
                    resourcePath({ version: "v1", plural: "secrets", namespace: tenantNs, name: body.metadata.name }),
                    body,
                    "apply",
                    { fieldManager: "fake-kamaji", force: true },
                );
            }
            await this.client.patch(
                resourcePath({
                    ...KAMAJI,
                    plural: "tenantcontrolplanes",
                    namespace: tenantNs,
                    name: tcpName,
                    subresource: "status",
                }),
                {
                    status: {
                        controlPlaneEndpoint: ENDPOINT,
                        kubeconfig: { admin: { secretName: `${tcpName}-admin-kubeconfig` } },
                        kubernetesResources: { version: { status: "Ready", version: want } },
                    },
                },
            );
            this.events.push(`tcp ready at ${want}`);
        } catch (e) {
            this.events.push(`error: ${(e as Error).message}`);
        } finally {
            this.busy = false;
        }
    }
}

describe("engine: ManagementCluster + DataStore + HostedControlPlane on the lab management cluster", function () {
    this.timeout(10 * 60 * 1000);
    let ts: TestStack;
    let client: KubeClient;
    let kubeconfig: string;
    let etcdCa: CertificateAndKey;
    let tenantCa: CertificateAndKey;
    let kamaji: FakeKamaji;

    const program = async () => {
        const hcp = compiledComponents();
        const cfg = new pulumi.Config();
        const mgmt = new hcp.ManagementCluster("mgmt", {
            kubeconfig: cfg.requireSecret("kubeconfig"),
            podCidrs: ["10.244.0.0/16"],
            serviceCidrs: ["10.96.0.0/16"],
        });
        const store = new hcp.DataStore("etcd", {
            managementCluster: mgmt,
            name: dsName,
            endpoints: ["etcd-0.example:2379", "etcd-1.example:2379"],
            // No client certificate: minted from the CA, then reused from the Secret on later runs.
            tls: { caCertificate: cfg.require("etcdCa"), caPrivateKey: cfg.requireSecret("etcdCaKey") },
            // The endpoints are names only Kamaji would resolve; EtcdHealth has its own tests on a real etcd.
            healthCheck: false,
        });
        const cp = new hcp.HostedControlPlane("team", {
            managementCluster: mgmt,
            dataStore: store,
            name: tcpName,
            namespace: tenantNs,
            kubernetesVersion: cfg.require("version"),
            replicas: 2,
            serviceType: "NodePort",
            address: "192.0.2.50",
            certSANs: ["api.team.example"],
            network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16", dnsServiceIPs: ["10.21.0.10"] },
            addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { serverPort: 8132, agentMode: "DaemonSet" } },
            readyTimeoutSeconds: 120,
        });
        return {
            endpoint: cp.endpoint,
            kubeconfig: cp.kubeconfig,
            caCertificate: cp.caCertificate,
            caCertHash: cp.caCertHash,
            dataStore: store.dataStoreName,
        };
    };

    before(async () => {
        kubeconfig = ensureManagementCluster();
        client = KubeClient.fromKubeconfig(kubeconfig);
        await ensureKamajiCrdsAndNamespace(client);
        await ensureNamespace(client, tenantNs);
        etcdCa = await createCertificateAuthority("engine-etcd-ca", 30, [], "rsa"); // Kamaji v1.0.0 needs RSA
        tenantCa = await createCertificateAuthority("engine-tenant-ca", 30);
        kamaji = new FakeKamaji(client, tenantCa, kubeconfig);
        kamaji.start();
        ts = await newInlineStack("hcp-components", program, {
            kubeconfig: { value: kubeconfig, secret: true },
            etcdCa: { value: etcdCa.certPem },
            etcdCaKey: { value: etcdCa.keyPem, secret: true },
            version: { value: "v1.33.4" },
        });
    });

    after(async () => {
        kamaji?.stop();
        // What the stand-in wrote in Kamaji's place (Kamaji would remove these with the tenant).
        for (const suffix of ["admin-kubeconfig", "ca"])
            await client?.delete(`/api/v1/namespaces/${tenantNs}/secrets/${tcpName}-${suffix}`).catch(() => undefined);
        await destroyAndDispose(ts);
        // The management cluster's controller-manager finalizes the namespace (kamaji-system stays: the lab owns it).
        if (client) await deleteNamespace(client, tenantNs);
    });

    const tcpPath = () =>
        resourcePath({ ...KAMAJI, plural: "tenantcontrolplanes", namespace: tenantNs, name: tcpName });
    const dsPath = () => resourcePath({ ...KAMAJI, plural: "datastores", name: dsName });

    it("previews the creates, reading nothing that does not exist yet", async () => {
        const p = await previewSteps(ts.stack);
        const creates = p.steps.filter((s) => s.op === "create").map((s) => s.urn.split("::").pop());
        expect(creates).to.include.members([
            "mgmt",
            "mgmt-provider",
            "etcd",
            "etcd-ca",
            "etcd-client",
            "etcd-datastore",
            "team",
            "team-tcp",
            "team-tenant",
        ]);
        // Kamaji's Secrets are read (resource reads with an ID that is unknown until the tenant exists).
        expect(
            p.steps.filter((s) => s.op !== "create").map((s) => [s.op, s.urn.split("::").pop()]),
        ).to.have.deep.members([
            ["read", "team-admin-kubeconfig"],
            ["read", "team-ca"],
        ]);
    });

    it("creates the DataStore and the TenantControlPlane with the right fields, and waits for Ready", async () => {
        const up = await ts.stack.up();
        expect(up.summary.result).to.equal("succeeded");
        expect(kamaji.events).to.include("tcp ready at v1.33.4");

        const ds = await client.get(dsPath());
        expect(ds.spec.driver).to.equal("etcd");
        expect(ds.spec.endpoints).to.deep.equal(["etcd-0.example:2379", "etcd-1.example:2379"]);
        expect(ds.spec.tlsConfig.certificateAuthority).to.deep.equal({
            certificate: {
                secretReference: { name: `${dsName}-etcd-ca`, namespace: "kamaji-system", keyPath: "ca.crt" },
            },
            privateKey: {
                secretReference: { name: `${dsName}-etcd-ca`, namespace: "kamaji-system", keyPath: "ca.key" },
            },
        });
        expect(ds.spec.tlsConfig.clientCertificate.privateKey.secretReference).to.deep.equal({
            name: `${dsName}-etcd-client`,
            namespace: "kamaji-system",
            keyPath: "tls.key",
        });
        const caSecret = await client.get(`/api/v1/namespaces/kamaji-system/secrets/${dsName}-etcd-ca`);
        // The same key, as the PKCS#1 RSA PEM Kamaji v1.0.0 parses (the package rewrites a PKCS#8 one).
        expect(Buffer.from(caSecret.data["ca.key"], "base64").toString()).to.equal(
            createPrivateKey(etcdCa.keyPem).export({ type: "pkcs1", format: "pem" }),
        );
        const clientSecret = await client.get(`/api/v1/namespaces/kamaji-system/secrets/${dsName}-etcd-client`);
        expect(clientSecret.type).to.equal("kubernetes.io/tls");
        const minted = new (require("crypto").X509Certificate)(Buffer.from(clientSecret.data["tls.crt"], "base64"));
        expect(minted.subject).to.equal("O=system:masters\nCN=root");
        expect(minted.checkIssued(new (require("crypto").X509Certificate)(etcdCa.certPem))).to.equal(true);

        const tcp = await client.get(tcpPath());
        expect(tcp.spec.dataStore).to.equal(dsName);
        expect(tcp.spec.kubernetes.version).to.equal("v1.33.4");
        expect(tcp.spec.kubernetes.kubelet.cgroupfs).to.equal("systemd");
        expect(tcp.spec.controlPlane.deployment.replicas).to.equal(2);
        expect(tcp.spec.controlPlane.service.serviceType).to.equal("NodePort");
        expect(tcp.spec.networkProfile).to.deep.include({
            address: "192.0.2.50",
            port: 6443,
            podCidr: "10.20.0.0/16",
            serviceCidr: "10.21.0.0/16",
            dnsServiceIPs: ["10.21.0.10"],
            certSANs: ["api.team.example"],
        });
        expect(tcp.spec.addons.konnectivity.server.port).to.equal(8132);
        // Kamaji v1.0.0's agent spec has no mode (always a DaemonSet): the package writes nothing
        // there (what the object shows are the CRD's defaults, so ask the fields the package owns).
        const owned = (tcp.metadata.managedFields ?? []).filter((m: any) => /^pulumi/.test(m.manager));
        expect(owned, "the package's field manager").to.have.length.greaterThan(0);
        for (const m of owned)
            expect(
                Object.keys(m.fieldsV1?.["f:spec"]?.["f:addons"]?.["f:konnectivity"]?.["f:agent"] ?? {}),
            ).to.deep.equal([]);
        expect(tcp.spec.kubernetes.kubelet.preferredAddressTypes).to.deep.equal([
            "InternalIP",
            "ExternalIP",
            "Hostname",
        ]);
        expect(tcp.spec.addons).to.have.keys("coreDNS", "kubeProxy", "konnectivity");

        expect(up.outputs.endpoint.value).to.equal(ENDPOINT);
        expect(up.outputs.kubeconfig.secret).to.equal(true);
        expect(up.outputs.kubeconfig.value).to.equal(kubeconfig);
        expect(up.outputs.caCertificate.value).to.equal(tenantCa.certPem);
        expect(up.outputs.caCertHash.value).to.equal(caCertHash(tenantCa.certPem));
    });

    it("keeps keys and the tenant kubeconfig out of the state in plaintext", async () => {
        // The state at rest, as the file backend stores it (exportStack would decrypt secrets).
        const stateFile = path.join(ts.stateDir, "backend", ".pulumi", "stacks", "hcp-components", "test.json");
        const state = fs.readFileSync(stateFile, "utf8");
        expect(state).to.include("ciphertext");
        expect(state).not.to.include(Buffer.from(etcdCa.keyPem).toString("base64").slice(0, 40));
        expect(state).not.to.include("client-key-data");
        expect(state).not.to.include(Buffer.from(kubeconfig).toString("base64").slice(0, 40));
        expect(state).not.to.include("PRIVATE KEY");
    });

    it("previews no changes right after up (the minted client certificate is reused)", async () => {
        const p = await previewSteps(ts.stack);
        // Reads of Kamaji's Secrets are not changes.
        expect(p.steps.filter((s) => s.op !== "read")).to.deep.equal([]);
    });

    it("a version bump updates the TenantControlPlane in place and waits for the new version", async () => {
        await ts.stack.setConfig("version", { value: "v1.34.0" });
        const p = await previewSteps(ts.stack);
        // The TenantControlPlane updates in place (the component's version output changes with it).
        expect(p.steps.filter((s) => s.op !== "read").map((s) => [s.op, s.urn.split("::").pop()])).to.have.deep.members(
            [
                ["update", "team"],
                ["update", "team-tcp"],
            ],
        );
        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ read: 2, update: 2 });
        expect(kamaji.events).to.include("tcp ready at v1.34.0");
        const tcp = await client.get(tcpPath());
        expect(tcp.spec.kubernetes.version).to.equal("v1.34.0");
        expect(tcp.metadata.uid).to.be.a("string");
    });

    /** The text of the preview's failure ("undefined" when it succeeds). */
    const previewFailure = async () => {
        const err = await ts.stack.preview().then(
            () => undefined,
            (e) => e,
        );
        return String(err?.message ?? err);
    };

    it("refuses a downgrade at preview, naming the live version", async () => {
        await ts.stack.setConfig("version", { value: "v1.33.9" });
        expect(await previewFailure()).to.include(
            `kubernetesVersion: cannot go from v1.34.0 down to v1.33.9: Kubernetes control planes cannot be downgraded; keep v1.34.0 (or a later patch), or recreate the tenant (the live TenantControlPlane ${tenantNs}/${tcpName} is at v1.34.0)`,
        );
    });

    it("refuses a minor-version skip at preview", async () => {
        await ts.stack.setConfig("version", { value: "v1.36.0" });
        expect(await previewFailure()).to.include(
            "cannot go from v1.34.0 to v1.36.0 in one step: upgrade one minor version at a time; set v1.35.x first, apply, then continue",
        );
        await ts.stack.setConfig("version", { value: "v1.34.0" });
    });

    it("destroy deletes the TenantControlPlane, the DataStore and its Secrets", async () => {
        const res = await ts.stack.destroy({
            onOutput: (o) => process.env.HCP_TEST_VERBOSE && process.stderr.write(o),
        });
        expect(res.summary.result).to.equal("succeeded");
        expect(await client.get(tcpPath())).to.equal(undefined);
        expect(await client.get(dsPath())).to.equal(undefined);
        expect(await client.get(`/api/v1/namespaces/kamaji-system/secrets/${dsName}-etcd-ca`)).to.equal(undefined);
        expect(await client.get(`/api/v1/namespaces/kamaji-system/secrets/${dsName}-etcd-client`)).to.equal(undefined);
    });
});
