// Creating (or merge-patching) the bootstrap objects through a tenant's API.
import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiError, KubeClient } from "../../lib/kube";
import { KubeObject } from "./bootstrapTypes";

const PLURALS: Record<string, string> = {
    ServiceAccount: "serviceaccounts",
    ConfigMap: "configmaps",
    Role: "roles",
    RoleBinding: "rolebindings",
    ClusterRole: "clusterroles",
    ClusterRoleBinding: "clusterrolebindings",
};

export function objectPath(o: KubeObject, withName = true): string {
    const [g, v] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    const base = g ? `/apis/${g}/${v}` : `/api/${v}`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${PLURALS[o.kind]}${withName ? `/${o.metadata.name}` : ""}`;
}

/**
 * Creates each object, or merge-patches it when it exists (so keys other writers add, such as
 * bootstrapsigner's `jws-kubeconfig-<id>` in cluster-info, are kept). Retries 403/404 briefly:
 * right after start-up the RBAC caches and the namespace controller may lag a few seconds.
 */
export async function applyTenantBootstrap(
    client: KubeClient,
    objects: KubeObject[],
    deadlineMs = 60_000,
): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (const obj of objects) {
        for (;;) {
            try {
                try {
                    await client.create(objectPath(obj, false), obj);
                } catch (e) {
                    if (!(e instanceof KubeApiError && e.conflict)) throw e;
                    const { metadata, ...rest } = obj;
                    await client.patch(
                        objectPath(obj),
                        { metadata: { annotations: metadata.annotations, labels: metadata.labels }, ...rest },
                        "merge",
                    );
                }
                break;
            } catch (e) {
                const transient =
                    e instanceof KubeApiError &&
                    (e.status === 0 || e.status === 403 || e.status === 404 || e.status === 429 || e.status >= 500);
                if (!transient || Date.now() > deadline) throw e;
                await sleep(500);
            }
        }
    }
}
