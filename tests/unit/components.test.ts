// Construction tests of the components with pulumi.runtime.setMocks: exact child types and names,
// the fields written into Kamaji's objects, security-relevant inputs (CA key referenced, Secret
// data secret), secretness of outputs, and the errors for invalid arguments.
// Over 400 lines: one describe per component under one mock engine (setMocks is process-wide).
import { expect } from "chai";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as componentsModule from "../../components";
import { caCertHash, CertificateAndKey, createCertificateAuthority, issueCertificate } from "../../lib/pki";

/** "PRIVATE KEY", spelled at run time: no PEM key header stands in a committed file. */
const PRIVATE_KEY = ["PRIVATE", "KEY"].join(" ");

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

interface Recorded {
    type: string;
    name: string;
    inputs: any;
    id?: string;
}

let recorded: Recorded[] = [];
let hcp: typeof componentsModule;
let tenantCa: CertificateAndKey;
const ADMIN_CONF = "apiVersion: v1\nkind: Config\nclusters: []\n# tenant admin\n";
/** The key every mocked PreparedHost reports as recorded (its `hostKey` output). */
const PREP_RECORDED_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHByZXBhcmF0aW9uIHJlY29yZGVkIHRoaXMga2V5IQ==";
/** The bastion key every mocked PreparedHost with a bastion reports as recorded (`bastionHostKey`). */
const PREP_RECORDED_BASTION_KEY =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJhc3Rpb24ga2V5IHJlY29yZGVkIG9uIGZpcnN0IHVzZQ==";

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** A value as the mock saw it: secrets are { [sig]: secretSig, value }. */
function isSecretInput(v: any): boolean {
    return v !== null && typeof v === "object" && v[SIG_KEY] === SECRET_SIG;
}
function unwrap(v: any): any {
    if (isSecretInput(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

/** Waits for pending registrations, then starts a new record. */
async function fresh(): Promise<void> {
    await settle();
    recorded = [];
}

async function settle(): Promise<void> {
    // Let registrations (which run asynchronously under mocks) reach the mock monitor.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
}

const byName = (name: string) => {
    const r = recorded.find((x) => x.name === name);
    if (!r) throw new Error(`no resource named ${name}; have ${recorded.map((x) => x.name).join(", ")}`);
    return r;
};

/** A string shaped like an OpenSSH private key (built at run time: no key is ever committed). */
const fakeOpenSshKey = () => `-----BEGIN OPENSSH ${PRIVATE_KEY}-----\nx\n-----END OPENSSH ${PRIVATE_KEY}-----\n`;

describe("components (mocked engine)", function () {
    this.timeout(20_000);
    let etcdCa: CertificateAndKey;
    let etcdClient: CertificateAndKey;

    before(async () => {
        // RSA, as Kamaji v1.0.0 needs; its key is PKCS#8 here, so the DataStore must rewrite it.
        etcdCa = await createCertificateAuthority("etcd-ca", 30, [], "rsa");
        etcdClient = await issueCertificate(etcdCa, {
            commonName: "root",
            organizations: ["system:masters"],
            usages: ["client"],
            validity: 30,
        });
        tenantCa = await createCertificateAuthority("tenant-ca", 30);
        pulumi.runtime.setMocks(
            {
                newResource(args) {
                    recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id: args.id });
                    if (args.type === "kubernetes:core/v1:Secret" && args.id) {
                        // A read of Kamaji's Secrets.
                        const data = args.id.endsWith("-admin-kubeconfig")
                            ? { "admin.conf": Buffer.from(ADMIN_CONF).toString("base64") }
                            : { "ca.crt": Buffer.from(tenantCa.certPem).toString("base64"), "ca.key": "c2VjcmV0" };
                        return { id: args.id, state: { data } };
                    }
                    if (args.type === "kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane") {
                        const ns = args.inputs.metadata.namespace;
                        return {
                            id: `${ns}/${args.inputs.metadata.name}`,
                            state: {
                                ...args.inputs,
                                status: {
                                    controlPlaneEndpoint: "192.0.2.50:6443",
                                    kubernetesResources: {
                                        version: { status: "Ready", version: args.inputs.spec.kubernetes.version },
                                    },
                                },
                            },
                        };
                    }
                    if (args.type === "pulumi-nodejs:dynamic/hcp:PreparedHost") {
                        const bastion = unwrap(args.inputs.connection)?.bastion;
                        return {
                            id: `${args.name}-id`,
                            state: {
                                ...args.inputs,
                                hostKey: PREP_RECORDED_KEY,
                                ...(bastion ? { bastionHostKey: PREP_RECORDED_BASTION_KEY } : {}),
                            },
                        };
                    }
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call(args) {
                    return args.inputs;
                },
            },
            "project",
            "stack",
            false,
        );
        hcp = await import("../../components");
    });

    beforeEach(() => {
        recorded = [];
    });

    const mgmtArgs = () => ({
        kubeconfig: "apiVersion: v1\nkind: Config\n",
        podCidrs: ["10.1.0.0/16"],
        serviceCidrs: ["10.2.0.0/16"],
        preflight: false,
    });

    /** A ManagementCluster and a DataStore named after `n`, for the HostedControlPlanes below to stand on. */
    const managementAndDataStore = (n: string) => {
        const m = new hcp.ManagementCluster(`${n}-m`, mgmtArgs());
        const ds = new hcp.DataStore(`${n}-ds`, {
            managementCluster: m,
            endpoints: ["etcd-0.example:2379"],
            tls: {
                caCertificate: etcdCa.certPem,
                caPrivateKey: etcdCa.keyPem,
                clientCertificate: etcdClient.certPem,
                clientPrivateKey: etcdClient.keyPem,
            },
        });
        return { m, ds };
    };
    /** A HostedControlPlane's arguments with only what it requires. */
    const minimalTenantArgs = (m: componentsModule.ManagementCluster, ds: componentsModule.DataStore) => ({
        managementCluster: m,
        dataStore: ds,
        kubernetesVersion: "v1.33.4",
        network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16" },
    });

    describe("ManagementCluster", () => {
        it("creates exactly one Kubernetes provider, named after the component, with the kubeconfig as a secret", async () => {
            const m = new hcp.ManagementCluster("mgmt", mgmtArgs());
            await settle();
            expect(recorded.map((r) => [r.type, r.name])).to.deep.equal([
                ["hcp:index:ManagementCluster", "mgmt"],
                ["pulumi:providers:kubernetes", "mgmt-provider"],
            ]);
            expect(await pulumi.isSecret(m.kubeconfig!)).to.equal(true);
            expect(m.podCidrs).to.deep.equal(["10.1.0.0/16"]);
            expect(await promiseOf(m.kamajiNamespace)).to.equal("kamaji-system");
            expect(await promiseOf(m.ready)).to.deep.equal({ checked: false, kamajiResources: [] });
        });

        it("uses a given provider and creates none", async () => {
            const k8s = await import("@pulumi/kubernetes");
            const p = new k8s.Provider("given", { kubeconfig: "x" });
            await fresh();
            const m = new hcp.ManagementCluster("mgmt2", { provider: p, preflight: false });
            await settle();
            expect(recorded.map((r) => r.type)).to.deep.equal(["hcp:index:ManagementCluster"]);
            expect(m.provider).to.equal(p);
            expect(m.kubeconfig).to.equal(undefined);
        });

        it("reports every invalid argument at once", () => {
            expect(
                () =>
                    new hcp.ManagementCluster("bad", {
                        podCidrs: ["10.1.0.0"],
                        serviceCidrs: ["10.2.0.1/16"],
                        kamajiNamespace: "Kamaji",
                    }),
            )
                .to.throw(hcp.ValidationError)
                .with.property(
                    "message",
                    "Invalid arguments for ManagementCluster bad (4 problems):\n" +
                        '  - podCidrs[0]: must be a CIDR such as "10.20.0.0/16"\n' +
                        '  - serviceCidrs[0]: has host bits set; use the network address "10.2.0.0/16"\n' +
                        '  - kubeconfig: either kubeconfig or provider is required: pass the management cluster\'s admin kubeconfig (e.g. cfg.requireSecret("mgmtKubeconfig"))\n' +
                        '  - kamajiNamespace: must be a namespace name (lower-case letters, digits and "-", at most 63) such as "kamaji-system"; got "Kamaji"',
                );
        });

        const httpKubeconfig = (server: string) =>
            [
                "apiVersion: v1",
                "kind: Config",
                "current-context: admin@mgmt",
                "contexts: [{name: admin@mgmt, context: {cluster: mgmt, user: admin}}]",
                `clusters: [{name: mgmt, cluster: {server: "${server}"}}, {name: other, cluster: {server: "http://192.0.2.9"}}]`,
                "users: [{name: admin, user: {token: abc}}]",
            ].join("\n");
        const HTTP_REASON =
            'cluster "mgmt" has the server http://192.0.2.1:8080, plain HTTP: the bearer tokens and credentials sent to the API server would cross the network in clear; use the API server\'s https:// URL, or set allowInsecureHttp: true to accept it knowingly (labs only)';

        it("refuses a kubeconfig with an http:// server at preview", () => {
            expect(
                () =>
                    new hcp.ManagementCluster("http1", {
                        ...mgmtArgs(),
                        kubeconfig: httpKubeconfig("http://192.0.2.1:8080"),
                    }),
            ).to.throw(`  - kubeconfig: ${HTTP_REASON}`);
        });

        it("refuses an http:// server in a kubeconfig known only later, before the provider gets it", async () => {
            const m = new hcp.ManagementCluster("http2", {
                ...mgmtArgs(),
                kubeconfig: pulumi.output(httpKubeconfig("http://192.0.2.1:8080")),
            });
            const error = await (m.kubeconfig as any).promise().then(
                () => undefined,
                (e: Error) => e,
            );
            expect(error).to.be.instanceOf(hcp.ValidationError);
            expect(error.message).to.include(`  - kubeconfig: ${HTTP_REASON}`);
        });

        it("accepts an http:// server with allowInsecureHttp: true, and https:// servers", async () => {
            const m = new hcp.ManagementCluster("http3", {
                ...mgmtArgs(),
                kubeconfig: httpKubeconfig("http://192.0.2.1:8080"),
                allowInsecureHttp: true,
            });
            expect(await promiseOf(m.kubeconfig!)).to.include("http://192.0.2.1:8080");
            // Only the cluster the current context uses counts.
            expect(
                require("../../components/managementCluster").kubeconfigHttpProblems(
                    httpKubeconfig("https://192.0.2.1:6443"),
                    false,
                ),
            ).to.deep.equal([]);
        });

        it("is an InputPropertiesError with the structured list", () => {
            try {
                new hcp.ManagementCluster("bad2", {});
                expect.fail("should throw");
            } catch (e) {
                expect(pulumi.InputPropertiesError.isInstance(e)).to.equal(true);
                expect((e as pulumi.InputPropertiesError).errors.map((x) => x.propertyPath)).to.deep.equal([
                    "kubeconfig",
                ]);
            }
        });
    });

    describe("DataStore", () => {
        const dsArgs = (
            m: componentsModule.ManagementCluster,
            extra: Partial<componentsModule.DataStoreArgs> = {},
        ): componentsModule.DataStoreArgs => ({
            managementCluster: m,
            endpoints: ["etcd-0.example:2379", "etcd-1.example:2379"],
            tls: {
                caCertificate: etcdCa.certPem,
                caPrivateKey: pulumi.secret(etcdCa.keyPem),
                clientCertificate: etcdClient.certPem,
                clientPrivateKey: pulumi.secret(etcdClient.keyPem),
            },
            ...extra,
        });

        /** The warnings components log while `fn` builds them (pulumi.log.warn, captured). */
        async function warningsOf(fn: () => void): Promise<string[]> {
            const seen: string[] = [];
            const original = pulumi.log.warn;
            (pulumi.log as any).warn = async (msg: string) => void seen.push(msg);
            try {
                fn();
                await settle();
            } finally {
                (pulumi.log as any).warn = original;
            }
            return seen;
        }

        it("reports when each certificate ends, and warns at preview for each inside expiryWarningDays", async () => {
            const m = new hcp.ManagementCluster("mx", mgmtArgs());
            await fresh();
            let ds!: componentsModule.DataStore;
            // The test certificates live 30 days: inside a 60-day window, outside a 10-day one.
            const warnings = await warningsOf(
                () => (ds = new hcp.DataStore("exp", dsArgs(m, { expiryWarningDays: 60 }))),
            );
            const expiry = await promiseOf(ds.certificateExpiry);
            expect(Object.keys(expiry)).to.deep.equal(["tls.caCertificate", "tls.clientCertificate"]);
            const caEnd = new Date(new crypto.X509Certificate(etcdCa.certPem).validTo).toISOString();
            expect(expiry["tls.caCertificate"]).to.equal(caEnd);
            expect(warnings).to.have.length(2);
            expect(warnings[0]).to.match(
                /^DataStore exp: tls\.caCertificate: the certificate expires in (29|30) day\(s\) \(notAfter .*inside the 60-day warning window\): issue a new etcd CA/,
            );
            expect(warnings[1]).to.match(/tls\.clientCertificate: .*pass a renewed tls\.clientCertificate/);
            const quiet = await warningsOf(() => new hcp.DataStore("exp2", dsArgs(m, { expiryWarningDays: 10 })));
            expect(quiet).to.deep.equal([]);
        });

        it("refuses a warning window, a validity or a rotateBefore outside their rules, naming each", () => {
            const m = new hcp.ManagementCluster("my", mgmtArgs());
            expect(
                () =>
                    new hcp.DataStore(
                        "badexp",
                        dsArgs(m, {
                            expiryWarningDays: 0,
                            clientCertificateValidityDays: 30,
                            rotateBefore: "tomorrow",
                        }),
                    ),
            )
                .to.throw(hcp.ValidationError)
                .with.property(
                    "message",
                    "Invalid arguments for DataStore badexp (3 problems):\n" +
                        "  - expiryWarningDays: must be a whole number of days from 1 to 3650 (how long before expiry a preview warns); got 0\n" +
                        "  - clientCertificateValidityDays: must be a whole number of days longer than the 30-day expiry warning window (expiryWarningDays), or every preview warns about a new certificate; got 30\n" +
                        '  - rotateBefore: must be an RFC 3339 instant such as "2027-01-01T00:00:00Z" (a minted certificate issued before it is renewed); got "tomorrow"',
                );
        });

        it("creates the CA Secret, the client Secret and the DataStore, with exact types and names", async () => {
            const m = new hcp.ManagementCluster("m1", mgmtArgs());
            await fresh();
            new hcp.DataStore("etcd", dsArgs(m));
            await settle();
            expect(recorded.map((r) => [r.type, r.name])).to.deep.equal([
                ["hcp:index:DataStore", "etcd"],
                ["kubernetes:core/v1:Secret", "etcd-ca"],
                ["kubernetes:core/v1:Secret", "etcd-client"],
                ["pulumi-nodejs:dynamic/hcp:EtcdHealth", "etcd-health"],
                ["kubernetes:kamaji.clastix.io/v1alpha1:DataStore", "etcd-datastore"],
                ["pulumi-nodejs:dynamic/hcp:DataStoreRelease", "etcd-release"],
            ]);
        });

        it("holds the DataStore's delete behind a release that keeps the kubeconfig secret", async () => {
            const m = new hcp.ManagementCluster("m1r", mgmtArgs());
            await fresh();
            const ds = new hcp.DataStore("etcdr", dsArgs(m, { name: "held" }));
            await settle();
            const release = byName("etcdr-release").inputs;
            expect(isSecretInput(release.kubeconfig)).to.equal(true);
            expect(release.dataStoreName).to.equal("held");
            // Tenants depend on the component, so its children (the release among them) go first.
            expect(ds.release).to.not.equal(undefined);
        });

        it("stores the CA key and the client key only as secrets, in the Kamaji namespace", async () => {
            const m = new hcp.ManagementCluster("m2", { ...mgmtArgs(), kamajiNamespace: "kamaji" });
            await fresh();
            new hcp.DataStore("etcd2", dsArgs(m, { name: "shared" }));
            await settle();
            const ca = byName("etcd2-ca").inputs;
            expect(isSecretInput(ca.data)).to.equal(true);
            expect(ca.metadata).to.deep.include({ name: "shared-etcd-ca", namespace: "kamaji" });
            expect(ca.type).to.equal("Opaque");
            const caData = unwrap(ca.data);
            expect(Object.keys(caData).sort()).to.deep.equal(["ca.crt", "ca.key"]);
            // Kamaji v1.0.0 parses only PKCS#1: the PKCS#8 key is rewritten, the same key.
            const caKeyPem = Buffer.from(caData["ca.key"], "base64").toString();
            expect(caKeyPem.startsWith(`-----BEGIN RSA ${PRIVATE_KEY}-----\n`)).to.equal(true);
            expect(crypto.createPrivateKey(caKeyPem).export({ type: "pkcs8", format: "pem" })).to.equal(
                crypto.createPrivateKey(etcdCa.keyPem).export({ type: "pkcs8", format: "pem" }),
            );
            const client = byName("etcd2-client").inputs;
            expect(isSecretInput(client.data)).to.equal(true);
            expect(client.type).to.equal("kubernetes.io/tls");
            expect(client.metadata).to.deep.include({ name: "shared-etcd-client", namespace: "kamaji" });
            const clientData = unwrap(client.data);
            expect(Buffer.from(clientData["tls.crt"], "base64").toString()).to.equal(etcdClient.certPem);
            expect(Buffer.from(clientData["tls.key"], "base64").toString()).to.equal(etcdClient.keyPem);
            expect(Buffer.from(clientData["ca.crt"], "base64").toString()).to.equal(etcdCa.certPem);
            // Nothing secret leaks into the DataStore object itself.
            expect(JSON.stringify(byName("etcd2-datastore").inputs)).not.to.include(PRIVATE_KEY);
        });

        it("writes the DataStore spec Kamaji expects: driver etcd, bare endpoints, CA cert AND key refs, client cert refs", async () => {
            const m = new hcp.ManagementCluster("m3", mgmtArgs());
            await fresh();
            const ds = new hcp.DataStore("etcd3", dsArgs(m));
            await settle();
            const cr = unwrap(byName("etcd3-datastore").inputs);
            expect(cr.apiVersion).to.equal("kamaji.clastix.io/v1alpha1");
            expect(cr.kind).to.equal("DataStore");
            expect(cr.metadata.name).to.equal("etcd3");
            // Kamaji v1.0.0's DataStore has no readiness in its status (only usedBy): nothing to await.
            expect(cr.metadata.annotations).to.deep.equal({
                "pulumi.com/deletionPropagationPolicy": "background",
            });
            expect(cr.spec).to.deep.equal({
                driver: "etcd",
                endpoints: ["etcd-0.example:2379", "etcd-1.example:2379"],
                tlsConfig: {
                    certificateAuthority: {
                        certificate: {
                            secretReference: { name: "etcd3-etcd-ca", namespace: "kamaji-system", keyPath: "ca.crt" },
                        },
                        privateKey: {
                            secretReference: { name: "etcd3-etcd-ca", namespace: "kamaji-system", keyPath: "ca.key" },
                        },
                    },
                    clientCertificate: {
                        certificate: {
                            secretReference: {
                                name: "etcd3-etcd-client",
                                namespace: "kamaji-system",
                                keyPath: "tls.crt",
                            },
                        },
                        privateKey: {
                            secretReference: {
                                name: "etcd3-etcd-client",
                                namespace: "kamaji-system",
                                keyPath: "tls.key",
                            },
                        },
                    },
                },
            });
            expect(await promiseOf(ds.dataStoreName)).to.equal("etcd3");
            expect(await pulumi.isSecret(ds.clientPrivateKey)).to.equal(true);
            // The health check gets the same identity Kamaji gets; the key only as a secret.
            const health = byName("etcd3-health").inputs;
            expect(health.endpoints).to.deep.equal(["etcd-0.example:2379", "etcd-1.example:2379"]);
            expect(isSecretInput(health.clientPrivateKey)).to.equal(true);
            expect(unwrap(health.clientPrivateKey)).to.equal(etcdClient.keyPem);
            expect(unwrap(health.caCertificate)).to.equal(etcdCa.certPem);
        });

        it("refuses at preview a CA key Kamaji v1.0.0 cannot use (EC), naming property, rule and fix", async () => {
            const m = new hcp.ManagementCluster("m-ec", mgmtArgs());
            const ecCa = await createCertificateAuthority("ec-ca", 30);
            const ds = new hcp.DataStore("etcd-ec", {
                ...dsArgs(m),
                tls: { ...dsArgs(m).tls, caCertificate: ecCa.certPem, caPrivateKey: pulumi.secret(ecCa.keyPem) },
            });
            // The Secret's data is where the key is rewritten; its Output carries the refusal.
            const message: string = await (ds.caSecret.data as any).promise().then(
                () => "the CA Secret was written",
                (e: Error) => e.message,
            );
            expect(message).to.include("Invalid arguments for DataStore etcd-ec");
            expect(message).to.include(
                "  - tls.caPrivateKey: must be an RSA key: Kamaji v1.0.0 signs the tenants' etcd client certificates only with an RSA CA key (it parses PKCS#1); got a ec key. Use an RSA CA for the etcd DataStore",
            );
            expect(message).to.not.include(`${PRIVATE_KEY}-----`);
        });

        it("waitForReady: false drops the readiness annotation; healthCheck: false drops EtcdHealth", async () => {
            const m = new hcp.ManagementCluster("m4", mgmtArgs());
            await fresh();
            new hcp.DataStore("etcd4", dsArgs(m, { waitForReady: false, healthCheck: false }));
            await settle();
            expect(recorded.map((r) => r.name)).to.deep.equal([
                "etcd4",
                "etcd4-ca",
                "etcd4-client",
                "etcd4-datastore",
                "etcd4-release",
            ]);
            expect(unwrap(byName("etcd4-datastore").inputs).metadata.annotations).to.deep.equal({
                "pulumi.com/deletionPropagationPolicy": "background",
            });
        });

        it("insecure: true accepts http:// endpoints and strips the scheme", async () => {
            const m = new hcp.ManagementCluster("m5", mgmtArgs());
            await fresh();
            new hcp.DataStore("etcd5", dsArgs(m, { endpoints: ["http://127.0.0.1:2379"], insecure: true }));
            await settle();
            expect(unwrap(byName("etcd5-datastore").inputs).spec.endpoints).to.deep.equal(["127.0.0.1:2379"]);
        });

        it("reports every invalid argument at once", () => {
            const m = new hcp.ManagementCluster("m6", mgmtArgs());
            expect(
                () =>
                    new hcp.DataStore("bad", {
                        managementCluster: m,
                        name: "Bad_Name",
                        endpoints: ["https://etcd-0:2379", "http://etcd-1:2379"],
                        tls: {
                            caCertificate: etcdCa.certPem,
                            caPrivateKey: undefined as any,
                            clientCertificate: etcdClient.certPem,
                        },
                    }),
            )
                .to.throw(hcp.ValidationError)
                .with.property(
                    "message",
                    "Invalid arguments for DataStore bad (5 problems):\n" +
                        "  - tls.caPrivateKey: is required: Kamaji signs a client certificate per tenant with the CA key (tlsConfig.certificateAuthority.privateKey)\n" +
                        "  - tls.clientPrivateKey: clientCertificate and clientPrivateKey go together: give both, or neither to have one minted from the CA\n" +
                        '  - name: must be a lower-case DNS name such as "cluster.local"; got "Bad_Name"\n' +
                        '  - endpoints[0]: must not carry a scheme: Kamaji adds "https://" itself; write "etcd-0:2379"\n' +
                        '  - endpoints[1]: "http://etcd-1:2379" is plaintext etcd: tenant data and credentials would cross the network unencrypted; serve etcd over TLS and write "etcd-1:2379", or set insecure: true to accept it knowingly',
                );
        });

        it("needs a client certificate when the management cluster gives no API access to reuse a minted one", () => {
            const m = new hcp.ManagementCluster("m7", mgmtArgs());
            expect(
                () =>
                    new hcp.DataStore("mint", {
                        managementCluster: m,
                        endpoints: ["e:2379"],
                        tls: { caCertificate: etcdCa.certPem, caPrivateKey: etcdCa.keyPem },
                    }),
            ).to.throw(
                "  - tls.clientCertificate: is required when the ManagementCluster has no kubeconfig (a minted certificate is reused from the cluster's Secret on later runs, which needs API access); pass clientCertificate and clientPrivateKey",
            );
        });
    });

    describe("HostedControlPlane", () => {
        it("creates the TenantRelease and the TenantControlPlane, reads Kamaji's two Secrets and creates a tenant provider; exact types and names", async () => {
            const { m, ds } = managementAndDataStore("a");
            await fresh();
            new hcp.HostedControlPlane("team-a", minimalTenantArgs(m, ds));
            await settle();
            expect(recorded.map((r) => [r.type, r.name, r.id ?? ""])).to.deep.equal([
                ["hcp:index:HostedControlPlane", "team-a", ""],
                ["pulumi-nodejs:dynamic/hcp:TenantRelease", "team-a-release", ""],
                ["kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane", "team-a-tcp", ""],
                ["kubernetes:core/v1:Secret", "team-a-admin-kubeconfig", "default/team-a-admin-kubeconfig"],
                ["kubernetes:core/v1:Secret", "team-a-ca", "default/team-a-ca"],
                ["pulumi:providers:kubernetes", "team-a-tenant", ""],
            ]);
        });

        it("writes the TenantControlPlane spec per Kamaji's CRD, with defaults", async () => {
            const { m, ds } = managementAndDataStore("b");
            await fresh();
            new hcp.HostedControlPlane("team-b", minimalTenantArgs(m, ds));
            await settle();
            const tcp = unwrap(byName("team-b-tcp").inputs);
            expect(tcp.apiVersion).to.equal("kamaji.clastix.io/v1alpha1");
            expect(tcp.kind).to.equal("TenantControlPlane");
            expect(tcp.metadata).to.deep.equal({
                name: "team-b",
                namespace: "default",
                labels: { "app.kubernetes.io/managed-by": "pulumi-hosted-control-plane" },
                annotations: {
                    "pulumi.com/waitFor": JSON.stringify([
                        "jsonpath={.status.kubernetesResources.version.status}=Ready",
                        "jsonpath={.status.kubernetesResources.version.version}=v1.33.4",
                        "jsonpath={.status.controlPlaneEndpoint}",
                    ]),
                    "pulumi.com/timeoutSeconds": "1200",
                    "pulumi.com/deletionPropagationPolicy": "background",
                },
            });
            expect(tcp.spec).to.deep.equal({
                dataStore: "b-ds",
                controlPlane: { deployment: { replicas: 2 }, service: { serviceType: "LoadBalancer" } },
                kubernetes: {
                    version: "v1.33.4",
                    // InternalIP first: Kamaji's default (Hostname first) breaks `kubectl logs` without DNS.
                    kubelet: { cgroupfs: "systemd", preferredAddressTypes: ["InternalIP", "ExternalIP", "Hostname"] },
                },
                networkProfile: {
                    port: 6443,
                    podCidr: "10.20.0.0/16",
                    serviceCidr: "10.21.0.0/16",
                    // Written out: Kamaji's webhook assumes 10.96.0.10 otherwise.
                    dnsServiceIPs: ["10.21.0.10"],
                },
                addons: {
                    coreDNS: {},
                    kubeProxy: {},
                    // Kamaji v1.0.0's KonnectivityAgentSpec has no mode: nothing but the version goes there.
                    konnectivity: { server: { port: 8132 }, agent: {} },
                },
            });
        });

        it("passes every documented argument through to the spec", async () => {
            const { m, ds } = managementAndDataStore("c");
            await fresh();
            new hcp.HostedControlPlane("team-c", {
                managementCluster: m,
                dataStore: ds,
                name: "tenant-c",
                namespace: "tenants",
                kubernetesVersion: pulumi.output("v1.34.1"),
                replicas: 3,
                serviceType: "NodePort",
                address: "192.0.2.10",
                port: 31443,
                certSANs: ["api.tenant-c.example"],
                serviceAnnotations: { "example.com/a": "b" },
                network: {
                    podCidr: "10.30.0.0/16",
                    serviceCidr: "10.31.0.0/16",
                    dnsServiceIPs: ["10.31.0.10"],
                },
                addons: {
                    coreDNS: { imageTag: "v1.11.3" },
                    kubeProxy: { imageRepository: "mirror.example", imageTag: "v1.34.1-custom" },
                    konnectivity: { serverPort: 32132, agentMode: "DaemonSet", version: "v0.30.3" },
                },
                kubeletCgroupDriver: "cgroupfs",
                kubeletPreferredAddressTypes: ["InternalIP"],
                readyTimeoutSeconds: 60,
            });
            await settle();
            const tcp = unwrap(byName("team-c-tcp").inputs);
            expect(tcp.metadata.name).to.equal("tenant-c");
            expect(tcp.metadata.namespace).to.equal("tenants");
            expect(tcp.metadata.annotations["pulumi.com/timeoutSeconds"]).to.equal("60");
            expect(tcp.spec).to.deep.equal({
                dataStore: "c-ds",
                controlPlane: {
                    deployment: { replicas: 3 },
                    service: { serviceType: "NodePort", additionalMetadata: { annotations: { "example.com/a": "b" } } },
                },
                kubernetes: {
                    version: "v1.34.1",
                    kubelet: { cgroupfs: "cgroupfs", preferredAddressTypes: ["InternalIP"] },
                },
                networkProfile: {
                    address: "192.0.2.10",
                    port: 31443,
                    certSANs: ["api.tenant-c.example"],
                    podCidr: "10.30.0.0/16",
                    serviceCidr: "10.31.0.0/16",
                    dnsServiceIPs: ["10.31.0.10"],
                },
                addons: {
                    // Kamaji v1.0.0 ignores a CoreDNS tag without a repository: the default is written.
                    coreDNS: { imageRepository: "registry.k8s.io", imageTag: "v1.11.3" },
                    kubeProxy: { imageRepository: "mirror.example", imageTag: "v1.34.1-custom" },
                    konnectivity: {
                        server: { port: 32132, version: "v0.30.3" },
                        agent: { version: "v0.30.3" },
                    },
                },
            });
            expect(byName("team-c-admin-kubeconfig").id).to.equal("tenants/tenant-c-admin-kubeconfig");
        });

        it("exposes endpoint, a secret kubeconfig from admin.conf, the CA and its kubeadm pin", async () => {
            const { m, ds } = managementAndDataStore("d");
            const cp = new hcp.HostedControlPlane("team-d", minimalTenantArgs(m, ds));
            expect(await promiseOf(cp.endpoint)).to.equal("192.0.2.50:6443");
            expect(await promiseOf(cp.kubeconfig)).to.equal(ADMIN_CONF);
            expect(await pulumi.isSecret(cp.kubeconfig)).to.equal(true);
            expect(await promiseOf(cp.caCertificate)).to.equal(tenantCa.certPem);
            expect(await pulumi.isSecret(cp.caCertificate)).to.equal(false);
            expect(await promiseOf(cp.caCertHash))
                .to.equal(caCertHash(tenantCa.certPem))
                .and.match(/^sha256:[0-9a-f]{64}$/);
            await settle();
            const tenantProvider = byName("team-d-tenant").inputs;
            expect(isSecretInput(tenantProvider.kubeconfig)).to.equal(true);
            expect(unwrap(tenantProvider.kubeconfig)).to.equal(ADMIN_CONF);
        });

        it("applies a CNI manifest to the tenant through the tenant provider", async () => {
            const { m, ds } = managementAndDataStore("e");
            await fresh();
            new hcp.HostedControlPlane("team-e", {
                ...minimalTenantArgs(m, ds),
                cniManifest: "apiVersion: v1\nkind: Namespace\nmetadata: {name: calico-system}\n",
            });
            await settle();
            const cni = byName("team-e-cni");
            expect(cni.type).to.equal("kubernetes:yaml/v2:ConfigGroup");
            expect(unwrap(cni.inputs.yaml)).to.include("calico-system");
        });

        it("records only the tenant's name, namespace and version as its inputs; the CNI manifest goes on as a secret", async () => {
            const { m, ds } = managementAndDataStore("s");
            await fresh();
            const manifest =
                "apiVersion: v1\nkind: Secret\nmetadata: {name: cni-credentials, namespace: kube-system}\nstringData: {token: cni-token-3f9a2c}\n";
            new hcp.HostedControlPlane("team-s", {
                ...minimalTenantArgs(m, ds),
                cniManifest: manifest,
            });
            await settle();
            const component = recorded.find((r) => r.type === "hcp:index:HostedControlPlane" && r.name === "team-s")!;
            expect(component.inputs).to.deep.equal({
                tenantName: "team-s",
                namespace: "default",
                kubernetesVersion: "v1.33.4",
            });
            const plainText = JSON.stringify(
                recorded.map((r) => (isSecretInput(r.inputs) ? {} : r.inputs)),
                (_k, v) => (isSecretInput(v) ? "[secret]" : v),
            );
            expect(plainText).not.to.include("cni-token-3f9a2c");
            const cni = byName("team-s-cni");
            expect(isSecretInput(cni.inputs.yaml)).to.equal(true);
            expect(unwrap(cni.inputs.yaml)).to.equal(manifest);
        });

        it("reports every invalid argument at once, each with property, rule and fix", () => {
            const { m, ds } = managementAndDataStore("f");
            expect(
                () =>
                    new hcp.HostedControlPlane("team-f", {
                        managementCluster: m,
                        dataStore: ds,
                        namespace: "Tenants",
                        kubernetesVersion: "1.33",
                        serviceType: "ClusterIP",
                        network: { podCidr: "10.1.0.0/16", serviceCidr: "10.21.0.0/16", dnsServiceIPs: ["10.96.0.10"] },
                    }),
            )
                .to.throw(hcp.ValidationError)
                .with.property(
                    "message",
                    "Invalid arguments for HostedControlPlane team-f (5 problems):\n" +
                        '  - namespace: must be a namespace name (lower-case letters, digits and "-", at most 63) such as "tenants"; got "Tenants"\n' +
                        '  - kubernetesVersion: must name a patch release, e.g. "v1.33.0"\n' +
                        "  - address: is required when serviceType is ClusterIP: Kamaji cannot discover an address to advertise; set the IP or DNS name workers use to reach the API server\n" +
                        "  - network.podCidr: 10.1.0.0/16 overlaps the management cluster's pod range 10.1.0.0/16; tenant ranges must be disjoint from the management cluster's, so pick another range\n" +
                        "  - network.dnsServiceIPs[0]: 10.96.0.10 is outside the service range 10.21.0.0/16; the DNS service IP must be a service address, e.g. 10.21.0.10",
                );
        });

        it("child names all start with the component name", async () => {
            const { m, ds } = managementAndDataStore("g");
            await fresh();
            new hcp.HostedControlPlane("team-g", minimalTenantArgs(m, ds));
            await settle();
            expect(recorded.length).to.be.greaterThan(0);
            for (const r of recorded.filter((x) => x.type !== "hcp:index:HostedControlPlane"))
                expect(r.name.startsWith("team-g-"), r.name).to.equal(true);
        });
    });
    describe("WorkerPool", () => {
        const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        /** A HostedControlPlane for the pools to join, named after `n`. */
        const setup = (n: string) => {
            const { m, ds } = managementAndDataStore(n);
            return new hcp.HostedControlPlane(`${n}-cp`, minimalTenantArgs(m, ds));
        };

        it("creates one NodeJoin per host, named after the host (not the pool), with secret credentials", async () => {
            const cp = setup("wp1");
            await fresh();
            const pool = new hcp.WorkerPool("pool1", {
                controlPlane: cp,
                hosts: [
                    {
                        address: "198.18.0.11",
                        user: "ops",
                        privateKey: fakeOpenSshKey(),
                        hostKey,
                    },
                    {
                        address: "198.18.0.12",
                        password: "pw",
                        hostKey,
                        labels: { "example.com/role": "gpu" },
                        taints: [{ key: "gpu", effect: "NoSchedule" }],
                    },
                ],
            });
            await settle();
            expect(recorded.map((r) => [r.type, r.name])).to.have.deep.members([
                ["hcp:index:WorkerPool", "pool1"],
                ["pulumi-nodejs:dynamic/hcp:PreparedHost", "host-198-18-0-11-prep"],
                ["pulumi-nodejs:dynamic/hcp:PreparedHost", "host-198-18-0-12-prep"],
                ["pulumi-nodejs:dynamic/hcp:NodeJoin", "host-198-18-0-11-join"],
                ["pulumi-nodejs:dynamic/hcp:NodeJoin", "host-198-18-0-12-join"],
            ]);
            expect(recorded).to.have.length(5);
            const p1 = byName("host-198-18-0-11-prep").inputs;
            expect(unwrap(p1.connection)).to.include({ address: "198.18.0.11", user: "ops", hostKey });
            expect(isSecretInput(p1.connection)).to.equal(true);
            expect(p1.kubernetesVersion).to.equal("v1.33.4");
            expect(p1.packageSource).to.deep.equal({ kind: "apt" });
            const j1 = byName("host-198-18-0-11-join").inputs;
            expect(isSecretInput(j1.connection)).to.equal(true);
            expect(unwrap(j1.connection)).to.include({ address: "198.18.0.11", user: "ops", hostKey });
            expect(isSecretInput(j1.tenantKubeconfig)).to.equal(true);
            expect(j1.nodeName).to.equal("198.18.0.11");
            expect(j1.kubernetesVersion).to.equal("v1.33.4");
            expect(j1.apiEndpoint).to.equal("192.0.2.50:6443");
            expect(j1.caCertHash).to.equal(caCertHash(tenantCa.certPem));
            // One disruption budget for the pool's upgrades (provider/kubeadm/rollout.ts).
            expect(j1.rollout).to.deep.equal({ pool: "WorkerPool pool1", maxUnavailable: 1 });
            const j2 = unwrap(byName("host-198-18-0-12-join").inputs);
            expect(j2.labels).to.deep.equal({ "example.com/role": "gpu" });
            expect(j2.taints).to.deep.equal([{ key: "gpu", effect: "NoSchedule" }]);
            expect(Object.keys(pool.joins)).to.deep.equal(["198.18.0.11", "198.18.0.12"]);
        });

        it("with trustOnFirstUse, pins each join to the key its preparation recorded, unless hostKey is given", async () => {
            const cp = setup("wp4");
            await fresh();
            new hcp.WorkerPool("pool4", {
                controlPlane: cp,
                trustOnFirstUse: true,
                hosts: [
                    { address: "198.18.0.41", privateKey: fakeOpenSshKey() },
                    { address: "198.18.0.42", privateKey: fakeOpenSshKey(), hostKey },
                ],
            });
            await settle();
            const j1 = unwrap(byName("host-198-18-0-41-join").inputs.connection);
            expect(j1).to.include({ address: "198.18.0.41", hostKey: PREP_RECORDED_KEY, trustOnFirstUse: true });
            const j2 = unwrap(byName("host-198-18-0-42-join").inputs.connection);
            expect(j2).to.include({ address: "198.18.0.42", hostKey });
        });

        it("reaches a host through its bastion, whose key the join pins as its preparation recorded it", async () => {
            const cp = setup("wp9");
            await fresh();
            new hcp.WorkerPool("pool9", {
                controlPlane: cp,
                trustOnFirstUse: true,
                hosts: [
                    {
                        address: "198.18.0.91",
                        privateKey: fakeOpenSshKey(),
                        bastion: { address: "198.18.0.90", user: "jump", privateKey: fakeOpenSshKey() },
                    },
                ],
            });
            await settle();
            const prep = unwrap(byName("host-198-18-0-91-prep").inputs.connection);
            expect(prep.bastion).to.include({ address: "198.18.0.90", user: "jump", trustOnFirstUse: true });
            const join = unwrap(byName("host-198-18-0-91-join").inputs.connection);
            expect(join.bastion).to.include({ address: "198.18.0.90", user: "jump", trustOnFirstUse: true });
            expect(join.bastion.privateKey).to.equal(fakeOpenSshKey());
            // Without bastion.hostKey, the join is pinned to the bastion key its preparation recorded.
            expect(join.bastion.hostKey).to.equal(PREP_RECORDED_BASTION_KEY);
        });

        it("asks for a bastion's hostKey unless the pool trusts on first use", () => {
            const cp = setup("wp10");
            expect(
                () =>
                    new hcp.WorkerPool("pool10", {
                        controlPlane: cp,
                        hosts: [
                            {
                                address: "198.18.0.101",
                                privateKey: fakeOpenSshKey(),
                                hostKey,
                                bastion: { address: "198.18.0.100" },
                            },
                        ],
                    }),
            )
                .to.throw(hcp.ValidationError)
                .with.property("message")
                .that.includes("  - hosts[0].bastion.hostKey: required unless trustOnFirstUse is true: ");
        });

        it("reports every invalid host at once", () => {
            const cp = setup("wp2");
            expect(
                () =>
                    new hcp.WorkerPool("pool2", {
                        controlPlane: cp,
                        hosts: [
                            { address: "198.18.0.21", hostKey: "ssh-ed25519 AAAA" },
                            { address: "198.18.0.21", privateKey: "k", hostKey, nodeName: "Node_1" },
                        ],
                        kubernetesVersion: "v1.33",
                        maxUnavailable: 0,
                    }),
            )
                .to.throw(hcp.ValidationError)
                .that.satisfies((e: componentsModule.ValidationError) => {
                    expect(e.errors.map((x) => x.propertyPath)).to.deep.equal([
                        "hosts[0]",
                        "hosts[0].hostKey",
                        "hosts[1].address",
                        "kubernetesVersion",
                        "maxUnavailable",
                        "hosts[1].nodeName",
                    ]);
                    expect(e.message).to.include(
                        "  - hosts[0]: needs credentials: set privateKey (preferred) or password\n",
                    );
                    expect(e.message).to.include(
                        "  - hosts[1].address: 198.18.0.21 is listed twice (also hosts[0]); list each host once\n",
                    );
                    return true;
                });
        });

        it("refuses a host that another pool of the stack already has", () => {
            const cp = setup("wp3");
            new hcp.WorkerPool("pool3a", {
                controlPlane: cp,
                hosts: [{ address: "198.18.0.31", privateKey: "k", hostKey }],
            });
            expect(
                () =>
                    new hcp.WorkerPool("pool3b", {
                        controlPlane: cp,
                        hosts: [{ address: "198.18.0.31", privateKey: "k", hostKey }],
                    }),
            ).to.throw(
                '  - hosts[0].address: 198.18.0.31 already belongs to WorkerPool "pool3a" in this stack; a host can join one pool only: remove it from one of them',
            );
        });

        it("refuses a Node name that a host of another pool of the stack already has", () => {
            const cp = setup("wp5");
            new hcp.WorkerPool("pool5a", {
                controlPlane: cp,
                hosts: [
                    { address: "198.18.0.51", privateKey: "k", hostKey },
                    { address: "198.18.0.52", privateKey: "k", hostKey, nodeName: "worker-1" },
                ],
            });
            expect(
                () =>
                    new hcp.WorkerPool("pool5b", {
                        controlPlane: cp,
                        hosts: [
                            { address: "198.18.0.53", privateKey: "k", hostKey, nodeName: "worker-1" },
                            { address: "198.18.0.54", privateKey: "k", hostKey, nodeName: "198.18.0.51" },
                        ],
                    }),
            )
                .to.throw(hcp.ValidationError)
                .that.satisfies((e: componentsModule.ValidationError) => {
                    expect(e.errors).to.deep.equal([
                        {
                            propertyPath: "hosts[0].nodeName",
                            reason: '"worker-1" is also the nodeName of hosts[1] in WorkerPool "pool5a" in this stack; two hosts with one Node name would become one Node: give each host its own nodeName',
                        },
                        {
                            propertyPath: "hosts[1].nodeName",
                            reason: '"198.18.0.51" is also the nodeName of hosts[0] in WorkerPool "pool5a" in this stack; two hosts with one Node name would become one Node: give each host its own nodeName',
                        },
                    ]);
                    return true;
                });
        });

        it("refuses two hosts of one pool with one Node name", () => {
            const cp = setup("wp6");
            expect(
                () =>
                    new hcp.WorkerPool("pool6", {
                        controlPlane: cp,
                        hosts: [
                            { address: "198.18.0.61", privateKey: "k", hostKey, nodeName: "worker-1" },
                            { address: "198.18.0.62", privateKey: "k", hostKey, nodeName: "worker-1" },
                        ],
                    }),
            ).to.throw(
                '  - hosts[1].nodeName: "worker-1" is also the nodeName of hosts[0] in WorkerPool "pool6"; two hosts with one Node name would become one Node: give each host its own nodeName',
            );
        });

        it("refuses an inet_aton shorthand of a host another pool has, telling the dotted-decimal form", () => {
            const cp = setup("wp7");
            new hcp.WorkerPool("pool7a", {
                controlPlane: cp,
                hosts: [{ address: "198.18.0.14", privateKey: "k", hostKey }],
            });
            for (const address of ["0xc6.18.0.14", "3323068430", "198.18.14"]) {
                expect(
                    () =>
                        new hcp.WorkerPool(`pool7-${address}`, {
                            controlPlane: cp,
                            hosts: [{ address, privateKey: "k", hostKey, nodeName: "other" }],
                        }),
                ).to.throw(`write "198.18.0.14"`);
            }
            expect(
                () =>
                    new hcp.WorkerPool("pool7c", {
                        controlPlane: cp,
                        hosts: [{ address: "300.1.1.1", privateKey: "k", hostKey }],
                    }),
            ).to.throw("is neither an IPv4 address");
        });

        it("refuses maxUnavailable above the pool's host count", () => {
            const cp = setup("wp8");
            expect(
                () =>
                    new hcp.WorkerPool("pool8", {
                        controlPlane: cp,
                        hosts: [{ address: "198.18.0.81", privateKey: "k", hostKey }],
                        maxUnavailable: 2,
                    }),
            ).to.throw(
                "  - maxUnavailable: is 2, more than the pool's 1 host: at most 1 can be drained at once; set it to 1 or less",
            );
        });
    });
});
