// Real nodes: hosts prepared and joined by the package run the real kubelet, containerd and runc,
// pull every image through the lab registry (the mirror PreparedHost's registryMirrors writes), get
// their pod range from the tenant's controller-manager and reach each other's pods over the lab's
// pod network (lab/podnet.ts, applied through HostedControlPlane's cniManifest). A workload runs on
// three nodes; removing a host drains it through the Eviction API, which a PodDisruptionBudget holds up.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { labStack, LabDescription, LabTenant } from "../../lab/defaultStack";
import { KubeClient } from "../../lib/kube/client";
import { destroyAndDispose, newInlineStack, TestStack } from "../support/engine";
import { ensureLab, onHost, requireFreeHosts } from "../support/lab";
import { labDir } from "../support/management";
import { measureSince } from "../support/measure";
import { echoDeployment, readyPods } from "../../lab/workload";

const HOSTS = ["worker-1", "worker-2", "worker-3"];
const NS = "default";
const APP = "echo";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("real nodes: kubelet, containerd and runc run a workload pulled through the lab registry", function () {
    this.timeout(30 * 60 * 1000);
    let lab: LabDescription;
    let ts: TestStack;
    let tenants: LabTenant[];
    let tenant: KubeClient;
    const registryLog = () => fs.readFileSync(path.join(labDir, "registry", "logs", "registry.log"), "utf8");

    before(async () => {
        lab = ensureLab();
        requireFreeHosts(lab);
        tenants = [{ name: "team-r", slot: 4, hosts: HOSTS }];
        ts = await newInlineStack("hcp-real-nodes", async () => labStack(lab, tenants));
        const t0 = Date.now();
        await ts.stack.up();
        measureSince("up: tenant and 3 real nodes Ready", t0);
        tenant = KubeClient.fromKubeconfig((await ts.stack.outputs())["team-rKubeconfig"].value);
    });

    after(async () => {
        if (!ts) return;
        // The workload is the test's, not the stack's: gone first, or its budget would hold up the drains.
        if (tenant) {
            await tenant.delete(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${APP}`).catch(() => undefined);
            await tenant.delete(`/apis/apps/v1/namespaces/${NS}/deployments/${APP}`).catch(() => undefined);
        }
        await destroyAndDispose(ts, { cancel: true });
    });

    it("the Nodes report containerd 1.7.27 and the kubelet of the toolchain, with a pod range each", async () => {
        const nodes = await tenant.list("/api/v1/nodes");
        expect(nodes.map((n: any) => n.metadata.name).sort()).to.deep.equal(HOSTS);
        for (const n of nodes) {
            expect(n.status.nodeInfo.containerRuntimeVersion).to.equal("containerd://1.7.27");
            expect(n.status.nodeInfo.kubeletVersion).to.equal(lab.kubernetesVersion);
            expect(n.spec.podCIDR, `${n.metadata.name} has a pod range from --allocate-node-cidrs`).to.match(
                /^10\.208\.\d+\.0\/24$/,
            );
        }
        const podCidrs = new Set(nodes.map((n: any) => n.spec.podCIDR));
        expect(podCidrs.size).to.equal(3);
    });

    it("on each host the real kubelet answers /healthz and crictl lists the pod network agent", () => {
        for (const h of HOSTS) {
            expect(onHost(h, "curl -s http://127.0.0.1:10248/healthz").trim()).to.equal("ok");
            const kubelet = onHost(h, "cat /proc/$(cat /var/lib/standin-systemd/kubelet.pid)/cmdline | tr '\\0' ' '");
            expect(kubelet).to.match(/^\/usr\/local\/bin\/kubelet .*--config=\/var\/lib\/kubelet\/config.yaml/);
            expect(onHost(h, "/usr/local/bin/kubelet --version").trim()).to.equal(
                `Kubernetes ${lab.kubernetesVersion}`,
            );
            const ps = onHost(h, "crictl --runtime-endpoint unix:///run/containerd/containerd.sock ps -o json");
            const names = JSON.parse(ps).containers.map((c: any) => c.metadata.name);
            expect(names, `${h} runs the podnet container`).to.include("podnet");
        }
    });

    it("a Deployment of 3 replicas runs on the 3 nodes, its pods reach each other across nodes", async () => {
        const t0 = Date.now();
        await tenant.create(`/apis/apps/v1/namespaces/${NS}/deployments`, echoDeployment(NS, APP, lab.images.workload));
        const pods = await tenant.waitFor(
            `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${APP}`,
            (list: any) => {
                const r = readyPods(list?.items ?? []);
                return r.length === 3 && new Set(r.map((p: any) => p.spec.nodeName)).size === 3 ? r : undefined;
            },
            { timeoutMs: 5 * 60_000, description: "3 Ready echo pods on 3 different nodes" },
        );
        measureSince("workload: 3 pods Running on 3 nodes", t0);
        const [a, b, c] = pods;
        // From node A's network namespace into pod A, which fetches pod B's page (pod to pod, across nodes).
        const hostA = a.spec.nodeName;
        const out = onHost(
            hostA,
            `curl -s --max-time 10 'http://${a.status.podIP}:8080/fetch?url=http://${b.status.podIP}:8080/'`,
        );
        expect(out).to.include(`ip=${b.status.podIP}`);
        expect(out).to.include(`client=${a.status.podIP}:`);
        // And from another node's namespace straight to pod C.
        const hostOther = HOSTS.find((h) => h !== c.spec.nodeName)!;
        expect(onHost(hostOther, `curl -s --max-time 10 http://${c.status.podIP}:8080/`)).to.include(
            `ip=${c.status.podIP}`,
        );
    });

    it("every image the nodes ran came through the registry mirror", () => {
        const log = registryLog();
        const workloadRepo = lab.images.workload.replace(/^[^/]+\//, "").split(":")[0];
        for (const h of lab.hosts.filter((x) => HOSTS.includes(x.name))) {
            // The access log's lines start with the client's address.
            const fromHost = log.split("\n").filter((l) => l.startsWith(`${h.address} `));
            expect(fromHost.join("\n"), `${h.name} pulled the pause image`).to.match(/GET \/v2\/pause\/manifests\//);
            expect(fromHost.join("\n"), `${h.name} pulled the pod network agent`).to.include(
                "/v2/hcp-lab/podnet/manifests/",
            );
            expect(fromHost.join("\n"), `${h.name} pulled the workload`).to.include(`/v2/${workloadRepo}/manifests/`);
        }
    });

    it("removing a host drains it through the Eviction API: a PodDisruptionBudget holds the drain until it allows it", async () => {
        const victim = "worker-3";
        await tenant.create(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: APP, namespace: NS },
            spec: { minAvailable: 3, selector: { matchLabels: { app: APP } } },
        });
        const onVictim = readyPods(await tenant.list(`/api/v1/namespaces/${NS}/pods`, `app=${APP}`)).filter(
            (p: any) => p.spec.nodeName === victim,
        );
        expect(onVictim.length).to.be.greaterThan(0);
        tenants = [{ name: "team-r", slot: 4, hosts: HOSTS.filter((h) => h !== victim) }];
        const t0 = Date.now();
        const up = ts.stack.up();
        // The node is cordoned, but its pod stays: the budget refuses the eviction (429) and the drain waits.
        await tenant.waitFor(`/api/v1/nodes/${victim}`, (n: any) => n?.spec?.unschedulable === true, {
            timeoutMs: 3 * 60_000,
            description: `Node ${victim} cordoned`,
        });
        await sleep(15_000);
        for (const p of onVictim) {
            const now = await tenant.get(`/api/v1/namespaces/${NS}/pods/${p.metadata.name}`);
            expect(now, `${p.metadata.name} is still there while the budget forbids its eviction`).to.not.equal(
                undefined,
            );
            expect(now.metadata.deletionTimestamp).to.equal(undefined);
        }
        // Relax the budget: the drain goes on, the pod is evicted and its replacement runs elsewhere.
        await tenant.patch(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${APP}`, {
            spec: { minAvailable: 2 },
        });
        await up;
        measureSince("scale-in with a PodDisruptionBudget in the way", t0);
        const after = readyPods(await tenant.list(`/api/v1/namespaces/${NS}/pods`, `app=${APP}`));
        expect(after.length).to.equal(3);
        expect(after.map((p: any) => p.spec.nodeName)).to.not.include(victim);
        const events = await tenant.list(`/api/v1/namespaces/${NS}/events`);
        const evicted = events.filter(
            (e: any) =>
                onVictim.some((p: any) => p.metadata.name === e.involvedObject?.name) && /Evict|Killing/.test(e.reason),
        );
        expect(evicted.length, "the victim's pod was evicted, not deleted out of band").to.be.greaterThan(0);
        expect(await tenant.get(`/api/v1/nodes/${victim}`)).to.equal(undefined);
        expect(onHost(victim, "ls /etc/kubernetes/kubelet.conf 2>/dev/null || echo reset").trim()).to.equal("reset");
    });
});
