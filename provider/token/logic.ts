/**
 * Bootstrap tokens as kubeadm defines them: `<id>.<secret>`, id 6 and secret 16 characters of
 * [a-z0-9], stored in the tenant as Secret kube-system/bootstrap-token-<id> of type
 * bootstrap.kubernetes.io/token. Pure functions; the provider talks to the API.
 */
import * as crypto from "crypto";

export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const DEFAULT_GROUP = "system:bootstrappers:kubeadm:default-node-token";
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomString(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += ALPHABET[crypto.randomInt(ALPHABET.length)];
    return s;
}

export interface BootstrapToken {
    id: string;
    secret: string;
}

export function generateToken(): BootstrapToken {
    return { id: randomString(6), secret: randomString(16) };
}

export function formatToken(t: BootstrapToken): string {
    return `${t.id}.${t.secret}`;
}

/** Parses "abcdef.0123456789abcdef"; the error never repeats the token. */
export function parseToken(text: string, property = "token"): BootstrapToken {
    const m = TOKEN_PATTERN.exec(text);
    if (!m) {
        throw new Error(
            `${property}: must be a kubeadm bootstrap token "<6 chars>.<16 chars>" of [a-z0-9]; create one with \`kubeadm token create\` or leave ${property} unset so one is minted per join`,
        );
    }
    return { id: m[1], secret: m[2] };
}

export function tokenSecretName(id: string): string {
    return `bootstrap-token-${id}`;
}

/** The Secret that makes a token valid for TLS bootstrap and for signing cluster-info. */
export function tokenSecret(
    t: BootstrapToken,
    expiresAt: Date,
    description: string,
    groups: string[] = [DEFAULT_GROUP],
) {
    return {
        apiVersion: "v1",
        kind: "Secret",
        type: "bootstrap.kubernetes.io/token",
        metadata: {
            name: tokenSecretName(t.id),
            namespace: "kube-system",
            labels: { "app.kubernetes.io/managed-by": "pulumi-hosted-control-plane" },
        },
        stringData: {
            description,
            "token-id": t.id,
            "token-secret": t.secret,
            expiration: expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
            "auth-extra-groups": groups.join(","),
        },
    };
}

/** True when `expiresAt` is in the past or less than `marginSeconds` away. */
export function expiresSoon(expiresAt: string | Date, now: Date, marginSeconds = 0): boolean {
    const t = typeof expiresAt === "string" ? Date.parse(expiresAt) : expiresAt.getTime();
    return !(t - now.getTime() > marginSeconds * 1000);
}

export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;

export function ttlProblem(ttlSeconds: unknown): string | undefined {
    if (
        typeof ttlSeconds !== "number" ||
        !Number.isInteger(ttlSeconds) ||
        ttlSeconds < MIN_TTL_SECONDS ||
        ttlSeconds > MAX_TTL_SECONDS
    ) {
        return `ttlSeconds: must be a whole number of seconds between ${MIN_TTL_SECONDS} and ${MAX_TTL_SECONDS} (got ${JSON.stringify(ttlSeconds)}); bootstrap tokens should be short-lived, e.g. 3600`;
    }
    return undefined;
}

/** kubeadm's default bootstrap token TTL (`kubeadm token create --ttl`): 24 h. */
export const KUBEADM_DEFAULT_TTL_SECONDS = 24 * 3600;

/**
 * The warning for a valid TTL longer than kubeadm's default of 24 h: whoever holds the token can
 * join nodes to the tenant for that long. Undefined for other values (invalid ones are check failures).
 */
export function ttlWarning(ttlSeconds: unknown): string | undefined {
    if (typeof ttlSeconds !== "number" || ttlProblem(ttlSeconds) || ttlSeconds <= KUBEADM_DEFAULT_TTL_SECONDS)
        return undefined;
    const hours = Math.round((ttlSeconds / 3600) * 10) / 10;
    return `ttlSeconds: ${ttlSeconds} s (${hours} h) is longer than kubeadm's default of 24 h; whoever holds the token can join nodes to the tenant until it expires: use the shortest lifetime your joins need (e.g. 3600), at most 86400`;
}
