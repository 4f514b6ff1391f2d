// The DataStore's minted etcd client certificate: reused while it is valid, renewed only when the
// user says (`rotateBefore`) or once it has ended; never silently because its end is near.
import { expect } from "chai";
import * as crypto from "crypto";
import { reuseOrMint } from "../../components/etcdClientIdentity";
import type { KubeClient } from "../../lib/kube";
import { CertificateAndKey, createCertificateAuthority, issueCertificate } from "../../lib/pki";

const DAY = 86_400_000;

describe("DataStore: the minted etcd client certificate", () => {
    let ca: CertificateAndKey;
    before(async () => {
        ca = await createCertificateAuthority("etcd-ca", 365, [], "rsa");
    });

    /** A management cluster whose `<ds>-etcd-client` Secret holds `current`, if any. */
    const cluster = (current?: CertificateAndKey) =>
        ({
            get: async () =>
                current && {
                    data: {
                        "tls.crt": Buffer.from(current.certPem).toString("base64"),
                        "tls.key": Buffer.from(current.keyPem).toString("base64"),
                    },
                },
        }) as unknown as KubeClient;
    const issued = (notBefore: Date, notAfter: Date) =>
        issueCertificate(ca, {
            commonName: "root",
            organizations: ["system:masters"],
            usages: ["client"],
            validity: { notBefore, notAfter },
        });
    const mint = (current: CertificateAndKey | undefined, rotateBefore?: string) =>
        reuseOrMint(
            "DataStore t",
            "",
            "kamaji-system",
            "t-etcd-client",
            ca.certPem,
            ca.keyPem,
            { commonName: "root", validityDays: 365, rotateBefore },
            cluster(current),
        );

    it("reuses the Secret's certificate, even 10 days before its end (the preview warns instead)", async () => {
        const now = Date.now();
        const current = await issued(new Date(now - 355 * DAY), new Date(now + 10 * DAY));
        expect((await mint(current)).certPem).to.equal(current.certPem);
    });

    it("renews it when it was issued before rotateBefore, and keeps one issued after", async () => {
        const now = Date.now();
        const current = await issued(new Date(now - 30 * DAY), new Date(now + 300 * DAY));
        const renewed = await mint(current, new Date(now - DAY).toISOString());
        expect(renewed.certPem).not.to.equal(current.certPem);
        expect(new crypto.X509Certificate(renewed.certPem).subject).to.include("CN=root");
        expect((await mint(current, new Date(now - 40 * DAY).toISOString())).certPem).to.equal(current.certPem);
        // Set to "now", then minted: the new one (back-dated a minute, whole seconds) is not due again.
        const atNow = new Date().toISOString();
        const fresh = await mint(current, atNow);
        expect(fresh.certPem).not.to.equal(current.certPem);
        expect((await mint(fresh, atNow)).certPem).to.equal(fresh.certPem);
    });

    it("mints a new one when the Secret's has ended or is missing", async () => {
        const now = Date.now();
        const ended = await issued(new Date(now - 400 * DAY), new Date(now - DAY));
        expect((await mint(ended)).certPem).not.to.equal(ended.certPem);
        expect((await mint(undefined)).certPem).to.match(/^-----BEGIN CERTIFICATE-----/);
    });
});
