/**
 * Which pool owns which host, across the WorkerPools of one program run: a host joins one pool
 * only, and a Node name belongs to one host only. Here, not in model/, because it is state: it
 * lives as long as the program run (the run's Stack resource).
 */
import { defaultNodeName, hostIdentity } from "../model/hosts";
import { PropertyError } from "../model/rules/propertyError";
import { nodeNameText } from "../model/rules/workerPool";

/**
 * A host a pool claims: its address and, when it joins as a Node, its Node name.
 * @internal
 */
export interface HostClaim {
    address: string;
    /** Where the address is set, e.g. `hosts[0].address`. */
    path: string;
    /** The Node name the host registers as (explicit or the default). */
    nodeName?: string;
    /** Where the Node name is set (or would be), e.g. `hosts[0].nodeName`. */
    nodeNamePath?: string;
    /** The Node name is the default, derived from the address. */
    nodeNameDefault?: boolean;
}

/**
 * Hosts claimed by the pools of this program (one program = one stack), keyed by
 * {@link hostIdentity}, and the Node names they register as. A host may belong to one pool only
 * (two pools would fight over it), and a Node name to one host only (two hosts with one Node name
 * become one Node).
 * @internal
 */
export class HostRegistry {
    private readonly owners = new Map<string, string>();
    private readonly nodes = new Map<string, { pool: string; host: string }>();

    /** Claims the hosts for `pool`; returns an error per host or Node name another pool already claimed. */
    claim(pool: string, addresses: HostClaim[]): PropertyError[] {
        const errors: PropertyError[] = [];
        for (const { address, path, nodeName, nodeNamePath, nodeNameDefault } of addresses) {
            const id = hostIdentity(address);
            const owner = this.owners.get(id);
            if (owner !== undefined && owner !== pool) {
                errors.push({
                    propertyPath: path,
                    reason: `${address} already belongs to WorkerPool "${owner}" in this stack; a host can join one pool only: remove it from one of them`,
                });
                continue;
            }
            const node = nodeName === undefined ? undefined : this.nodes.get(nodeName);
            if (node !== undefined && node.pool !== pool) {
                errors.push({
                    propertyPath: nodeNamePath ?? path,
                    reason: `${nodeNameText(nodeName!, !nodeNameDefault, address)} is also the nodeName of ${node.host} in WorkerPool "${node.pool}" in this stack; two hosts with one Node name would become one Node: give each host its own nodeName`,
                });
            }
        }
        if (errors.length === 0)
            for (const { address, path, nodeName, nodeNamePath } of addresses) {
                this.owners.set(hostIdentity(address), pool);
                if (nodeName !== undefined)
                    this.nodes.set(nodeName, {
                        pool,
                        host: (nodeNamePath ?? path).replace(/\.(nodeName|address)$/, ""),
                    });
            }
        return errors;
    }

    /** Claims a pool's hosts as written in its `hosts` (Node names defaulted from the addresses). */
    claimPoolHosts(pool: string, hosts: { address: string; nodeName?: string }[]): PropertyError[] {
        return this.claim(
            pool,
            hosts.map((h, i) => ({
                address: h.address,
                path: `hosts[${i}].address`,
                nodeName: h.nodeName ?? defaultNodeName(h.address),
                nodeNamePath: `hosts[${i}].nodeName`,
                nodeNameDefault: h.nodeName === undefined,
            })),
        );
    }

    release(pool: string): void {
        for (const [k, v] of [...this.owners]) if (v === pool) this.owners.delete(k);
        for (const [k, v] of [...this.nodes]) if (v.pool === pool) this.nodes.delete(k);
    }
}

/**
 * The registry of a program run without a Stack resource (unit tests with mocks).
 * @internal
 */
export const stackHosts = new HostRegistry();

const registries = new WeakMap<object, HostRegistry>();

/**
 * The registry of the program run in progress. Automation API inline programs run many times in
 * one process, so the registry belongs to the run's Stack resource, not to the module; without a
 * Stack resource (unit tests with mocks) it is `stackHosts`.
 * @internal
 */
export function currentStackHosts(stackResource: object | undefined): HostRegistry {
    if (!stackResource) return stackHosts;
    let r = registries.get(stackResource);
    if (!r) registries.set(stackResource, (r = new HostRegistry()));
    return r;
}
