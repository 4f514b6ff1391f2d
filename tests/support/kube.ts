// Namespace steps the tests' before and after hooks share, on any cluster a KubeClient reaches.
import { KubeClient } from "../../lib/kube";

/** Creates the namespace unless it is there already. */
export async function ensureNamespace(client: KubeClient, ns: string): Promise<void> {
    if (!(await client.get(`/api/v1/namespaces/${ns}`)))
        await client.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
}

/**
 * Deletes the namespace for an after hook, ignoring a failure; the cluster's controller-manager
 * finalizes it once it is empty.
 */
export async function deleteNamespace(client: KubeClient, ns: string): Promise<void> {
    await client.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
}

/** A kubeconfig for a fake API server listening on `server` (an http.Server on loopback), with a token. */
export function loopbackKubeconfig(server: import("http").Server): string {
    const port = (server.address() as import("net").AddressInfo).port;
    return `apiVersion: v1
kind: Config
current-context: t
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: t, context: {cluster: c, user: u}}]
`;
}
