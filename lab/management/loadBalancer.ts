/**
 * The lab's LoadBalancer controller for the management cluster: what MetalLB's layer-2 mode does,
 * in the small. Each Service of type LoadBalancer gets an address from a pool on the lab bridge
 * (kept while the Service lives; `spec.loadBalancerIP` is honoured when it is in the pool and
 * free), written to `status.loadBalancer.ingress`, and carried by one management node: the address
 * is added to that node's interface, so the bridge delivers its traffic there and the node's
 * kube-proxy forwards it to the Service's pods, as for any LoadBalancer ingress address. Addresses
 * of Services that are gone are taken off the node.
 *
 *   node dist/lab/management/loadBalancer.js --kubeconfig FILE --pool 198.18.N.100-198.18.N.149 --netns NS [--interval-ms 1000]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../lib/kube";

export interface ServiceView {
    namespace: string;
    name: string;
    type: string;
    requested?: string;
    assigned: string[];
}

/** Every address of an IPv4 range "A-B" (same /24), in order. */
export function poolAddresses(range: string): string[] {
    const m = /^(\d+\.\d+\.\d+)\.(\d+)-(\d+\.\d+\.\d+)\.(\d+)$/.exec(range);
    if (!m || m[1] !== m[3] || Number(m[2]) > Number(m[4]) || Number(m[4]) > 254)
        throw new Error(`--pool "${range}": use FIRST-LAST within one /24, e.g. 198.18.0.100-198.18.0.149`);
    const out: string[] = [];
    for (let i = Number(m[2]); i <= Number(m[4]); i++) out.push(`${m[1]}.${i}`);
    return out;
}

/**
 * Which address each LoadBalancer Service should have ("ns/name" → ip): the requested one
 * (`spec.loadBalancerIP`) when it is in the pool and no other Service holds or asked for it first; else the
 * pool address it has; else the lowest free one. When the pool is exhausted a Service gets none (and
 * waits, as under MetalLB).
 */
export function allocate(services: ServiceView[], pool: string[]): Map<string, string> {
    const inPool = new Set(pool);
    const taken = new Set<string>();
    const result = new Map<string, string>();
    const lbs = services.filter((s) => s.type === "LoadBalancer");
    const key = (s: ServiceView) => `${s.namespace}/${s.name}`;
    const give = (s: ServiceView, ip: string) => {
        taken.add(ip);
        result.set(key(s), ip);
    };
    const wants = (s: ServiceView) => !!s.requested && inPool.has(s.requested) && !taken.has(s.requested);
    // A requester that already holds its address keeps it against a later one asking for the same.
    for (const s of lbs) if (wants(s) && s.assigned.includes(s.requested!)) give(s, s.requested!);
    for (const s of lbs) if (!result.has(key(s)) && wants(s)) give(s, s.requested!);
    for (const s of lbs) {
        if (result.has(key(s)) || s.requested) continue;
        const keep = s.assigned.find((ip) => inPool.has(ip) && !taken.has(ip));
        if (keep) give(s, keep);
    }
    for (const s of lbs) {
        if (result.has(key(s)) || (s.requested && inPool.has(s.requested))) continue;
        const ip = pool.find((a) => !taken.has(a));
        if (ip) give(s, ip);
    }
    return result;
}

function view(s: any): ServiceView {
    return {
        namespace: s.metadata.namespace,
        name: s.metadata.name,
        type: s.spec?.type ?? "ClusterIP",
        requested: s.spec?.loadBalancerIP || undefined,
        assigned: (s.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).filter(Boolean),
    };
}

/** The pool addresses the announcing node carries now. */
function carried(netns: string, pool: Set<string>): Set<string> {
    const out = execFileSync("ip", ["-n", netns, "-o", "-4", "addr", "show", "dev", "eth0"], { encoding: "utf8" });
    return new Set([...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/32/g)].map((m) => m[1]).filter((ip) => pool.has(ip)));
}

async function reconcile(client: KubeClient, pool: string[], netns: string, log: (m: string) => void): Promise<void> {
    const services = (await client.list("/api/v1/services")).map(view);
    const wanted = allocate(services, pool);
    const poolSet = new Set(pool);
    const have = carried(netns, poolSet);
    const needed = new Set(wanted.values());
    for (const ip of needed) {
        if (have.has(ip)) continue;
        execFileSync("ip", ["-n", netns, "addr", "add", `${ip}/32`, "dev", "eth0"]);
        log(`carrying ${ip} on ${netns}`);
    }
    for (const ip of have) {
        if (needed.has(ip)) continue;
        execFileSync("ip", ["-n", netns, "addr", "del", `${ip}/32`, "dev", "eth0"]);
        log(`released ${ip}`);
    }
    for (const s of services) {
        const ip = wanted.get(`${s.namespace}/${s.name}`);
        if (!ip || (s.assigned.length === 1 && s.assigned[0] === ip)) continue;
        await client.patch(
            `/api/v1/namespaces/${encodeURIComponent(s.namespace)}/services/${encodeURIComponent(s.name)}/status`,
            { status: { loadBalancer: { ingress: [{ ip }] } } },
            "merge",
        );
        log(`Service ${s.namespace}/${s.name}: ingress ${ip}`);
    }
}

async function main(): Promise<void> {
    const { values: o } = parseArgs({
        options: {
            kubeconfig: { type: "string" },
            pool: { type: "string" },
            netns: { type: "string" },
            "interval-ms": { type: "string", default: "1000" },
        },
    });
    if (!o.kubeconfig || !o.pool || !o.netns)
        throw new Error("usage: loadBalancer.js --kubeconfig FILE --pool A-B --netns NS");
    const pool = poolAddresses(o.pool);
    const client = KubeClient.fromKubeconfig(fs.readFileSync(o.kubeconfig, "utf8"));
    const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
    log(`LoadBalancer controller: pool ${o.pool}, announced by ${o.netns}`);
    for (;;) {
        try {
            await reconcile(client, pool, o.netns, log);
        } catch (e) {
            log(`reconcile failed (retrying): ${(e as Error).message}`);
        }
        await sleep(Number(o["interval-ms"]));
    }
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
    });
}
