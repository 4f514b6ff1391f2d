/**
 * Pure certificate logic: parse and validate PEM, compare keys and certificates, check chains and
 * validity windows, and compute the hashes other tools print (kubeadm's CA pin, SHA-256
 * fingerprints). Everything here is synchronous, deterministic (time is a parameter) and built on
 * Node's own `crypto.X509Certificate`, so it can run at preview time inside a provider's `check`.
 *
 * Error messages name the property, the rule and the fix, and never echo the offending text: a
 * "certificate" property may well hold a private key pasted in the wrong place.
 */
import * as crypto from "crypto";
import { InvalidProperty, PropertyError } from "../../model/rules/propertyError";

/** One PEM block: its label (e.g. "CERTIFICATE") and the base64 body decoded to DER. */
export interface PemBlock {
    label: string;
    der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/g;

/** The PEM blocks in `text`, in order. Text outside blocks is ignored (as openssl does). */
export function pemBlocks(text: string): PemBlock[] {
    const blocks: PemBlock[] = [];
    for (const m of text.matchAll(PEM_BLOCK)) {
        const body = m[2].replace(/\s+/g, "");
        // Headers such as "Proc-Type: 4,ENCRYPTED" make the body non-base64; keep the label so
        // the caller can say "encrypted" instead of "malformed".
        const der = /^[A-Za-z0-9+/]*={0,2}$/.test(body) ? Buffer.from(body, "base64") : Buffer.alloc(0);
        blocks.push({ label: m[1], der });
    }
    return blocks;
}

/** A short description of what a string holds, for error messages; never includes the content. */
export function describePem(text: unknown): string {
    if (text === undefined || text === null) return "nothing (the value is missing)";
    if (typeof text !== "string") return `a ${typeof text}, not a string`;
    if (text.trim() === "") return "an empty string";
    const blocks = pemBlocks(text);
    if (blocks.length === 0) {
        if (/-----BEGIN /.test(text))
            return "a PEM block without a matching END line (truncated or mangled line breaks?)";
        if (/^[A-Za-z0-9+/=\r\n]{16,}$/.test(text.trim()))
            return "base64 text without PEM armour (base64-decode it first?)";
        return "text without any PEM block";
    }
    const labels = [...new Set(blocks.map((b) => b.label))].map((l) => `"${l}"`);
    return `PEM block(s) labelled ${labels.join(", ")}`;
}

export class PemError extends InvalidProperty {
    constructor(property: string, reason: string) {
        super(property, reason);
        this.name = "PemError";
    }
}

/** The certificates in a PEM bundle; throws {@link PemError} naming `property` when there are none or one is malformed. */
export function parseCertificates(pem: unknown, property: string): crypto.X509Certificate[] {
    const rule = `must be a PEM certificate ("-----BEGIN CERTIFICATE-----...")`;
    if (typeof pem !== "string" || pem.trim() === "") throw new PemError(property, `${rule}; got ${describePem(pem)}`);
    const blocks = pemBlocks(pem);
    const certs = blocks.filter((b) => b.label === "CERTIFICATE" || b.label === "X509 CERTIFICATE");
    if (certs.length === 0) {
        const isKey = blocks.some((b) => /PRIVATE KEY/.test(b.label));
        const fix = isKey ? "; this looks like a private key: swap it with the certificate" : "";
        throw new PemError(property, `${rule}; got ${describePem(pem)}${fix}`);
    }
    return certs.map((b, i) => {
        try {
            return new crypto.X509Certificate(b.der);
        } catch (e) {
            const which = certs.length > 1 ? `certificate #${i + 1}` : "the certificate";
            throw new PemError(property, `${rule}; ${which} is not valid DER (${(e as Error).message}); re-export it`);
        }
    });
}

/** The first certificate of a PEM bundle (the leaf, by convention). */
export function parseCertificate(pem: unknown, property: string): crypto.X509Certificate {
    return parseCertificates(pem, property)[0];
}

/** A private key from PEM (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"); unencrypted only. */
export function parsePrivateKey(pem: unknown, property: string): crypto.KeyObject {
    const rule = `must be an unencrypted PEM private key (a "BEGIN PRIVATE KEY" or "BEGIN EC PRIVATE KEY" block)`;
    if (typeof pem !== "string" || pem.trim() === "") throw new PemError(property, `${rule}; got ${describePem(pem)}`);
    const blocks = pemBlocks(pem);
    const keys = blocks.filter((b) => /PRIVATE KEY$/.test(b.label));
    if (keys.length === 0) {
        const isCert = blocks.some((b) => b.label === "CERTIFICATE");
        const fix = isCert ? "; this looks like a certificate: swap it with the private key" : "";
        throw new PemError(property, `${rule}; got ${describePem(pem)}${fix}`);
    }
    if (keys.length > 1) throw new PemError(property, `${rule}; got ${keys.length} private keys, expected one`);
    const k = keys[0];
    if (k.label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
        throw new PemError(
            property,
            `${rule}; got an encrypted key: decrypt it (openssl pkey -in key.pem -out plain.pem)`,
        );
    }
    try {
        const type = k.label === "EC PRIVATE KEY" ? "sec1" : k.label === "RSA PRIVATE KEY" ? "pkcs1" : "pkcs8";
        return crypto.createPrivateKey({ key: k.der, format: "der", type });
    } catch (e) {
        // Node's message ("error:1E08010C:DECODER routines::unsupported") never contains key material.
        throw new PemError(
            property,
            `${rule}; the "${k.label}" block is not a valid key (${(e as Error).message}); re-export it`,
        );
    }
}

/** The private key belongs to the certificate's public key. */
export function keyMatchesCertificate(cert: crypto.X509Certificate, key: crypto.KeyObject): boolean {
    try {
        return cert.checkPrivateKey(key);
    } catch {
        return false;
    }
}

/** `cert` names `ca` as issuer and carries a valid signature by `ca`'s key. */
export function isSignedBy(cert: crypto.X509Certificate, ca: crypto.X509Certificate): boolean {
    try {
        return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
        return false;
    }
}

/** The subject attribute values for `attr` ("CN", "O", ...) of a certificate. */
export function subjectAttribute(cert: crypto.X509Certificate, attr: string): string[] {
    return cert.subject
        .split("\n")
        .map((l) => l.split("="))
        .filter(([k]) => k === attr)
        .map(([, ...v]) => v.join("="));
}

export function commonName(cert: crypto.X509Certificate): string | undefined {
    return subjectAttribute(cert, "CN")[0];
}

/** Why the certificate is not valid at `now` (not yet, or no longer), or undefined. */
export function validityReason(cert: crypto.X509Certificate, now: Date): string | undefined {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (now.getTime() < from.getTime()) {
        return `certificate "${commonName(cert) ?? cert.subject}" is not valid before ${from.toISOString()} (now ${now.toISOString()}); check the clock or reissue it`;
    }
    if (now.getTime() > to.getTime()) {
        return `certificate "${commonName(cert) ?? cert.subject}" expired at ${to.toISOString()} (now ${now.toISOString()}); issue a new one`;
    }
    return undefined;
}

/** Days (fractional) until the certificate expires; negative when expired. */
export function daysUntilExpiry(cert: crypto.X509Certificate, now: Date): number {
    return (new Date(cert.validTo).getTime() - now.getTime()) / 86_400_000;
}

/**
 * kubeadm's CA pin: "sha256:" + hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo
 * (the value for `--discovery-token-ca-cert-hash`). Same as
 * `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`.
 */
export function caCertHash(caPem: string, property = "caCertificate"): string {
    const cert = parseCertificate(caPem, property);
    const spki = cert.publicKey.export({ type: "spki", format: "der" });
    return "sha256:" + crypto.createHash("sha256").update(spki).digest("hex");
}

/** SHA-256 fingerprint of the certificate's DER, as `openssl x509 -fingerprint -sha256` prints it ("AB:CD:..."). */
export function sha256Fingerprint(certPem: string, property = "certificate"): string {
    return parseCertificate(certPem, property).fingerprint256;
}

/** What a TLS client identity must satisfy: PEM for the CA, the client certificate and its key. */
export interface TlsBundle {
    caCertificate: unknown;
    clientCertificate: unknown;
    clientPrivateKey: unknown;
}

export interface TlsBundleNames {
    caCertificate: string;
    clientCertificate: string;
    clientPrivateKey: string;
}

const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/**
 * Every problem with a client TLS bundle, each naming its property: malformed PEM, key not matching
 * the certificate, certificate not signed by the CA, CA that is not a CA, validity window, and
 * (when the certificate restricts its usages) missing clientAuth. Empty when the bundle is usable.
 */
export function validateClientTlsBundle(
    bundle: TlsBundle,
    now: Date,
    names: TlsBundleNames = {
        caCertificate: "caCertificate",
        clientCertificate: "clientCertificate",
        clientPrivateKey: "clientPrivateKey",
    },
): PropertyError[] {
    const failures: PropertyError[] = [];
    const attempt = <T>(f: () => T): T | undefined => {
        try {
            return f();
        } catch (e) {
            if (e instanceof PemError) failures.push({ propertyPath: e.propertyPath, reason: e.reason });
            else throw e;
            return undefined;
        }
    };
    const cas = attempt(() => parseCertificates(bundle.caCertificate, names.caCertificate));
    const cert = attempt(() => parseCertificate(bundle.clientCertificate, names.clientCertificate));
    const key = attempt(() => parsePrivateKey(bundle.clientPrivateKey, names.clientPrivateKey));
    if (cas) {
        for (const ca of cas) {
            if (!ca.ca) {
                failures.push({
                    propertyPath: names.caCertificate,
                    reason: `"${commonName(ca) ?? ca.subject}" is not a CA certificate (basicConstraints CA:FALSE); pass the CA that signed the etcd server and client certificates, not a leaf`,
                });
            }
            const p = validityReason(ca, now);
            if (p) failures.push({ propertyPath: names.caCertificate, reason: p });
        }
    }
    if (cert) {
        const p = validityReason(cert, now);
        if (p) failures.push({ propertyPath: names.clientCertificate, reason: p });
        const eku = cert.keyUsage;
        if (Array.isArray(eku) && eku.length > 0 && !eku.includes(EKU_CLIENT_AUTH)) {
            failures.push({
                propertyPath: names.clientCertificate,
                reason: `"${commonName(cert)}" does not allow client authentication (extendedKeyUsage lacks clientAuth); issue a client certificate`,
            });
        }
        if (cas && cas.length > 0 && !cas.some((ca) => isSignedBy(cert, ca))) {
            failures.push({
                propertyPath: names.clientCertificate,
                reason: `"${commonName(cert)}" (issuer "${oneLine(cert.issuer)}") is not signed by ${names.caCertificate} ("${oneLine(cas[0].subject)}"); use a client certificate issued by the DataStore's CA`,
            });
        }
    }
    if (cert && key && !keyMatchesCertificate(cert, key)) {
        failures.push({
            propertyPath: names.clientPrivateKey,
            reason: `does not match the public key of ${names.clientCertificate} "${commonName(cert)}"; pass the key generated with that certificate`,
        });
    }
    return failures;
}

/** "CN=a\nO=b" -> "CN=a, O=b" */
export function oneLine(dn: string): string {
    return dn.split("\n").join(", ");
}
