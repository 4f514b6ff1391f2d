/**
 * Benchmark: a new tenant on the lab's real Kamaji, with 3 new real nodes. From the start of
 * `pulumi up` to the workload's 3 pods Running (Kamaji's control plane pods, prepare, join, pod
 * network, image pulls through the lab registry, scheduling); the memory each node's kubelet and
 * containerd then use; and what the tenant's control plane costs the management cluster (the
 * working set of its pods, as their kubelets report it).
 */
import * as fs from "fs";
import { labStack, LabDescription } from "../../lab/defaultStack";
import { KubeClient } from "../../lib/kube/client";
import { newInlineStack } from "../support/engine";
import { onHost, requireFreeHosts } from "../support/lab";
import { echoDeployment, readyPods } from "../../lab/workload";

const HOSTS = ["worker-1", "worker-2", "worker-3"];

export interface RealNodesFigures {
    upToNodesReadySeconds: number;
    upToPodsRunningSeconds: number;
    /** per node: resident memory of kubelet and containerd, MiB. */
    memory: { node: string; kubeletMiB: number; containerdMiB: number }[];
    /** The tenant control plane's pods on the management cluster: count and working set, MiB. */
    controlPlane: { pods: number; workingSetMiB: number };
}

/** The working set of the tenant's control plane pods, from each management node's kubelet summary. */
async function controlPlaneMemory(
    lab: LabDescription,
    tenant: string,
): Promise<{ pods: number; workingSetMiB: number }> {
    const mgmt = KubeClient.fromKubeconfig(fs.readFileSync(lab.managementKubeconfig, "utf8"));
    const pods = await mgmt.list("/api/v1/namespaces/default/pods", `kamaji.clastix.io/name=${tenant}`);
    let bytes = 0;
    for (const node of new Set(pods.map((p: any) => p.spec.nodeName as string))) {
        const summary = await mgmt.get(`/api/v1/nodes/${node}/proxy/stats/summary`);
        for (const p of summary?.pods ?? [])
            if (pods.some((x: any) => x.metadata.uid === p.podRef.uid)) bytes += p.memory?.workingSetBytes ?? 0;
    }
    return { pods: pods.length, workingSetMiB: bytes / 1024 / 1024 };
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
        const controlPlane = await controlPlaneMemory(lab, "bench");
        await tenant.delete("/apis/apps/v1/namespaces/default/deployments/echo");
        return {
            controlPlane,
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
    console.log("\n| a new tenant on the real Kamaji, 3 new real workers | value |");
    console.log("|---|---|");
    console.log(`| \`pulumi up\` start → 3 Nodes Ready | ${f.upToNodesReadySeconds.toFixed(1)} s |`);
    console.log(`| \`pulumi up\` start → workload's 3 pods Running | ${f.upToPodsRunningSeconds.toFixed(1)} s |`);
    console.log(
        `| management cluster: the tenant's ${f.controlPlane.pods} control plane pods, working set | ${f.controlPlane.workingSetMiB.toFixed(0)} MiB (${(f.controlPlane.workingSetMiB / Math.max(1, f.controlPlane.pods)).toFixed(0)} MiB per pod) |`,
    );
    for (const m of f.memory)
        console.log(
            `| ${m.node}: kubelet + containerd RSS | ${m.kubeletMiB.toFixed(0)} + ${m.containerdMiB.toFixed(0)} MiB |`,
        );
}
