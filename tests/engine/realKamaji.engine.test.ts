// The real Kamaji v1.0.0 runs the tenant: its control plane is a Deployment of `replicas` pods on the
// management cluster's nodes, behind the LoadBalancer Service Kamaji makes at the requested address;
// the add-ons Kamaji installs (CoreDNS, kube-proxy, Konnectivity) really serve. The tenant's API
// servers sit on the management nodes' pod network, which has no route to the tenant's pods: the
// API server reaches pods and kubelets only through the Konnectivity agents, and the test blocks the
// direct path to the kubelets to prove it.
import { expect } from "chai";
import { ChildProcess, execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labStack, LabDescription, LabTenant, tenantLoadBalancerAddress } from "../../lab/defaultStack";
import { readyPods } from "../../lab/workload";
import { KubeClient } from "../../lib/kube/client";
import { destroyAndDispose, binDir, newInlineStack, TestStack } from "../support/engine";
import { ensureLab, managementClient, requireFreeHosts } from "../support/lab";
import { labNet } from "../support/labNet";
import { measureSince } from "../support/measure";

const TENANT = "team-k";
const SLOT = 5;
const HOSTS = ["worker-1", "worker-2", "worker-3"];
const MGMT_NODES = ["mgmt-1", "mgmt-2"];
const MGMT_POD_CIDR = "10.244.0.0/16";

/** Runs a command inside a lab management node's network namespace. */
function inMgmtNode(node: string, args: string[]): string {
    return execFileSync("ip", ["netns", "exec", `hcph${labNet}-${node}`, ...args], { encoding: "utf8" });
}

/** iptables of the lab's node userland (the machine has none), in a management node. */
function iptables(node: string, args: string[]): string {
    return inMgmtNode(node, [path.join(binDir, "node-userland", "iptables"), ...args]);
}

/** The rule that cuts the management pod network off from the workers' kubelets. */
const blockRule = (lab: LabDescription) => [
    "-s",
    MGMT_POD_CIDR,
    "-d",
    lab.network.subnet,
    "-p",
    "tcp",
    "--dport",
    "10250",
    "-j",
    "REJECT",
];

describe("the real Kamaji operator runs the tenant, with CoreDNS, kube-proxy and Konnectivity", function () {
    this.timeout(30 * 60 * 1000);
    let lab: LabDescription;
    let ts: TestStack;
    let tenants: LabTenant[];
    let tenant: KubeClient;
    let kubeconfigFile: string;
    let kubectl: string;
    let blocked = false;

    const run = (args: string[], timeoutMs = 60_000) =>
        new Promise<string>((resolve, reject) =>
            execFile(
                kubectl,
                ["--kubeconfig", kubeconfigFile, ...args],
                { timeout: timeoutMs },
                (err, stdout, stderr) =>
                    err
                        ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr || err.message}`))
                        : resolve(stdout + stderr),
            ),
        );
    const echoPods = async () => readyPods(await tenant.list("/api/v1/namespaces/default/pods", "app=echo"));

    before(async () => {
        lab = ensureLab();
        requireFreeHosts(lab);
        kubectl = path.join(binDir, "kubernetes", lab.kubernetesVersion, "kubectl");
        tenants = [{ name: TENANT, slot: SLOT, hosts: HOSTS, workload: true }];
        ts = await newInlineStack("hcp-real-kamaji", async () => labStack(lab, tenants));
        const t0 = Date.now();
        await ts.stack.up();
        measureSince("up from nothing: tenant, 3 Ready workers, the workload Running", t0);
        const kc = (await ts.stack.outputs())[`${TENANT}Kubeconfig`].value;
        tenant = KubeClient.fromKubeconfig(kc);
        kubeconfigFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hcp-real-kamaji-")), "kubeconfig");
        fs.writeFileSync(kubeconfigFile, kc, { mode: 0o600 });
    });

    after(async () => {
        if (blocked) for (const n of MGMT_NODES) iptables(n, ["-D", "FORWARD", ...blockRule(lab)]);
        if (kubeconfigFile) fs.rmSync(path.dirname(kubeconfigFile), { recursive: true, force: true });
        await destroyAndDispose(ts, { cancel: true });
    });

    it("replicas: 2 gives two API server pods on the management nodes, behind the LoadBalancer address asked for", async () => {
        const mgmt = managementClient(lab);
        const pods = readyPods(await mgmt.list("/api/v1/namespaces/default/pods", `kamaji.clastix.io/name=${TENANT}`));
        expect(pods).to.have.length(2);
        for (const p of pods) expect(p.spec.containers.map((c: any) => c.name)).to.include("kube-apiserver");
        const svc = await mgmt.get(`/api/v1/namespaces/default/services/${TENANT}`);
        const address = tenantLoadBalancerAddress(lab, SLOT);
        expect(svc.spec.type).to.equal("LoadBalancer");
        expect(svc.status.loadBalancer.ingress.map((i: any) => i.ip)).to.deep.equal([address]);
        const tcp = await mgmt.get(`/apis/kamaji.clastix.io/v1alpha1/namespaces/default/tenantcontrolplanes/${TENANT}`);
        expect(tcp.status.controlPlaneEndpoint).to.equal(`${address}:6443`);
    });

    it("the add-ons run on the workers: CoreDNS, kube-proxy and the Konnectivity agent, pulled through the registry", async () => {
        const pods = readyPods(await tenant.list("/api/v1/namespaces/kube-system/pods"));
        const running = (prefix: string) => pods.filter((p: any) => p.metadata.name.startsWith(prefix)).length;
        expect(running("coredns"), "CoreDNS pods Ready").to.be.greaterThan(0);
        expect(running("kube-proxy"), "kube-proxy pods Ready").to.equal(HOSTS.length);
        expect(running("konnectivity-agent"), "Konnectivity agents Ready").to.be.greaterThan(0);
    });

    it("from a pod, the Service's DNS name resolves (CoreDNS) and answers (kube-proxy), the pod reached through Konnectivity", async () => {
        const pods = await echoPods();
        expect(pods).to.have.length(3);
        // The API server proxies to the pod's own address: only the Konnectivity agents can reach it.
        const body = await tenant.request<string>(
            "GET",
            `/api/v1/namespaces/default/pods/${pods[0].metadata.name}:8080/proxy/fetch`,
            { query: { url: "http://echo.default.svc.cluster.local/" } },
        );
        expect(String(body)).to.match(/^hostname=\S+ ip=10\.\d+\.\d+\.\d+ client=/);
    });

    it("logs, exec and port-forward work through Konnectivity with the direct route to the kubelets blocked", async () => {
        for (const n of MGMT_NODES) iptables(n, ["-I", "FORWARD", ...blockRule(lab)]);
        blocked = true;
        // The block holds: a connection from the management pod network to a kubelet is refused.
        const gw = inMgmtNode("mgmt-1", ["ip", "-4", "-o", "addr", "show", "dev", "cni0"]).match(/inet (\S+)\//)?.[1];
        expect(gw, "mgmt-1's cni0 address").to.be.a("string");
        iptables("mgmt-1", ["-I", "OUTPUT", ...blockRule(lab)]);
        let direct: string;
        try {
            direct = await new Promise<string>((resolve) =>
                execFile(
                    "ip",
                    [
                        "netns",
                        "exec",
                        `hcph${labNet}-mgmt-1`,
                        "curl",
                        "-sk",
                        "-m",
                        "5",
                        "--interface",
                        gw!,
                        `https://${lab.hosts[0].address}:10250/healthz`,
                    ],
                    (err) => resolve(err ? "refused" : "reached"),
                ),
            );
        } finally {
            iptables("mgmt-1", ["-D", "OUTPUT", ...blockRule(lab)]);
        }
        expect(direct).to.equal("refused");

        const pod = (await echoPods())[0].metadata.name;
        expect(await run(["logs", pod])).to.include("echo listening on :8080");
        // A second echo in the pod cannot bind the port: its output proves exec ran in the pod.
        const exec = await run(["exec", pod, "--", "/echo"]).catch((e: Error) => e.message);
        expect(exec).to.include(`(hostname ${pod},`);
        const pf: ChildProcess = spawn(kubectl, [
            "--kubeconfig",
            kubeconfigFile,
            "port-forward",
            `pod/${pod}`,
            ":8080",
        ]);
        try {
            const port = await new Promise<number>((resolve, reject) => {
                const t = setTimeout(() => reject(new Error("port-forward printed no local port in 30 s")), 30_000);
                pf.stdout!.on("data", (d: Buffer) => {
                    const m = /127\.0\.0\.1:(\d+)/.exec(d.toString());
                    if (m) {
                        clearTimeout(t);
                        resolve(Number(m[1]));
                    }
                });
            });
            const res = await fetch(`http://127.0.0.1:${port}/healthz`);
            expect((await res.text()).trim()).to.equal("ok");
        } finally {
            pf.kill();
        }
    });
});
