/** Creating and deleting bootstrap tokens in a tenant, for the BootstrapToken resource and for NodeJoin. */
import { KubeClient } from "../../lib/kube/client";
import { BootstrapToken, generateToken, tokenSecret, tokenSecretName } from "./logic";

export interface MintedToken extends BootstrapToken {
    expiresAt: string;
}

export async function createToken(
    client: KubeClient,
    ttlSeconds: number,
    description: string,
    now = new Date(),
): Promise<MintedToken> {
    const token = generateToken();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await client.create("/api/v1/namespaces/kube-system/secrets", tokenSecret(token, expiresAt, description));
    return { ...token, expiresAt: expiresAt.toISOString() };
}

/** Deletes the token's Secret; a token already gone (expired and cleaned up) is fine. */
export async function deleteToken(client: KubeClient, id: string): Promise<void> {
    await client.delete(`/api/v1/namespaces/kube-system/secrets/${tokenSecretName(id)}`);
}

/** Whether the tenant still holds a token Secret for `id`. */
export async function tokenExists(client: KubeClient, id: string): Promise<boolean> {
    return (await client.get(`/api/v1/namespaces/kube-system/secrets/${tokenSecretName(id)}`)) !== undefined;
}
