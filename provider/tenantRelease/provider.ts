/** Dynamic provider for TenantRelease: a delete that removes what Kamaji left of a deleted tenant. */
import * as pulumi from "@pulumi/pulumi";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient, resourcePath } from "../../lib/kube/client";

const TENANTS = { group: "kamaji.clastix.io", version: "v1alpha1", plural: "tenantcontrolplanes" };
const SECRETS = { version: "v1", plural: "secrets" };
/** The finalizer Kamaji v1.0.0 puts on a tenant's DataStore Secret. */
export const DATASTORE_SECRET_FINALIZER = "finalizer.kamaji.clastix.io/datastore-secret";
const POLL_MS = 1000;

export async function diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const replaces = ["namespace", "tenantName"].filter((k) => olds[k] !== news[k]);
    const changes =
        replaces.length > 0 || olds.kubeconfig !== news.kubeconfig || olds.timeoutSeconds !== news.timeoutSeconds;
    return { changes, replaces, deleteBeforeReplace: false };
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    return { id: `${inputs.namespace}/${inputs.tenantName}`, outs: inputs };
}

export async function update(_id: string, _olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: news };
}

/**
 * Waits until the tenant is gone, then deletes its DataStore Secret if Kamaji left it, removing
 * Kamaji's finalizer from it first. A tenant of that name still there at the deadline (recreated
 * outside this stack, or stuck in Kamaji's clean-up) fails the delete naming it; its Secret is
 * left alone then, since it may be in use.
 */
export async function delete_(_id: string, props: any): Promise<void> {
    const client = KubeClient.fromKubeconfig(props.kubeconfig);
    const { namespace, tenantName } = props as { namespace: string; tenantName: string };
    const tenantPath = resourcePath({ ...TENANTS, namespace, name: tenantName });
    const secretPath = resourcePath({ ...SECRETS, namespace, name: `${tenantName}-datastore-config` });
    const deadline = Date.now() + (props.timeoutSeconds ?? 120) * 1000;
    while ((await client.get(tenantPath)) !== undefined) {
        if (Date.now() >= deadline)
            throw new Error(
                `TenantControlPlane ${namespace}/${tenantName} is still there after ${props.timeoutSeconds ?? 120} s; ` +
                    `Kamaji has not finished deleting it (kubectl -n ${namespace} describe tenantcontrolplane ${tenantName})`,
            );
        await sleep(POLL_MS);
    }
    const secret = await client.get<any>(secretPath);
    if (secret === undefined) return;
    const finalizers: string[] = secret.metadata?.finalizers ?? [];
    if (finalizers.includes(DATASTORE_SECRET_FINALIZER))
        await client.patch(secretPath, {
            metadata: { finalizers: finalizers.filter((f) => f !== DATASTORE_SECRET_FINALIZER) },
        });
    await client.delete(secretPath);
}
export { delete_ as delete };
