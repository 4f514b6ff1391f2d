// Re-preparing the host of a joined Node: drained first, within its pool's rollout budget.
import { KubeClient } from "../../lib/kube/client";
import { drain, setUnschedulable, waitForReadyNode } from "../kubeadm/nodeOps";
import { RolloutBudget, withinBudget } from "../kubeadm/rollout";
import type { Facts } from "./outputs";

/** The Node a pool's host serves as (input `node`); absent for a PreparedHost used alone. */
export interface NodeOfHost {
    tenantKubeconfig: string;
    nodeName: string;
    rollout: RolloutBudget;
    drainTimeoutSeconds?: number;
}

/**
 * Re-prepares the host of a joined Node within its pool's budget, drained first: new packages and
 * a containerd restart disrupt its pods as an upgrade does. Uncordoned after: a kubelet restart
 * left pending (new binary) is NodeJoin's, in its own turn of the budget.
 */
export async function prepareDrained(node: NodeOfHost, run: () => Promise<Facts>): Promise<Facts> {
    const client = KubeClient.fromKubeconfig(node.tenantKubeconfig);
    return withinBudget(node.rollout, node.nodeName, async () => {
        // No Node (the host was never joined): nothing to drain.
        if (!(await setUnschedulable(client, node.nodeName, true))) return run();
        await drain(client, node.nodeName, (node.drainTimeoutSeconds ?? 300) * 1000);
        const facts = await run();
        await waitForReadyNode(client, node.nodeName, 5 * 60_000);
        await setUnschedulable(client, node.nodeName, false);
        return facts;
    });
}
