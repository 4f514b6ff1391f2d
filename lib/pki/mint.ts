/**
 * Minting certificates with Node's WebCrypto and @peculiar/x509 (ECDSA P-256, SHA-256).
 * Used where the package must create certificates itself (tests, lab, per-tenant client certs);
 * inputs elsewhere accept PEM from any source.
 */
// @peculiar/x509 uses decorators that need the reflect-metadata polyfill loaded first.

require("reflect-metadata");
import * as nodeCrypto from "crypto";
import * as net from "net";
import * as x509 from "@peculiar/x509";
import { PemError, parseCertificate, parsePrivateKey, keyMatchesCertificate } from "./logic";

const webcrypto = nodeCrypto.webcrypto as unknown as Crypto;
x509.cryptoProvider.set(webcrypto);

/** A certificate and its private key, both PEM. The key is PKCS#8 (a "BEGIN PRIVATE KEY" block). */
export interface CertificateAndKey {
    certPem: string;
    keyPem: string;
}

/** Days of validity from now, or an explicit window (e.g. to mint an already expired certificate in a test). */
export type Validity = number | { notBefore: Date; notAfter: Date };

export type Usage = "server" | "client";

export interface IssueOptions {
    commonName: string;
    organizations?: string[];
    dnsNames?: string[];
    ipAddresses?: string[];
    /** Extended key usages: "server" (serverAuth), "client" (clientAuth); etcd peers need both. */
    usages: Usage[];
    validity: Validity;
}

const EC_P256: EcKeyGenParams & EcdsaParams = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
// RSA for CAs whose consumer reads only RSA keys (Kamaji v1.0.0's DataStore CA).
const RSA_2048: RsaHashedKeyGenParams = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
};

export type CaKeyType = "ec" | "rsa";

/** Minted certificates start this long before they are made (a peer's clock may be slightly slow). */
export const MINT_BACKDATE_MS = 60_000;

function window(validity: Validity, property: string): { notBefore: Date; notAfter: Date } {
    if (typeof validity === "number") {
        if (!Number.isFinite(validity) || validity <= 0) {
            throw new Error(`${property}: must be a positive number of days or {notBefore, notAfter}; got ${validity}`);
        }
        const notBefore = new Date(Date.now() - MINT_BACKDATE_MS);
        return { notBefore, notAfter: new Date(notBefore.getTime() + MINT_BACKDATE_MS + validity * 86_400_000) };
    }
    if (
        !(validity.notBefore instanceof Date) ||
        !(validity.notAfter instanceof Date) ||
        validity.notAfter <= validity.notBefore
    ) {
        throw new Error(`${property}: notAfter must be a Date after notBefore`);
    }
    return validity;
}

function randomSerial(): string {
    const b = nodeCrypto.randomBytes(16);
    b[0] &= 0x7f; // positive INTEGER
    if (b[0] === 0) b[0] = 0x01; // no redundant leading zero byte
    return b.toString("hex");
}

function name(commonName: string, organizations: string[] = []): x509.JsonName {
    const n: x509.JsonName = organizations.map((o) => ({ O: [o] }));
    n.push({ CN: [commonName] });
    return n;
}

/** DER bytes as a PEM block with `label` (e.g. "PRIVATE KEY"). */
export function toPem(der: ArrayBuffer, label: string): string {
    const b64 = Buffer.from(der).toString("base64");
    return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

async function newKeyPair(type: CaKeyType = "ec"): Promise<CryptoKeyPair> {
    const alg = type === "rsa" ? RSA_2048 : EC_P256;
    return (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function exportKey(k: CryptoKey): Promise<string> {
    return toPem(await webcrypto.subtle.exportKey("pkcs8", k), "PRIVATE KEY");
}

/** Import a PEM signing key (PKCS#8, SEC1 or PKCS#1) as a WebCrypto key with its signature algorithm. */
async function importSigningKey(
    keyPem: string,
    property: string,
): Promise<{ key: CryptoKey; alg: EcdsaParams | RsaHashedImportParams }> {
    const ko = parsePrivateKey(keyPem, property);
    const pkcs8 = ko.export({ type: "pkcs8", format: "der" });
    if (ko.asymmetricKeyType === "ec") {
        const curve = ({ prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" } as Record<string, string>)[
            ko.asymmetricKeyDetails?.namedCurve ?? ""
        ];
        if (!curve)
            throw new PemError(property, `EC curve ${ko.asymmetricKeyDetails?.namedCurve} is not supported; use P-256`);
        const hash = curve === "P-256" ? "SHA-256" : curve === "P-384" ? "SHA-384" : "SHA-512";
        const key = await webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: curve }, false, [
            "sign",
        ]);
        return { key, alg: { name: "ECDSA", hash } };
    }
    if (ko.asymmetricKeyType === "rsa") {
        const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
        return { key: await webcrypto.subtle.importKey("pkcs8", pkcs8, alg, false, ["sign"]), alg };
    }
    throw new PemError(
        property,
        `${ko.asymmetricKeyType} keys cannot sign certificates here; use an EC P-256 or RSA CA key`,
    );
}

/**
 * A self-signed CA (basicConstraints CA:TRUE critical, keyCertSign + cRLSign), ECDSA P-256, or
 * RSA 2048 with `keyType` "rsa" (its key PKCS#8 all the same).
 */
export async function createCertificateAuthority(
    commonName: string,
    validity: Validity,
    organizations: string[] = [],
    keyType: CaKeyType = "ec",
): Promise<CertificateAndKey> {
    if (!commonName) throw new Error("commonName: must be a non-empty string");
    const { notBefore, notAfter } = window(validity, "validity");
    const keys = await newKeyPair(keyType);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: randomSerial(),
        name: name(commonName, organizations),
        notBefore,
        notAfter,
        keys,
        signingAlgorithm: keyType === "rsa" ? RSA_2048 : EC_P256,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(
                x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
                true,
            ),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { certPem: cert.toString("pem") + "\n", keyPem: await exportKey(keys.privateKey) };
}

/** A leaf certificate (ECDSA P-256 key generated here) signed by `ca`. */
export async function issueCertificate(ca: CertificateAndKey, opts: IssueOptions): Promise<CertificateAndKey> {
    if (!opts.commonName) throw new Error("commonName: must be a non-empty string");
    if (!opts.usages || opts.usages.length === 0) throw new Error('usages: must list "server", "client" or both');
    for (const u of opts.usages)
        if (u !== "server" && u !== "client") throw new Error(`usages: "${u}" is not one of "server", "client"`);
    for (const ip of opts.ipAddresses ?? []) {
        if (!net.isIP(ip)) throw new Error(`ipAddresses: "${ip}" is not an IPv4 or IPv6 address`);
    }
    const caCert = parseCertificate(ca.certPem, "ca.certPem");
    const caKey = parsePrivateKey(ca.keyPem, "ca.keyPem");
    if (!caCert.ca)
        throw new Error(`ca.certPem: "${caCert.subject}" is not a CA certificate (basicConstraints CA:FALSE)`);
    if (!keyMatchesCertificate(caCert, caKey))
        throw new Error("ca.keyPem: does not match ca.certPem; pass the CA's own key");
    const { key: signingKey, alg } = await importSigningKey(ca.keyPem, "ca.keyPem");
    const { notBefore, notAfter } = window(opts.validity, "validity");
    const keys = await newKeyPair();
    const caX = new x509.X509Certificate(ca.certPem);
    const ski = caX.getExtension(x509.SubjectKeyIdentifierExtension);
    const sans: x509.JsonGeneralName[] = [
        ...(opts.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(opts.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ];
    const eku = opts.usages.map((u) =>
        u === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    );
    const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(eku, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ];
    if (ski) extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: name(opts.commonName, opts.organizations),
        issuer: caX.subjectName,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey,
        signingAlgorithm: alg,
        extensions,
    });
    return { certPem: cert.toString("pem") + "\n", keyPem: await exportKey(keys.privateKey) };
}
