/**
 * The client identity Kamaji uses as etcd root: a given certificate and key, checked against the
 * CA, or one reused from the cluster's Secret or minted from the CA (no extra state: the Secret
 * is the record).
 */
import { KubeClient, resourcePath } from "../lib/kube";
import { rotationDue } from "../model/rules/certificateLifetime";
import {
    isSignedBy,
    issueCertificate,
    keyMatchesCertificate,
    MINT_BACKDATE_MS,
    parseCertificate,
    parsePrivateKey,
    commonName,
    validateClientTlsBundle,
    validityReason,
    PemError,
} from "../lib/pki";
import { ValidationError } from "./errors";
import { PropertyError } from "./validation";

/**
 * The given client certificate and key: problems with them and the CA.
 * @internal
 */
export function givenClientProblems(ca: string, cert: string, key: string): PropertyError[] {
    const failures = validateClientTlsBundle(
        { caCertificate: ca, clientCertificate: cert, clientPrivateKey: key },
        new Date(),
        {
            caCertificate: "tls.caCertificate",
            clientCertificate: "tls.clientCertificate",
            clientPrivateKey: "tls.clientPrivateKey",
        },
    );
    return failures;
}

/** The reason of a PKI parse error (a PemError names its property apart), else its message. */
function reasonOf(e: unknown): string {
    return e instanceof PemError ? e.reason : (e as Error).message;
}

/**
 * `tls.caCertificate` is a PEM certificate of a CA.
 * @internal
 */
export function validateCa(pem: string): PropertyError[] {
    try {
        const ca = parseCertificate(pem, "tls.caCertificate");
        if (!ca.ca)
            return [
                {
                    propertyPath: "tls.caCertificate",
                    reason: `"${commonName(ca) ?? ca.subject}" is not a CA certificate (basicConstraints CA:FALSE); pass the CA that signed the etcd certificates`,
                },
            ];
        return [];
    } catch (e) {
        return [{ propertyPath: "tls.caCertificate", reason: reasonOf(e) }];
    }
}

/**
 * The client certificate to use when none was given: the one already in the cluster's Secret if it
 * is signed by this CA, has the expected CN, matches its key, is still valid and was not issued
 * before `rotateBefore`; otherwise a new one. Reusing keeps the Secret (and the preview) stable
 * across runs without extra state; renewal near expiry is the user's reviewed decision
 * (`rotateBefore`), never a silent one: the preview warns instead.
 * @internal
 */
export async function reuseOrMint(
    label: string,
    kubeconfig: string,
    namespace: string,
    secretName: string,
    caPem: string,
    caKeyPem: string,
    minting: { commonName: string; validityDays: number; rotateBefore?: string },
    client?: KubeClient,
): Promise<{ certPem: string; keyPem: string }> {
    const problems = validateCa(caPem);
    try {
        const ca = parseCertificate(caPem, "tls.caCertificate");
        if (!keyMatchesCertificate(ca, parsePrivateKey(caKeyPem, "tls.caPrivateKey"))) {
            problems.push({
                propertyPath: "tls.caPrivateKey",
                reason: "does not match tls.caCertificate; pass the CA's own private key",
            });
        }
    } catch (e) {
        if (!problems.length)
            problems.push({
                propertyPath: "tls.caPrivateKey",
                reason: reasonOf(e),
            });
    }
    if (problems.length) throw new ValidationError(label, problems);
    const c = client ?? KubeClient.fromKubeconfig(kubeconfig);
    const existing = await c
        .get(resourcePath({ version: "v1", plural: "secrets", namespace, name: secretName }))
        .catch(() => undefined);
    const crt = existing?.data?.["tls.crt"] && Buffer.from(existing.data["tls.crt"], "base64").toString("utf8");
    const key = existing?.data?.["tls.key"] && Buffer.from(existing.data["tls.key"], "base64").toString("utf8");
    if (crt && key) {
        try {
            const cert = parseCertificate(crt, "tls.crt");
            const ca = parseCertificate(caPem, "ca");
            if (
                isSignedBy(cert, ca) &&
                commonName(cert) === minting.commonName &&
                keyMatchesCertificate(cert, parsePrivateKey(key, "tls.key")) &&
                validityReason(cert, new Date()) === undefined &&
                !rotationDue(new Date(Date.parse(cert.validFrom) + MINT_BACKDATE_MS), minting.rotateBefore)
            ) {
                return { certPem: crt, keyPem: key };
            }
        } catch {
            /* unusable: mint a new one */
        }
    }
    return issueCertificate(
        { certPem: caPem, keyPem: caKeyPem },
        {
            commonName: minting.commonName,
            organizations: ["system:masters"],
            usages: ["client"],
            validity: minting.validityDays,
        },
    );
}
