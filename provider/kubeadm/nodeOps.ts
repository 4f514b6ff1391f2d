/** What NodeJoin does to the Node object in the tenant: wait, cordon, drain, label, delete. */
import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiError, KubeClient } from "../../lib/kube/client";
import type { Taint } from "../../model/labels";

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;

/** Pods that a drain evicts: not mirror pods, not DaemonSet pods, not already finished. */
export function podsToEvict(pods: any[]): any[] {
    return pods.filter((p) => {
        const owners: any[] = p.metadata?.ownerReferences ?? [];
        if (p.metadata?.annotations?.["kubernetes.io/config.mirror"]) return false;
        if (owners.some((o) => o.kind === "DaemonSet")) return false;
        return !["Succeeded", "Failed"].includes(p.status?.phase);
    });
}

/** The Node's taints with `desired` managed ones in place of `previous` managed ones. */
export function mergeTaints(current: Taint[], previous: Taint[], desired: Taint[]): Taint[] {
    const key = (t: Taint) => `${t.key}:${t.effect}`;
    const prev = new Set(previous.map(key));
    return [...current.filter((t) => !prev.has(key(t))), ...desired];
}

export function isReady(node: any): boolean {
    return (node?.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
}

export async function waitForReadyNode(client: KubeClient, name: string, timeoutMs: number): Promise<any> {
    return client.waitFor(nodePath(name), (n) => (isReady(n) ? n : undefined), {
        timeoutMs,
        intervalMs: 1000,
        description: `Node ${name} to register and report Ready in the tenant`,
    });
}

/** Waits for the Node to report kubelet `version` and Ready after an upgrade from `from`. */
export async function waitForUpgradedNode(
    client: KubeClient,
    name: string,
    version: string,
    from: string,
    timeoutMs: number,
): Promise<any> {
    return client.waitFor(nodePath(name), (n) => n?.status?.nodeInfo?.kubeletVersion === version && isReady(n), {
        timeoutMs,
        description: `Node ${name} to report kubelet ${version} and Ready after the upgrade from ${from}`,
    });
}

/** The kubelet version the Node reports; "" when it is not there. */
export async function kubeletVersionOf(client: KubeClient, name: string): Promise<string> {
    return (await client.get(nodePath(name)))?.status?.nodeInfo?.kubeletVersion ?? "";
}

const leasePath = (name: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(name)}`;

/**
 * Waits for a kubelet that was just restarted (call it once the old process has stopped): its
 * Lease renewed again, then the Node Ready. Ready alone proves nothing here: a Node stays Ready
 * for about 40 s after its kubelet stops.
 */
export async function waitForRestartedKubelet(client: KubeClient, name: string, timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    const before = (await client.get(leasePath(name)))?.spec?.renewTime;
    await client.waitFor(leasePath(name), (l) => l?.spec?.renewTime && l.spec.renewTime !== before, {
        timeoutMs,
        intervalMs: 1000,
        description: `the kubelet of Node ${name} to renew its Lease after the restart (see journalctl -u kubelet on the host)`,
    });
    return waitForReadyNode(client, name, Math.max(1000, deadline - Date.now()));
}

export async function setUnschedulable(client: KubeClient, name: string, unschedulable: boolean): Promise<boolean> {
    try {
        await client.patch(nodePath(name), { spec: { unschedulable: unschedulable || null } }, "merge");
        return true;
    } catch (e) {
        if (e instanceof KubeApiError && e.notFound) return false;
        throw e;
    }
}

/**
 * Evicts the Node's evictable pods (Eviction API, so PodDisruptionBudgets are honoured) and waits
 * until they are gone; fails naming the pods still there after `timeoutMs`.
 */
export async function drain(client: KubeClient, name: string, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const list = async () => {
        const res = await client.request<{ items?: any[] }>("GET", "/api/v1/pods", {
            query: { fieldSelector: `spec.nodeName=${name}` },
        });
        return podsToEvict(res?.items ?? []);
    };
    let pods = await list();
    const count = pods.length;
    while (pods.length > 0) {
        for (const p of pods) {
            try {
                await client.create(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/eviction`, {
                    apiVersion: "policy/v1",
                    kind: "Eviction",
                    metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
                });
            } catch (e) {
                // 429: a PodDisruptionBudget says not now; retry until the deadline. 404: already gone.
                if (!(e instanceof KubeApiError && (e.status === 429 || e.notFound))) throw e;
            }
        }
        if (Date.now() > deadline) {
            const left = pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ");
            throw new Error(
                `drain of Node ${name} timed out after ${Math.round(timeoutMs / 1000)} s; pods still there: ${left}. ` +
                    `Check their PodDisruptionBudgets, or raise drainTimeoutSeconds`,
            );
        }
        await sleep(2000);
        pods = await list();
    }
    return count;
}

/** Applies the managed labels and taints: labels dropped from the inputs are removed from the Node. */
export async function applyLabelsAndTaints(
    client: KubeClient,
    name: string,
    previous: { labels?: Record<string, string>; taints?: Taint[] },
    desired: { labels?: Record<string, string>; taints?: Taint[] },
): Promise<void> {
    const node = await client.get(nodePath(name));
    if (!node)
        throw new Error(
            `Node ${name} is not in the tenant; the host may have been reset by hand. Run \`pulumi refresh\` or replace the NodeJoin`,
        );
    const labels: Record<string, string | null> = {};
    for (const k of Object.keys(previous.labels ?? {})) labels[k] = null;
    Object.assign(labels, desired.labels ?? {});
    const taints = mergeTaints(node.spec?.taints ?? [], previous.taints ?? [], desired.taints ?? []);
    await client.patch(
        nodePath(name),
        { metadata: { labels }, spec: { taints: taints.length ? taints : null } },
        "merge",
    );
}

/** Deletes the Node; false when it was already gone. */
export async function deleteNode(client: KubeClient, name: string): Promise<boolean> {
    return client.delete(nodePath(name));
}
