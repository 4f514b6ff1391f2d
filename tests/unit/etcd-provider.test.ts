// The EtcdHealth provider functions without a network (inputs that fail validation, unknowns,
// diff rules) and the resource's registration under pulumi.runtime.setMocks.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as provider from "../../provider/etcd/provider";
import { UNKNOWN } from "../../provider/etcd/logic";
import { createCertificateAuthority, issueCertificate, CertificateAndKey } from "../../lib/pki";

describe("etcd provider (no network)", () => {
    let ca: CertificateAndKey;
    let client: CertificateAndKey;
    let client2: CertificateAndKey;
    before(async () => {
        ca = await createCertificateAuthority("unit-etcd-ca", 1);
        client = await issueCertificate(ca, { commonName: "root", usages: ["client"], validity: 1 });
        client2 = await issueCertificate(ca, { commonName: "root", usages: ["client"], validity: 1 });
    });
    const inputs = () => ({
        endpoints: ["127.0.0.1:1", "127.0.0.1:3"],
        caCertificate: ca.certPem,
        clientCertificate: client.certPem,
        clientPrivateKey: client.keyPem,
    });

    describe("fails(level, failOn)", () => {
        const table: [string, string, boolean][] = [
            ["ok", "error", false],
            ["warning", "error", false],
            ["error", "error", true],
            ["ok", "warning", false],
            ["warning", "warning", true],
            ["error", "warning", true],
            ["error", "never", false],
            ["warning", "never", false],
        ];
        for (const [level, failOn, want] of table) {
            it(`${level} under failOn=${failOn}: ${want}`, () =>
                expect(provider.fails(level as any, failOn as any)).to.equal(want));
        }
    });

    describe("check without reaching etcd", () => {
        const cases: { name: string; news: () => any; failures: [string, RegExp][] }[] = [
            {
                name: "malformed PEM: failures name the properties, no health check",
                news: () => ({ ...inputs(), caCertificate: "nope", clientPrivateKey: client.certPem }),
                failures: [
                    ["caCertificate", /^caCertificate: must be a PEM certificate .*got text without any PEM block$/],
                    [
                        "clientPrivateKey",
                        /^clientPrivateKey: .*this looks like a certificate: swap it with the private key$/,
                    ],
                ],
            },
            {
                name: "bad failOn",
                news: () => ({ ...inputs(), failOn: "sometimes" }),
                failures: [["failOn", /^failOn: must be one of "error", "warning", "never"; got "sometimes"$/]],
            },
            {
                name: "http endpoint",
                news: () => ({ ...inputs(), endpoints: ["http://127.0.0.1:1"] }),
                failures: [["endpoints", /^endpoints\[0\]: must use https/]],
            },
            {
                name: "unknown endpoints at preview: skipped, no failure",
                news: () => ({ ...inputs(), endpoints: UNKNOWN }),
                failures: [],
            },
            {
                name: "unknown key at preview: skipped",
                news: () => ({ ...inputs(), clientPrivateKey: UNKNOWN }),
                failures: [],
            },
            {
                name: "unknown endpoints but a bad CA: the CA failure still shows",
                news: () => ({ ...inputs(), endpoints: [UNKNOWN], caCertificate: client.certPem }),
                failures: [
                    ["caCertificate", /is not a CA certificate/],
                    ["clientCertificate", /is not signed by caCertificate/],
                ],
            },
        ];
        for (const c of cases) {
            it(c.name, async () => {
                const news = c.news();
                const r = await provider.check({}, news);
                expect(r.inputs).to.equal(news);
                const f = r.failures ?? [];
                expect(f.map((x) => x.property)).to.deep.equal(c.failures.map(([p]) => p));
                c.failures.forEach(([, re], i) => expect(f[i].reason).to.match(re));
                for (const x of f) expect(x.reason).to.not.include(client.keyPem.split("\n")[1]);
            });
        }
    });

    describe("diff", () => {
        const olds = () => ({
            endpoints: ["127.0.0.1:1", "127.0.0.1:3"],
            failOn: "error",
            caCertificateFingerprints: [new crypto.X509Certificate(ca.certPem).fingerprint256],
            clientCertificateFingerprint: new crypto.X509Certificate(client.certPem).fingerprint256,
            level: "ok",
        });
        const cases: { name: string; news: () => any; changes: boolean }[] = [
            { name: "same inputs", news: () => inputs(), changes: false },
            { name: "failOn default equals 'error'", news: () => ({ ...inputs(), failOn: undefined }), changes: false },
            {
                name: "endpoint added",
                news: () => ({ ...inputs(), endpoints: ["127.0.0.1:1", "127.0.0.1:3", "127.0.0.1:5"] }),
                changes: true,
            },
            {
                name: "endpoints reordered",
                news: () => ({ ...inputs(), endpoints: ["127.0.0.1:3", "127.0.0.1:1"] }),
                changes: true,
            },
            {
                name: "new client certificate",
                news: () => ({ ...inputs(), clientCertificate: client2.certPem, clientPrivateKey: client2.keyPem }),
                changes: true,
            },
            { name: "new CA", news: () => ({ ...inputs(), caCertificate: client.certPem }), changes: true },
            { name: "unknown certificate", news: () => ({ ...inputs(), clientCertificate: UNKNOWN }), changes: true },
            { name: "timeout set", news: () => ({ ...inputs(), timeoutMs: 1000 }), changes: true },
            { name: "failOn changed", news: () => ({ ...inputs(), failOn: "never" }), changes: true },
        ];
        for (const c of cases) {
            it(c.name, async () => {
                const d = await provider.diff("id", olds(), c.news());
                expect(d.changes).to.equal(c.changes);
                expect(d.replaces).to.deep.equal([]);
            });
        }
    });

    it("read returns the stored outputs unchanged", async () => {
        const props = { level: "ok", healthyCount: 3 };
        expect(await provider.read("x", props)).to.deep.equal({ id: "x", props });
    });
});

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

describe("EtcdHealth resource (mocks)", () => {
    let registered: { type: string; name: string; inputs: any }[] = [];
    before(() => {
        registered = [];
        pulumi.runtime.setMocks(
            {
                newResource(args) {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                    return { id: `${args.name}-id`, state: { ...args.inputs, level: "ok", healthyCount: 3 } };
                },
                call: (args) => args.inputs,
            },
            "proj",
            "stack",
            false,
        );
    });

    it("registers as pulumi-nodejs:dynamic/hcp:EtcdHealth with the client key as a secret input", async () => {
        const { EtcdHealth } = await import("../../provider/etcd/resource");
        const r = new EtcdHealth("store", {
            endpoints: ["127.0.0.1:2379"],
            caCertificate: "ca-pem",
            clientCertificate: "cert-pem",
            clientPrivateKey: "key-pem",
        });
        const [urn, level] = await new Promise<[string, string]>((resolve) =>
            pulumi.all([r.urn, r.level]).apply((v) => resolve(v)),
        );
        expect(urn).to.match(/::pulumi-nodejs:dynamic\/hcp:EtcdHealth::store$/);
        expect(level).to.equal("ok");
        const reg = registered.find((x) => x.name === "store")!;
        expect(reg.type).to.equal("pulumi-nodejs:dynamic/hcp:EtcdHealth");
        expect(reg.inputs.endpoints).to.deep.equal(["127.0.0.1:2379"]);
        // The key reaches the provider as an input, marked secret (Pulumi's secret signature).
        expect(reg.inputs.clientPrivateKey).to.deep.equal({ [SIG_KEY]: SECRET_SIG, value: "key-pem" });
        expect(reg.inputs.clientCertificate).to.equal("cert-pem");
        // Only the provider module's path is serialized, never a secret.
        expect(reg.inputs.__provider).to.be.a("string");
        expect(reg.inputs.__provider).to.not.include("key-pem");
    });
});
