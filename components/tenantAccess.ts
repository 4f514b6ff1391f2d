/**
 * Waiting for the tenant's admin credentials to be honoured. Kamaji v1.0.0 reports a tenant Ready
 * before its kubeadm phases have bound the admin kubeconfig's group (`kubeadm:cluster-admins`) to
 * cluster-admin: for some seconds the admin is authenticated but may do nothing, and whatever is
 * applied to the tenant then (the CNI, bootstrap tokens) fails as forbidden. Found against the real
 * operator; the lab's earlier stand-in bound the group before it reported Ready.
 */
import { KubeApiError, KubeClient } from "../lib/kube";

/** Whether the kubeconfig's user may do everything (what the admin of a ready tenant may). */
export async function adminAllowed(client: Pick<KubeClient, "request">): Promise<boolean> {
    const review = await client.request<any>("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec: { resourceAttributes: { verb: "*", group: "*", resource: "*" } },
        },
    });
    return review?.status?.allowed === true;
}

/** Polls until the tenant admin may do everything; fails after `timeoutMs` naming what to look at. */
export async function waitForAdminAccess(
    kubeconfig: string,
    what: string,
    timeoutMs = 5 * 60_000,
    given?: Pick<KubeClient, "request">,
    intervalMs = 1000,
    unreachableMs = 15_000,
): Promise<void> {
    let client: Pick<KubeClient, "request">;
    try {
        client = given ?? KubeClient.fromKubeconfig(kubeconfig);
    } catch {
        // A kubeconfig naming no usable server: nothing to wait for; the tenant provider says why.
        return;
    }
    const deadline = Date.now() + timeoutMs;
    let last = "not allowed yet";
    let unreachableSince: number | undefined;
    for (;;) {
        try {
            if (await adminAllowed(client)) return;
            last = "the admin user is not allowed everything yet";
            unreachableSince = undefined;
        } catch (e) {
            last = (e as Error).message;
            // A tenant that does not answer at all is not this wait's to judge: what uses the
            // kubeconfig next reports it in its own words. (A forbidden answer is waited out.)
            unreachableSince ??= Date.now();
            if (e instanceof KubeApiError && e.status === 0 && Date.now() - unreachableSince > unreachableMs) return;
        }
        if (Date.now() > deadline)
            throw new Error(
                `${what}: the tenant's admin kubeconfig was not granted cluster-admin within ${Math.round(timeoutMs / 1000)} s (${last}); ` +
                    "check the tenant's ClusterRoleBinding kubeadm:cluster-admins and Kamaji's log",
            );
        await new Promise((r) => setTimeout(r, intervalMs));
    }
}
