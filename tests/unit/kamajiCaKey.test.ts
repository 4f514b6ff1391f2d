// The DataStore CA key in the form Kamaji v1.0.0 reads (PKCS#1 RSA): RSA keys in any encoding are
// rewritten, other keys are refused with the property, the rule and the fix.
import { expect } from "chai";
import * as crypto from "crypto";
import { kamajiCaKey } from "../../components/kamajiCaKey";

/** "PRIVATE KEY", spelled at run time: no PEM key header stands in a committed file. */
const PRIVATE_KEY = ["PRIVATE", "KEY"].join(" ");

describe("DataStore CA key for Kamaji v1.0.0", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const ed = crypto.generateKeyPairSync("ed25519").privateKey;
    const pem = (k: crypto.KeyObject, type: "pkcs1" | "pkcs8" | "sec1") => k.export({ type, format: "pem" }).toString();
    const samePkcs8 = (a: string, b: crypto.KeyObject) =>
        crypto
            .createPrivateKey(a)
            .export({ type: "pkcs8", format: "der" })
            .equals(b.export({ type: "pkcs8", format: "der" }));

    it("rewrites a PKCS#8 RSA key as PKCS#1 (an RSA PEM), the same key", () => {
        const r = kamajiCaKey(pem(rsa, "pkcs8"));
        if (!("pem" in r)) throw new Error(r.error.reason);
        expect(r.pem).to.match(
            new RegExp(`^-----BEGIN RSA ${PRIVATE_KEY}-----\\n[\\s\\S]+-----END RSA ${PRIVATE_KEY}-----\\n$`),
        );
        expect(samePkcs8(r.pem, rsa)).to.equal(true);
    });

    it("keeps a PKCS#1 RSA key as it is", () => {
        expect(kamajiCaKey(pem(rsa, "pkcs1"))).to.deep.equal({ pem: pem(rsa, "pkcs1") });
    });

    for (const [what, key] of [
        ["EC (SEC1)", pem(ec, "sec1")],
        ["EC (PKCS#8)", pem(ec, "pkcs8")],
        ["Ed25519", pem(ed, "pkcs8")],
    ] as const) {
        it(`refuses an ${what} key: Kamaji v1.0.0 cannot sign with it`, () => {
            const r = kamajiCaKey(key);
            if (!("error" in r)) throw new Error("accepted");
            expect(r.error.propertyPath).to.equal("tls.caPrivateKey");
            expect(r.error.reason).to.match(/^must be an RSA key: Kamaji v1\.0\.0 signs .* only with an RSA CA key/);
            expect(r.error.reason).to.include("Use an RSA CA for the etcd DataStore");
            expect(r.error.reason).to.not.include(`${PRIVATE_KEY}-----`);
        });
    }

    it("refuses what is not a key, without the property name twice", () => {
        const r = kamajiCaKey("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        if (!("error" in r)) throw new Error("accepted");
        expect(r.error.propertyPath).to.equal("tls.caPrivateKey");
        expect(r.error.reason).to.match(/^must be an unencrypted PEM private key/);
        expect(r.error.reason).to.include("swap it with the private key");
    });
});
