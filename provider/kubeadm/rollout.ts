/**
 * A worker pool's disruption budget: at most `maxUnavailable` of its nodes are drained and upgraded
 * at once. The engine starts a pool's NodeJoin updates in parallel, and all of them run in this one
 * dynamic-provider process, so a per-pool count here is what holds the rest back. Creates are not
 * held: a new host disrupts nothing, and one unreachable host must not stop the others.
 *
 * A failed upgrade stops the pool's rollout: the upgrades still waiting fail without touching their
 * hosts, as `kubectl drain` scripts and Cluster API's MachineDeployments stop on the first failure.
 */

/** Which pool a NodeJoin belongs to and the pool's budget. */
export interface RolloutBudget {
    /** Names the pool within the stack (two pools of one name would share a budget: safe, only slower). */
    pool: string;
    maxUnavailable: number;
}

interface PoolRollout {
    running: number;
    waiting: (() => void)[];
    /** The node whose upgrade failed first, if any did in this run. */
    failed?: string;
}

const rollouts = new Map<string, PoolRollout>();

function rolloutOf(pool: string): PoolRollout {
    let r = rollouts.get(pool);
    if (!r) rollouts.set(pool, (r = { running: 0, waiting: [] }));
    return r;
}

/** Runs `upgrade` of `node` once the pool has room for one more unavailable node. */
export async function withinBudget<T>(budget: RolloutBudget, node: string, upgrade: () => Promise<T>): Promise<T> {
    const r = rolloutOf(budget.pool);
    while (r.running >= Math.max(1, budget.maxUnavailable)) await new Promise<void>((wake) => r.waiting.push(wake));
    r.running++;
    try {
        if (r.failed) {
            throw new Error(
                `Node ${node} was not upgraded: the upgrade of Node ${r.failed} in the same pool failed first, ` +
                    `which stops the rollout. Fix that host, then run \`pulumi up\` again.`,
            );
        }
        return await upgrade();
    } catch (e) {
        r.failed ??= node;
        throw e;
    } finally {
        r.running--;
        r.waiting.shift()?.();
    }
}
