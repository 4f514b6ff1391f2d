// lib/pki: parsing, key matching, chains, minting and the client TLS bundle rules.
// Over 400 lines: table-driven, one table per rule.
import { expect } from "chai";
import * as crypto from "crypto";
import {
    caCertHash,
    createCertificateAuthority,
    describePem,
    isSignedBy,
    issueCertificate,
    keyMatchesCertificate,
    parseCertificate,
    parseCertificates,
    parsePrivateKey,
    sha256Fingerprint,
    subjectAttribute,
    validateClientTlsBundle,
    validityReason,
    CertificateAndKey,
} from "../../lib/pki";

// Public certificates made with openssl (keys discarded); the expected values were printed by
//   openssl x509 -in ca.crt -pubkey -noout | openssl pkey -pubin -outform der | sha256sum
//   openssl x509 -in ca.crt -noout -fingerprint -sha256
const OPENSSL_EC_CA = `-----BEGIN CERTIFICATE-----
MIIBgDCCASegAwIBAgIUEoOyjcgfntmk/8JyUVoqzjlcPjgwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKZml4dHVyZS1jYTAgFw0yNjExMjUxODExMjJaGA8yMTI2MTEw
MTE4MTEyMlowFTETMBEGA1UEAwwKZml4dHVyZS1jYTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABAhrKSRtJvCo05pAlGMpsj1FbC7VsqIllScNowyU980mhwEbVj+S
NmbsA3c3Da/fmbN9JoS/DKQzW2kOz3i/5tmjUzBRMB0GA1UdDgQWBBTBkferkAtb
SEEFQKyreJXEhhxBLjAfBgNVHSMEGDAWgBTBkferkAtbSEEFQKyreJXEhhxBLjAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIHQyrqJc+UDA89j+0FbN
bFVTT2KUCoV/Pbio/SoGcdQcAiB7QTXb/dRrg6Z5V2KQnm/WU/E2Cz+Por/OiVUo
UDilKw==
-----END CERTIFICATE-----
`;
const OPENSSL_RSA_CA = `-----BEGIN CERTIFICATE-----
MIIDFTCCAf2gAwIBAgIUBfuEMYTxFgrqqV94nb4qdwDE0LcwDQYJKoZIhvcNAQEL
BQAwGTEXMBUGA1UEAwwOZml4dHVyZS1yc2EtY2EwIBcNMjYxMTI1MTgxMTIzWhgP
MjEyNjExMDExODExMjNaMBkxFzAVBgNVBAMMDmZpeHR1cmUtcnNhLWNhMIIBIjAN
BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtWn3X2PgHnjVuRhFDijWhbHHeEOS
fSXM09+kzdVeYzvgzK2GxR36OQjZo1M+cW+dKZmj1i8ELt+kB08EvTtbJPwHZvHM
NZNCJvFAl1Akc1Cxtx80gys+Gq27G8PHfh1BFa/I4hV1JQieWjMYUy3aWKPwYDIr
X0zbmgQEheP0QMDbXsWwG/ujrGFaW3wN6CYVDcn7PsK3uMOA9e7UQGe3z0ogeGqL
zrt+156oiVd6Sb2Ir4qh3VGab6hDuud2FlXdFqBbLG+nrgl2NsWxU0tG8v10hCYl
D3Mpd8q7uZg6wvELGtUCmEX+sFx5z3IMrE7e33a1suztFDjTCZyrFqXZnQIDAQAB
o1MwUTAdBgNVHQ4EFgQUC1RyQdBqbaDXDnZABb7JdGr6QLUwHwYDVR0jBBgwFoAU
C1RyQdBqbaDXDnZABb7JdGr6QLUwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B
AQsFAAOCAQEAiiJMb2acdavzsJFoR/MI3kSlv8ko7eUvthfxD4aUaNWwKvo0dX7M
V6xNe9bJp6uIWoO1yhy6YU1Xm9QJvIFObER0VlmAGD1BjNmaNhkwmHSkG6wdXBmV
I6dk0v4w+0NP3NjyVgzibWpZBvPNQTHBp7nbiE4hAREmt/5P6IRivYR4fbW+eIrP
BnTAxAdG0T4yyo7XYHBB0Yxl35+O4qJeB7sKn5uCq5XN0y8G4XYZcs08pL5wQFrS
ZxU/vlMjsowbNl+ZGLhRZzcX3jTQS7w9R3uZJ3ej1NQmNCLbImziyIdnKQCpMEkm
kUeSvd4E/N/kiBKkrKC38QmN9zkuOXhpcg==
-----END CERTIFICATE-----
`;

/** A PEM-shaped block, built at run time so that no key-shaped text is committed. */
function fakePem(label: string, body: string): string {
    const dashes = "-".repeat(5);
    return `${dashes}BEGIN ${label}${dashes}\n${body}\n${dashes}END ${label}${dashes}\n`;
}

describe("pki: caCertHash and fingerprints (against openssl)", () => {
    const cases = [
        {
            name: "EC P-256 CA",
            pem: OPENSSL_EC_CA,
            hash: "sha256:e9dfa5d7b65417cd6715d2e40444f584323bd1fd5df7e9a3fc8c600d181b2970",
        },
        {
            name: "RSA 2048 CA",
            pem: OPENSSL_RSA_CA,
            hash: "sha256:75e1ec8c565d55829bf3a0fe5ea9df9aa345d76ee555df9d15323d46e50ed78d",
        },
        {
            name: "CRLF line endings",
            pem: OPENSSL_EC_CA.replace(/\n/g, "\r\n"),
            hash: "sha256:e9dfa5d7b65417cd6715d2e40444f584323bd1fd5df7e9a3fc8c600d181b2970",
        },
        {
            name: "text around the block",
            pem: "subject=CN=fixture-ca\n" + OPENSSL_EC_CA + "trailer\n",
            hash: "sha256:e9dfa5d7b65417cd6715d2e40444f584323bd1fd5df7e9a3fc8c600d181b2970",
        },
        {
            name: "bundle: first certificate wins",
            pem: OPENSSL_EC_CA + OPENSSL_RSA_CA,
            hash: "sha256:e9dfa5d7b65417cd6715d2e40444f584323bd1fd5df7e9a3fc8c600d181b2970",
        },
    ];
    for (const c of cases) {
        it(`caCertHash: ${c.name}`, () => {
            expect(caCertHash(c.pem)).to.equal(c.hash);
        });
    }
    it("sha256Fingerprint matches `openssl x509 -fingerprint -sha256`", () => {
        expect(sha256Fingerprint(OPENSSL_EC_CA)).to.equal(
            "81:A0:BD:8D:AA:81:23:54:1E:CF:12:29:17:25:3F:D1:2A:91:C9:B5:2E:8B:B9:1F:30:40:A7:6D:69:45:34:80",
        );
    });
    it("caCertHash is the SPKI hash, not the certificate hash", () => {
        const der = parseCertificate(OPENSSL_EC_CA, "ca").raw;
        const certHash = crypto.createHash("sha256").update(der).digest("hex");
        expect(caCertHash(OPENSSL_EC_CA)).to.not.include(certHash);
    });
});

describe("pki: malformed PEM names the property and never echoes the content", () => {
    const KEY = fakePem("PRIVATE KEY", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRETSECRET");
    const cases: { name: string; input: unknown; expect: RegExp }[] = [
        {
            name: "undefined",
            input: undefined,
            expect: /^caCertificate: must be a PEM certificate .*got nothing \(the value is missing\)$/,
        },
        { name: "number", input: 42, expect: /^caCertificate: .*got a number, not a string$/ },
        { name: "empty", input: "  \n", expect: /^caCertificate: .*got an empty string$/ },
        { name: "plain text", input: "hello world", expect: /^caCertificate: .*got text without any PEM block$/ },
        {
            name: "base64 without armour",
            input: "MIIBgDCCASegAwIBAgIU",
            expect: /^caCertificate: .*base64 text without PEM armour/,
        },
        {
            name: "truncated",
            input: OPENSSL_EC_CA.slice(0, 200),
            expect: /^caCertificate: .*without a matching END line/,
        },
        {
            name: "a private key",
            input: KEY,
            expect: /^caCertificate: .*labelled "PRIVATE KEY"; this looks like a private key: swap it/,
        },
        {
            name: "a CSR",
            input: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            expect: /labelled "CERTIFICATE REQUEST"$/,
        },
        {
            name: "garbage DER",
            input: "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n",
            expect: /^caCertificate: .*the certificate is not valid DER .*re-export it$/,
        },
    ];
    for (const c of cases) {
        it(`parseCertificate: ${c.name}`, () => {
            let err: Error | undefined;
            try {
                parseCertificate(c.input, "caCertificate");
            } catch (e) {
                err = e as Error;
            }
            expect(err, "should throw").to.be.instanceOf(Error);
            expect(err!.message).to.match(c.expect);
            expect(err!.message).to.not.include("SECRET");
            expect((err as any).propertyPath).to.equal("caCertificate");
        });
    }

    const keyCases: { name: string; input: unknown; expect: RegExp }[] = [
        {
            name: "empty",
            input: "",
            expect: /^clientPrivateKey: must be an unencrypted PEM private key .*got an empty string$/,
        },
        {
            name: "a certificate",
            input: OPENSSL_EC_CA,
            expect: /^clientPrivateKey: .*this looks like a certificate: swap it with the private key$/,
        },
        {
            name: "encrypted PKCS#8",
            input: fakePem("ENCRYPTED PRIVATE KEY", "AAAA"),
            expect: /got an encrypted key: decrypt it/,
        },
        {
            name: "encrypted legacy PEM",
            input: fakePem("EC PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA"),
            expect: /got an encrypted key/,
        },
        {
            name: "corrupt key",
            input: KEY,
            expect: /^clientPrivateKey: .*the "PRIVATE KEY" block is not a valid key .*re-export it$/,
        },
        { name: "two keys", input: KEY + KEY, expect: /got 2 private keys, expected one/ },
    ];
    for (const c of keyCases) {
        it(`parsePrivateKey: ${c.name}`, () => {
            expect(() => parsePrivateKey(c.input, "clientPrivateKey")).to.throw(c.expect);
            try {
                parsePrivateKey(c.input, "clientPrivateKey");
            } catch (e) {
                expect((e as Error).message).to.not.include("SECRET");
            }
        });
    }

    it("describePem never returns the content", () => {
        expect(describePem("p@ssw0rd-not-a-pem")).to.equal("text without any PEM block");
    });
});

describe("pki: minting (ECDSA P-256)", function () {
    let ca: CertificateAndKey;
    let otherCa: CertificateAndKey;
    let server: CertificateAndKey;
    let client: CertificateAndKey;
    const now = new Date();
    before(async () => {
        ca = await createCertificateAuthority("unit-ca", 10);
        otherCa = await createCertificateAuthority("other-ca", 10);
        server = await issueCertificate(ca, {
            commonName: "etcd-0",
            dnsNames: ["localhost", "etcd-0.example"],
            ipAddresses: ["127.0.0.1", "::1"],
            usages: ["server", "client"],
            validity: 5,
        });
        client = await issueCertificate(ca, {
            commonName: "root",
            organizations: ["system:masters"],
            usages: ["client"],
            validity: 5,
        });
    });

    it("CA: self-signed, CA:TRUE, P-256, PKCS#8 key", () => {
        const c = parseCertificate(ca.certPem, "ca");
        expect(c.ca).to.equal(true);
        expect(isSignedBy(c, c)).to.equal(true);
        expect(c.publicKey.asymmetricKeyDetails?.namedCurve).to.equal("prime256v1");
        expect(ca.keyPem).to.match(new RegExp(`^${fakePem("PRIVATE KEY", "").split("\n")[0]}\n`));
        expect(keyMatchesCertificate(c, parsePrivateKey(ca.keyPem, "k"))).to.equal(true);
        expect(caCertHash(ca.certPem)).to.match(/^sha256:[0-9a-f]{64}$/);
    });

    it("server certificate: SANs, usages, chain, validity", () => {
        const c = parseCertificate(server.certPem, "server");
        expect(c.ca).to.equal(false);
        expect(c.subjectAltName).to.equal(
            "DNS:localhost, DNS:etcd-0.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        );
        expect(c.keyUsage).to.have.members(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
        expect(c.checkIP("127.0.0.1")).to.equal("127.0.0.1");
        expect(isSignedBy(c, parseCertificate(ca.certPem, "ca"))).to.equal(true);
        expect(isSignedBy(c, parseCertificate(otherCa.certPem, "ca"))).to.equal(false);
        const days = (new Date(c.validTo).getTime() - now.getTime()) / 86_400_000;
        expect(days).to.be.within(4.99, 5.01);
    });

    it("client certificate: CN and O as kamaji-etcd's root", () => {
        const c = parseCertificate(client.certPem, "client");
        expect(subjectAttribute(c, "CN")).to.deep.equal(["root"]);
        expect(subjectAttribute(c, "O")).to.deep.equal(["system:masters"]);
        expect(c.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.2"]);
    });

    it("a CA minted elsewhere (openssl, SEC1 key) can sign", async () => {
        // An EC key in SEC1 form, as `openssl ecparam -genkey` writes it.
        const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
        const sec1 = privateKey.export({ type: "sec1", format: "pem" }).toString();
        const pk = parsePrivateKey(sec1, "k");
        expect(pk.asymmetricKeyType).to.equal("ec");
    });

    const rejects: { name: string; run: () => Promise<unknown>; expect: RegExp }[] = [
        {
            name: "empty CN",
            run: () => createCertificateAuthority("", 1),
            expect: /^commonName: must be a non-empty string$/,
        },
        {
            name: "negative validity",
            run: () => createCertificateAuthority("x", -1),
            expect: /^validity: must be a positive number of days/,
        },
        {
            name: "inverted window",
            run: () => createCertificateAuthority("x", { notBefore: new Date(2), notAfter: new Date(1) }),
            expect: /^validity: notAfter must be a Date after notBefore$/,
        },
        {
            name: "no usages",
            run: () => issueCertificate(ca, { commonName: "x", usages: [], validity: 1 }),
            expect: /^usages: must list/,
        },
        {
            name: "bad usage",
            run: () => issueCertificate(ca, { commonName: "x", usages: ["peer" as any], validity: 1 }),
            expect: /^usages: "peer" is not one of/,
        },
        {
            name: "bad IP",
            run: () =>
                issueCertificate(ca, {
                    commonName: "x",
                    ipAddresses: ["127.0.0.256"],
                    usages: ["server"],
                    validity: 1,
                }),
            expect: /^ipAddresses: "127.0.0.256" is not an IPv4 or IPv6 address$/,
        },
        {
            name: "leaf as CA",
            run: () => issueCertificate(server, { commonName: "x", usages: ["client"], validity: 1 }),
            expect: /^ca.certPem: .*is not a CA certificate/,
        },
        {
            name: "CA key mismatch",
            run: () =>
                issueCertificate(
                    { certPem: ca.certPem, keyPem: otherCa.keyPem },
                    { commonName: "x", usages: ["client"], validity: 1 },
                ),
            expect: /^ca.keyPem: does not match ca.certPem/,
        },
        {
            name: "CA key is a cert",
            run: () =>
                issueCertificate(
                    { certPem: ca.certPem, keyPem: ca.certPem },
                    { commonName: "x", usages: ["client"], validity: 1 },
                ),
            expect: /^ca.keyPem: must be an unencrypted PEM private key/,
        },
    ];
    for (const r of rejects) {
        it(`rejects: ${r.name}`, async () => {
            let err: Error | undefined;
            try {
                await r.run();
            } catch (e) {
                err = e as Error;
            }
            expect(err, "should reject").to.be.instanceOf(Error);
            expect(err!.message).to.match(r.expect);
        });
    }

    describe("validateClientTlsBundle", () => {
        type Case = {
            name: string;
            bundle: () => { caCertificate: unknown; clientCertificate: unknown; clientPrivateKey: unknown };
            at?: Date;
            expect: [string, RegExp][];
        };
        let expired: CertificateAndKey;
        let serverOnly: CertificateAndKey;
        before(async () => {
            expired = await issueCertificate(ca, {
                commonName: "old",
                usages: ["client"],
                validity: {
                    notBefore: new Date(Date.now() - 10 * 86_400_000),
                    notAfter: new Date(Date.now() - 86_400_000),
                },
            });
            serverOnly = await issueCertificate(ca, { commonName: "srv", usages: ["server"], validity: 1 });
        });
        const cases: Case[] = [
            {
                name: "valid",
                bundle: () => ({
                    caCertificate: ca.certPem,
                    clientCertificate: client.certPem,
                    clientPrivateKey: client.keyPem,
                }),
                expect: [],
            },
            {
                name: "CA bundle containing the issuer",
                bundle: () => ({
                    caCertificate: otherCa.certPem + ca.certPem,
                    clientCertificate: client.certPem,
                    clientPrivateKey: client.keyPem,
                }),
                expect: [],
            },
            {
                name: "client cert from another CA",
                bundle: () => ({
                    caCertificate: otherCa.certPem,
                    clientCertificate: client.certPem,
                    clientPrivateKey: client.keyPem,
                }),
                expect: [
                    [
                        "clientCertificate",
                        /^"root" \(issuer "CN=unit-ca"\) is not signed by caCertificate \("CN=other-ca"\); use a client certificate issued by the DataStore's CA$/,
                    ],
                ],
            },
            {
                name: "key of another certificate",
                bundle: () => ({
                    caCertificate: ca.certPem,
                    clientCertificate: client.certPem,
                    clientPrivateKey: server.keyPem,
                }),
                expect: [["clientPrivateKey", /^does not match the public key of clientCertificate "root"/]],
            },
            {
                name: "leaf passed as CA",
                bundle: () => ({
                    caCertificate: server.certPem,
                    clientCertificate: client.certPem,
                    clientPrivateKey: client.keyPem,
                }),
                expect: [
                    ["caCertificate", /^"etcd-0" is not a CA certificate/],
                    ["clientCertificate", /is not signed by caCertificate/],
                ],
            },
            {
                name: "expired client cert",
                bundle: () => ({
                    caCertificate: ca.certPem,
                    clientCertificate: expired.certPem,
                    clientPrivateKey: expired.keyPem,
                }),
                expect: [["clientCertificate", /^certificate "old" expired at .*; issue a new one$/]],
            },
            {
                name: "server-only certificate",
                bundle: () => ({
                    caCertificate: ca.certPem,
                    clientCertificate: serverOnly.certPem,
                    clientPrivateKey: serverOnly.keyPem,
                }),
                expect: [
                    ["clientCertificate", /does not allow client authentication \(extendedKeyUsage lacks clientAuth\)/],
                ],
            },
            {
                name: "everything swapped",
                bundle: () => ({ caCertificate: client.keyPem, clientCertificate: "", clientPrivateKey: ca.certPem }),
                expect: [
                    ["caCertificate", /^must be a PEM certificate.*swap it with the certificate$/],
                    ["clientCertificate", /^must be a PEM certificate.*got an empty string$/],
                    ["clientPrivateKey", /^.*swap it with the private key$/],
                ],
            },
            {
                name: "checked at a time before the CA existed",
                bundle: () => ({
                    caCertificate: ca.certPem,
                    clientCertificate: client.certPem,
                    clientPrivateKey: client.keyPem,
                }),
                at: new Date("2001-01-01T00:00:00Z"),
                expect: [
                    ["caCertificate", /^certificate "unit-ca" is not valid before .*check the clock/],
                    ["clientCertificate", /^certificate "root" is not valid before/],
                ],
            },
        ];
        for (const c of cases) {
            it(c.name, () => {
                const failures = validateClientTlsBundle(c.bundle(), c.at ?? new Date());
                expect(failures.map((f) => f.propertyPath)).to.deep.equal(c.expect.map(([p]) => p));
                c.expect.forEach(([, re], i) => expect(failures[i].reason).to.match(re));
                for (const f of failures) expect(f.reason).to.not.include(client.keyPem.split("\n")[1].slice(0, 20));
            });
        }
    });

    it("validityReason: none inside the window", () => {
        expect(validityReason(parseCertificate(client.certPem, "c"), new Date())).to.equal(undefined);
    });

    it("parseCertificates returns every certificate of a bundle", () => {
        expect(parseCertificates(ca.certPem + otherCa.certPem, "ca").map((c) => c.subject)).to.deep.equal([
            "CN=unit-ca",
            "CN=other-ca",
        ]);
    });
});
