/**
 * Benchmark: real nodes on the lab. From the start of `pulumi up` of a tenant with 3 new workers to
 * the workload's 3 pods Running on them (prepare, join, pod network, image pulls through the lab
 * registry, scheduling), and the memory each node's kubelet and containerd then use.
 */
import { labStack, LabDescription } from "../../lab/defaultStack";
import { KubeClient } from "../../provider/kube/client";
import { newInlineStack } from "../support/engine";
import { onHost, requireFreeHosts } from "../support/lab";
import { echoDeployment, readyPods } from "../../lab/workload";

const HOSTS = ["worker-1", "worker-2", "worker-3"];

export interface RealNodesFigures {
    upToNodesReadySeconds: number;
    upToPodsRunningSeconds: number;
    /** per node: resident memory of kubelet and containerd, MiB. */
    memory: { node: string; kubeletMiB: number; containerdMiB: number }[];
}

const rssMiB = (host: string, unit: string) =>
    Number(onHost(host, `grep VmRSS /proc/$(cat /var/lib/standin-systemd/${unit}.pid)/status | awk '{print $2}'`)) /
    1024;

export async function realNodes(lab: LabDescription): Promise<RealNodesFigures> {
    requireFreeHosts({ ...lab, hosts: lab.hosts.filter((h) => HOSTS.includes(h.name)) });
    const ts = await newInlineStack("hcp-bench-real-nodes", async () =>
        labStack(lab, [{ name: "bench", slot: 6, hosts: HOSTS }]),
    );
    try {
        const t0 = Date.now();
        await ts.stack.up();
        const nodesReady = Date.now();
        const tenant = KubeClient.fromKubeconfig((await ts.stack.outputs())["benchKubeconfig"].value);
        await tenant.create(
            "/apis/apps/v1/namespaces/default/deployments",
            echoDeployment("default", "echo", lab.images.workload),
        );
        await tenant.waitFor(
            "/api/v1/namespaces/default/pods?labelSelector=app%3Decho",
            (l: any) => readyPods(l?.items ?? []).length === 3 || undefined,
            { timeoutMs: 5 * 60_000, description: "3 Ready echo pods" },
        );
        const podsRunning = Date.now();
        const memory = HOSTS.map((node) => ({
            node,
            kubeletMiB: rssMiB(node, "kubelet"),
            containerdMiB: rssMiB(node, "containerd"),
        }));
        await tenant.delete("/apis/apps/v1/namespaces/default/deployments/echo");
        return {
            upToNodesReadySeconds: (nodesReady - t0) / 1000,
            upToPodsRunningSeconds: (podsRunning - t0) / 1000,
            memory,
        };
    } finally {
        await ts.stack.destroy().catch(() => undefined);
        await ts.dispose();
    }
}

export function reportRealNodes(f: RealNodesFigures): void {
    console.log("\n| real nodes (3 new workers) | value |");
    console.log("|---|---|");
    console.log(`| \`pulumi up\` start → 3 Nodes Ready | ${f.upToNodesReadySeconds.toFixed(1)} s |`);
    console.log(`| \`pulumi up\` start → workload's 3 pods Running | ${f.upToPodsRunningSeconds.toFixed(1)} s |`);
    for (const m of f.memory)
        console.log(
            `| ${m.node}: kubelet + containerd RSS | ${m.kubeletMiB.toFixed(0)} + ${m.containerdMiB.toFixed(0)} MiB |`,
        );
}
