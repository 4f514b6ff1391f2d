/**
 * The DataStore CA key in the one form Kamaji v1.0.0 reads. Kamaji signs each tenant's etcd client
 * certificate with this key and parses it only as PKCS#1 RSA ("BEGIN RSA PRIVATE KEY"); any other
 * form fails inside Kamaji, long after `up`, with "provided CA private key for certificate
 * generation cannot be parsed". So an RSA key in any encoding is rewritten as PKCS#1, and a key
 * that is not RSA is refused at preview.
 */
import * as crypto from "crypto";
import { parsePrivateKey } from "../lib/pki";
import { PropertyError } from "./validation";

export const CA_KEY_PROPERTY = "tls.caPrivateKey";

/** The key as PKCS#1 PEM, or the problem (property, rule, fix); never echoes key material. */
export function kamajiCaKey(pem: string): { pem: string } | { error: PropertyError } {
    let key: crypto.KeyObject;
    try {
        key = parsePrivateKey(pem, CA_KEY_PROPERTY);
    } catch (e) {
        const reason = (e as Error).message.replace(`${CA_KEY_PROPERTY}: `, "");
        return { error: { propertyPath: CA_KEY_PROPERTY, reason } };
    }
    if (key.asymmetricKeyType !== "rsa") {
        return {
            error: {
                propertyPath: CA_KEY_PROPERTY,
                reason:
                    `must be an RSA key: Kamaji v1.0.0 signs the tenants' etcd client certificates only with an RSA CA key (it parses PKCS#1); got a ${key.asymmetricKeyType} key. ` +
                    "Use an RSA CA for the etcd DataStore (e.g. openssl req -x509 -newkey rsa:2048 ...), re-issue the etcd certificates from it, and pass its key",
            },
        };
    }
    return { pem: key.export({ type: "pkcs1", format: "pem" }).toString() };
}
