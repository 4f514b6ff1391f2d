/** Dynamic provider for DataStoreRelease: a delete that waits until Kamaji lets the DataStore go. */
import * as pulumi from "@pulumi/pulumi";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiError, KubeClient, resourcePath } from "../../lib/kube/client";

const DATASTORES = { group: "kamaji.clastix.io", version: "v1alpha1", plural: "datastores" };
const TENANTS = { group: "kamaji.clastix.io", version: "v1alpha1", plural: "tenantcontrolplanes" };
const POLL_MS = 1000;

export async function diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.dataStoreName !== news.dataStoreName ? ["dataStoreName"] : [];
    const changes =
        replaces.length > 0 || olds.kubeconfig !== news.kubeconfig || olds.timeoutSeconds !== news.timeoutSeconds;
    return { changes, replaces, deleteBeforeReplace: false };
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    return { id: inputs.dataStoreName, outs: inputs };
}

export async function update(_id: string, _olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: news };
}

/**
 * Waits until a dry-run delete of the DataStore is admitted (or the DataStore is gone). A refusal
 * while the API server still lists a tenant on the DataStore is not a lag: that tenant is not
 * this stack's (its own were deleted before this), so the wait ends at the deadline naming it.
 */
export async function delete_(_id: string, props: any): Promise<void> {
    const client = KubeClient.fromKubeconfig(props.kubeconfig);
    const name: string = props.dataStoreName;
    const deadline = Date.now() + (props.timeoutSeconds ?? 120) * 1000;
    for (;;) {
        const refusal = await dryRunDeleteRefusal(client, name);
        if (refusal === undefined) return;
        if (Date.now() >= deadline) {
            const users = await tenantsOn(client, name);
            throw new Error(
                `DataStore ${name} cannot be deleted: Kamaji refuses (${refusal})` +
                    (users.length > 0
                        ? `; TenantControlPlanes still on it: ${users.join(", ")}. Delete or move them first.`
                        : "; no TenantControlPlane on it is left, so Kamaji's cache has not caught up: run the delete again."),
            );
        }
        await sleep(POLL_MS);
    }
}
export { delete_ as delete };

/** Kamaji's reason to refuse deleting the DataStore now, or undefined when it would allow it. */
async function dryRunDeleteRefusal(client: KubeClient, name: string): Promise<string | undefined> {
    try {
        await client.delete(resourcePath({ ...DATASTORES, name }), "Background", { dryRun: true });
        return undefined;
    } catch (e) {
        // Only an admission refusal is waited out; anything else (RBAC, unreachable) fails at once.
        if (e instanceof KubeApiError && /admission webhook .*denied the request/i.test(e.apiMessage))
            return e.apiMessage;
        throw e;
    }
}

async function tenantsOn(client: KubeClient, name: string): Promise<string[]> {
    const all = await client.list<any>(resourcePath(TENANTS));
    return all
        .filter((t) => t.spec?.dataStore === name || t.status?.storage?.dataStoreName === name)
        .map((t) => `${t.metadata.namespace}/${t.metadata.name}`);
}
