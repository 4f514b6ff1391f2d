// The whole lifecycle end to end on the local lab, through the Automation API and the real engine:
// an interrupted first up that converges, previews that name exactly what changes, scale out and
// in, control plane and pool upgrades one minor version (in place, maxUnavailable honoured), a
// second tenant on the same DataStore, and a destroy that leaves nothing behind.
// Wall times of each step are printed as [measure] lines.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { labStack, LabDescription, LabTenant } from "../../lab/defaultStack";
import { readyPods } from "../../lab/workload";
import { KubeClient } from "../../lib/kube/client";
import { destroyAndDispose, newInlineStack, previewSteps, TestStack } from "../support/engine";
import { dataStoreEtcd, ensureLab, managementClient, onHost, requireFreeHosts } from "../support/lab";
import { labNet } from "../support/labNet";
import { measureSince } from "../support/measure";

const MAX_UNAVAILABLE = 2;
// The lab workload: 3 echo pods with a PodDisruptionBudget of minAvailable 2.
const WORKLOAD_REPLICAS = 3;
const WORKLOAD_MIN_AVAILABLE = 2;

const shortName = (urn: string) => urn.split("::").pop()!;

/** SIGKILLs the processes listed (one pid a line) and all their descendants, as a crash would. */
function killTree(pids: string): void {
    const children = new Map<number, number[]>();
    for (const d of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
        try {
            const ppid = Number(fs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1].split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
        } catch {
            /* gone */
        }
    }
    const all: number[] = [];
    const walk = (p: number) => {
        all.push(p);
        (children.get(p) ?? []).forEach(walk);
    };
    pids.split("\n").filter(Boolean).map(Number).forEach(walk);
    for (const p of all) {
        try {
            process.kill(p, "SIGKILL");
        } catch {
            /* already gone */
        }
    }
}

describe("lifecycle on the local lab (Automation API, real engine, real joins)", function () {
    this.timeout(30 * 60 * 1000);
    let lab: LabDescription;
    let ts: TestStack;
    let tenants: LabTenant[];
    let v1: string;
    let v2: string;

    const setTenants = (t: LabTenant[]) => {
        tenants = t;
    };
    const tenantClient = async (name: string) =>
        KubeClient.fromKubeconfig((await ts.stack.outputs())[`${name}Kubeconfig`].value);
    const readyNodes = async (name: string) => {
        const nodes = await (await tenantClient(name)).list("/api/v1/nodes");
        return nodes
            .filter((n: any) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
            .map((n: any) => `${n.metadata.name}@${n.status.nodeInfo.kubeletVersion}`)
            .sort();
    };
    const readyEcho = async () =>
        readyPods(await (await tenantClient("team-a")).list("/api/v1/namespaces/default/pods", "app=echo")).length;
    const waitForWorkload = async () => {
        const deadline = Date.now() + 180_000;
        let ready = 0;
        while ((ready = await readyEcho().catch(() => 0)) < WORKLOAD_REPLICAS) {
            if (Date.now() > deadline)
                throw new Error(`the workload has ${ready} Ready pods, not ${WORKLOAD_REPLICAS}, after 180 s`);
            await new Promise((r) => setTimeout(r, 1000));
        }
    };
    /**
     * Runs `op` while counting the workload's Ready pods every 250 ms; returns the fewest seen. A
     * sample the tenant API does not answer (its pods restart in a control plane upgrade) is skipped.
     */
    const fewestReadyDuring = async <T>(
        op: () => Promise<T>,
    ): Promise<{ result: T; fewest: number; samples: number }> => {
        let sampling = true;
        let fewest = Infinity;
        let samples = 0;
        const sampler = (async () => {
            while (sampling) {
                const n = await readyEcho().catch(() => undefined);
                if (n !== undefined) {
                    fewest = Math.min(fewest, n);
                    samples++;
                }
                await new Promise((r) => setTimeout(r, 250));
            }
        })();
        const result = await op().finally(() => (sampling = false));
        await sampler;
        return { result, fewest, samples };
    };
    /** What a preview would change (reads left out), as sorted "op name" lines. */
    const previewedChanges = async () =>
        (await previewSteps(ts.stack)).steps
            .filter((s) => s.op !== "read")
            .map((s) => `${s.op} ${shortName(s.urn)}`)
            .sort();
    const tcpSchema = async (name: string) => {
        const tcp = await managementClient(lab).get(
            `/apis/kamaji.clastix.io/v1alpha1/namespaces/default/tenantcontrolplanes/${name}`,
        );
        const schema = tcp?.status?.storage?.setup?.schema;
        if (!schema) throw new Error(`TenantControlPlane ${name} reports no status.storage.setup.schema`);
        return schema as string;
    };

    before(async () => {
        lab = ensureLab();
        requireFreeHosts(lab);
        v1 = lab.kubernetesVersion;
        v2 = lab.upgradeVersions[0];
        if (!v2)
            throw new Error(
                "the lab has no upgrade version: scripts/versions.env KUBERNETES_UPGRADE_VERSIONS must name one and scripts/toolchain build it",
            );
        setTenants([
            {
                name: "team-a",
                slot: 0,
                kubernetesVersion: v1,
                hosts: ["worker-1", "worker-2", "worker-3"],
                maxUnavailable: MAX_UNAVAILABLE,
                workload: true,
            },
        ]);
        ts = await newInlineStack("hcp-lifecycle", async () => labStack(lab, tenants));
    });

    after(() => destroyAndDispose(ts, { cancel: true }));

    it("an up killed mid-way converges on the re-run, with nothing duplicated", async () => {
        const t0 = Date.now();
        let killed = false;
        // Joins started before the kill: each may leave the bootstrap token it minted behind.
        let joinsStarted = 0;
        let killDone = false;
        const first = ts.stack.up({
            onEvent: (e) => {
                const m = e.resourcePreEvent?.metadata;
                if (!m?.type.endsWith("hcp:NodeJoin")) return;
                if (!killDone) joinsStarted++;
                if (!killed) {
                    killed = true;
                    // Kill the CLI and its plugins while the first join runs on its host.
                    setTimeout(() => {
                        killDone = true;
                        killTree(execFileSync("pgrep", ["-f", "pulumi up .*--stack test"], { encoding: "utf8" }));
                    }, 1500);
                }
            },
        });
        const err = await first.then(
            () => undefined,
            (e: Error) => e,
        );
        expect(killed, "a NodeJoin started before the kill").to.equal(true);
        expect(err?.message).to.match(/SIGKILL|killed/);
        // The dead process still holds the backend's lock: release it. Creates it left pending are
        // dropped from state; the re-run adopts what they did on the hosts (joins are idempotent).
        await ts.stack.cancel();
        await ts.stack.refresh({ clearPendingCreates: true });
        const up = await ts.stack.up();
        expect((await ts.stack.exportStack()).deployment.pending_operations ?? []).to.deep.equal([]);
        expect(up.summary.result).to.equal("succeeded");
        expect(await readyNodes("team-a")).to.deep.equal([`worker-1@${v1}`, `worker-2@${v1}`, `worker-3@${v1}`]);
        await waitForWorkload();
        const tokens = (await (await tenantClient("team-a")).list("/api/v1/namespaces/kube-system/secrets")).filter(
            (s: any) =>
                s.type === "bootstrap.kubernetes.io/token" &&
                // The joins' own (Kamaji's kubeadm phases leave a 24 h token of their own as well).
                /by pulumi-hosted-control-plane$/.test(Buffer.from(s.data.description ?? "", "base64").toString()),
        );
        // At most the tokens of the joins the kill cut short are left, and they expire within 15 minutes.
        expect(tokens.length).to.be.at.most(joinsStarted);
        for (const t of tokens) {
            const expiry = Date.parse(Buffer.from(t.data.expiration, "base64").toString());
            expect(expiry - Date.now()).to.be.at.most(15 * 60_000);
        }
        measureSince("interrupted up + re-run to 3 Ready nodes", t0);
    });

    it("previews no changes after up", async () => {
        const t0 = Date.now();
        expect((await previewSteps(ts.stack)).steps.filter((s) => s.op !== "read")).to.deep.equal([]);
        measureSince("no-change preview", t0);
    });

    it("scales 3 → 5: the preview shows exactly the new hosts' creates", async () => {
        const t0 = Date.now();
        setTenants([{ ...tenants[0], hosts: ["worker-1", "worker-2", "worker-3", "worker-4", "worker-5"] }]);
        expect(await previewedChanges()).to.deep.equal([
            `create host-198-18-${labNet}-14-join`,
            `create host-198-18-${labNet}-14-prep`,
            `create host-198-18-${labNet}-15-join`,
            `create host-198-18-${labNet}-15-prep`,
        ]);
        await ts.stack.up();
        expect(await readyNodes("team-a")).to.have.length(5);
        measureSince("scale out 3 → 5 (preview + up)", t0);
    });

    it("removes one host: the preview shows exactly its delete; the host is reset and its Node gone", async () => {
        const t0 = Date.now();
        setTenants([{ ...tenants[0], hosts: ["worker-1", "worker-3", "worker-4", "worker-5"] }]);
        expect(await previewedChanges()).to.deep.equal([
            `delete host-198-18-${labNet}-12-join`,
            `delete host-198-18-${labNet}-12-prep`,
        ]);
        await waitForWorkload();
        const { fewest, samples } = await fewestReadyDuring(() => ts.stack.up());
        expect(samples, "workload samples").to.be.greaterThan(0);
        expect(fewest, "fewest Ready workload pods while worker-2 was drained").to.be.at.least(WORKLOAD_MIN_AVAILABLE);
        expect((await readyNodes("team-a")).map((n) => n.split("@")[0])).to.deep.equal([
            "worker-1",
            "worker-3",
            "worker-4",
            "worker-5",
        ]);
        expect(
            onHost(
                "worker-2",
                "ls /etc/kubernetes/kubelet.conf /var/lib/hcp-hostprep /usr/local/bin/kubeadm 2>/dev/null || true",
            ).trim(),
        ).to.equal("");
        measureSince("scale in 5 → 4 (preview + up)", t0);
    });

    it(`upgrades the control plane one minor version in place`, async () => {
        const t0 = Date.now();
        setTenants([{ ...tenants[0], kubernetesVersion: v2, poolVersion: v1 }]);
        const p = await previewSteps(ts.stack);
        const changes = p.steps.filter((s) => s.op !== "read");
        expect(changes.map((s) => s.op)).to.satisfy((ops: string[]) => ops.every((o) => o === "update"));
        expect(changes.map((s) => shortName(s.urn))).to.include("team-a-tcp");
        await waitForWorkload();
        const { fewest, samples } = await fewestReadyDuring(() => ts.stack.up());
        expect(samples, "workload samples").to.be.greaterThan(0);
        expect(fewest, "fewest Ready workload pods while the control plane rolled").to.be.at.least(
            WORKLOAD_MIN_AVAILABLE,
        );
        const version = await (await tenantClient("team-a")).request("GET", "/version");
        expect(version.gitVersion).to.equal(v2);
        measureSince(`control plane ${v1} → ${v2}`, t0);
    });

    it(`upgrades the pool in place, at most ${MAX_UNAVAILABLE} hosts at a time`, async () => {
        const t0 = Date.now();
        setTenants([{ ...tenants[0], kubernetesVersion: v2, poolVersion: undefined }]);
        const p = await previewSteps(ts.stack);
        const changes = p.steps.filter((s) => s.op !== "read");
        expect([...new Set(changes.map((s) => s.op))]).to.deep.equal(["update"]);
        expect(changes.filter((s) => s.urn.endsWith("-join"))).to.have.length(4);
        // What maxUnavailable limits: Nodes cordoned (drained) at the same instant, as the tenant
        // API shows them while the update runs. The engine starts all four NodeJoin updates at
        // once; the pool's budget in the provider must hold all but MAX_UNAVAILABLE back.
        const client = await tenantClient("team-a");
        const everCordoned = new Set<string>();
        let mostCordoned = 0;
        let sampling = true;
        const sampler = (async () => {
            while (sampling) {
                const nodes = await client.list("/api/v1/nodes").catch(() => []);
                const cordoned = nodes.filter((n: any) => n.spec?.unschedulable).map((n: any) => n.metadata.name);
                cordoned.forEach((n: string) => everCordoned.add(n));
                mostCordoned = Math.max(mostCordoned, cordoned.length);
                await new Promise((r) => setTimeout(r, 50));
            }
        })();
        await waitForWorkload();
        const workload = await fewestReadyDuring(() => ts.stack.up().finally(() => (sampling = false)));
        await sampler;
        const up = workload.result;
        expect(workload.fewest, "fewest Ready workload pods while the pool upgraded").to.be.at.least(
            WORKLOAD_MIN_AVAILABLE,
        );
        expect(up.summary.resourceChanges?.update).to.be.at.least(4);
        // Every node was seen drained (so the sampling sees drains), never more than the budget at once.
        expect([...everCordoned].sort()).to.deep.equal(["worker-1", "worker-3", "worker-4", "worker-5"]);
        expect(mostCordoned).to.be.at.most(MAX_UNAVAILABLE);
        expect(await readyNodes("team-a")).to.deep.equal(
            ["worker-1", "worker-3", "worker-4", "worker-5"].map((n) => `${n}@${v2}`),
        );
        measureSince(`pool ${v1} → ${v2} (4 hosts)`, t0);
    });

    it("a second tenant shares the DataStore; deleting the first leaves the second's data intact", async () => {
        const t0 = Date.now();
        setTenants([...tenants, { name: "team-b", slot: 1, kubernetesVersion: v1, hosts: ["worker-2"] }]);
        await ts.stack.up();
        const b = await tenantClient("team-b");
        await b.create("/api/v1/namespaces/default/configmaps", {
            metadata: { name: "survives" },
            data: { team: "b" },
        });
        const [schemaA, schemaB] = [await tcpSchema("team-a"), await tcpSchema("team-b")];
        expect(schemaA).not.to.equal(schemaB);
        const etcd = dataStoreEtcd(lab);
        try {
            const stable = async () => {
                const kvs = await etcd.getAll().prefix(`/${schemaB}/`).exec();
                // Leases and events change on their own; everything else must stay as it was.
                return new Map(
                    kvs.kvs
                        .map((kv) => [kv.key.toString(), kv.create_revision] as const)
                        .filter(([k]) => !/\/(leases|events|masterleases)\//.test(k)),
                );
            };
            const before = await stable();
            expect(before.size).to.be.greaterThan(50);
            setTenants(tenants.filter((t) => t.name !== "team-a"));
            await ts.stack.up();
            const after = await stable();
            for (const [k, rev] of before) expect(after.get(k), k).to.equal(rev);
            expect((await etcd.getAll().prefix(`/${schemaA}/`).keys()).length).to.equal(0);
            expect((await b.get("/api/v1/namespaces/default/configmaps/survives")).data).to.deep.equal({ team: "b" });
        } finally {
            etcd.close();
        }
        measureSince("second tenant + delete the first", t0);
    });

    it("destroy leaves no tenant, DataStore, Secret, etcd key, Node or host state behind", async () => {
        const t0 = Date.now();
        const schemaB = await tcpSchema("team-b");
        await ts.stack.destroy();
        const mgmt = managementClient(lab);
        expect(await mgmt.list("/apis/kamaji.clastix.io/v1alpha1/tenantcontrolplanes")).to.deep.equal([]);
        // The lab's own DataStore "default" (Kamaji's default, lab/operator.sh) is not the stack's.
        expect(
            (await mgmt.list("/apis/kamaji.clastix.io/v1alpha1/datastores"))
                .map((d: any) => d.metadata.name)
                .filter((n: string) => n !== "default"),
        ).to.deep.equal([]);
        const secrets = (await mgmt.list("/api/v1/secrets")).map((s: any) => s.metadata.name);
        expect(secrets.filter((n: string) => /^(team-a|team-b|lab-etcd)/.test(n))).to.deep.equal([]);
        const etcd = dataStoreEtcd(lab);
        try {
            expect(await etcd.getAll().prefix(`/${schemaB}/`).keys()).to.deep.equal([]);
            expect(
                (await etcd.getUsers()).map((u) => u.name).filter((n) => n !== "root"),
                "etcd users left",
            ).to.deep.equal([]);
            expect(
                (await etcd.getRoles()).map((r) => r.name).filter((n) => n !== "root"),
                "etcd roles left",
            ).to.deep.equal([]);
        } finally {
            etcd.close();
        }
        for (const h of lab.hosts) {
            expect(
                onHost(
                    h.name,
                    "ls -d /etc/kubernetes /var/lib/hcp-hostprep /usr/local/bin/kubelet 2>/dev/null; ls -A /var/lib/kubelet 2>/dev/null; true",
                ).trim(),
                h.name,
            ).to.equal("");
        }
        measureSince("destroy", t0);
    });
});
