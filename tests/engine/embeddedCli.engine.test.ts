// The embedded-cli example (examples/embedded-cli) for real on the full lab, in-process through its
// main(): a spec file written from the lab's description with its secrets as ${file:…} references;
// create joins two lab hosts, scale to one removes and resets the other, delete removes the tenant,
// its Secrets and the stack; the hosts are left free, and nothing secret is ever printed.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { main } from "../../examples/embedded-cli";
import type { HcpSpec } from "../../automation/spec";
import { destroy, outputs, StackOptions } from "../../automation/stack";
import { LAB_ADDONS, LabDescription, tenantLoadBalancerAddress } from "../../lab/defaultStack";
import { labHostKubeletConfiguration, labPoolSettings } from "../../lab/nodeSettings";
import { podNetworkManifest } from "../../lab/podnet";
import { KubeClient } from "../../lib/kube/client";
import { deleteNamespace, ensureNamespace } from "../support/kube";
import { dataStoreEtcd, managementClient, onHost, requireFreeHosts } from "../support/lab";
import { requireFullLab } from "../support/reviewLab";

// Names, LoadBalancer slot and networks no other test uses (lab/defaultStack.ts: slots 0.. and
// 10.200-203, its DataStore "lab-etcd"; review: slot 10 and 10.230/231; automation: slots 20/21
// and 10.240-243).
const NAMESPACE = "hcp-embedded-cli";
const TENANT = "ec-team";
const POOL = "ec-workers";
const DATASTORE = "ec-etcd";
const SLOT = 30;
const NETWORK = { podCidr: "10.250.0.0/16", serviceCidr: "10.251.0.0/16" };
// lifecycle.engine.test.ts starts on worker-1..3 and adds these two later; test files run one at a
// time, and this one leaves both hosts reset.
const HOSTS = ["worker-4", "worker-5"];
/** The spec file's base name: the tool's default stack name. */
const STACK = "ec-team";
const PASSPHRASE = "embedded-cli-tests";

const ref = (file: string) => "${file:" + file + "}";

/** What lab/defaultStack.ts labStack() builds for one tenant, as a spec: the lab's files as ${file:…}. */
function labSpecFile(lab: LabDescription): HcpSpec {
    const bundle = lab.bundles[lab.kubernetesVersion];
    if (!bundle)
        throw new Error(
            `the lab has no package bundle for ${lab.kubernetesVersion} (it has ${Object.keys(lab.bundles).join(", ")}); run \`bash lab/lab up\` after the toolchain built it`,
        );
    const hosts = HOSTS.map((name) => {
        const h = lab.hosts.find((x) => x.name === name);
        if (!h)
            throw new Error(
                `the lab has no host ${name} (it has ${lab.hosts.map((x) => x.name).join(", ")}); bring it up with HCP_LAB_WORKERS=5 or more`,
            );
        return h;
    });
    return {
        managementCluster: {
            kubeconfig: ref(lab.managementKubeconfig),
            // The lab management cluster's own ranges (lab/management-cluster.sh).
            podCidrs: ["10.244.0.0/16"],
            serviceCidrs: ["10.96.0.0/16"],
        },
        dataStores: [
            {
                name: DATASTORE,
                endpoints: lab.dataStore.endpoints.split(",").map((e) => e.replace(/^https:\/\//, "")),
                tls: {
                    caCertificate: ref(lab.dataStore.caCertificate),
                    caPrivateKey: ref(lab.dataStore.caPrivateKey),
                    clientCertificate: ref(lab.dataStore.clientCertificate),
                    clientPrivateKey: ref(lab.dataStore.clientPrivateKey),
                },
            },
        ],
        controlPlanes: [
            {
                name: TENANT,
                namespace: NAMESPACE,
                kubernetesVersion: lab.kubernetesVersion,
                replicas: 1,
                serviceType: "LoadBalancer",
                // A LoadBalancer address of the lab's pool, on the worker bridge the hosts reach.
                address: tenantLoadBalancerAddress(lab, SLOT),
                port: 6443,
                network: NETWORK,
                addons: LAB_ADDONS,
                cniManifest: podNetworkManifest({
                    image: lab.images.podnet,
                    apiEndpoint: `${tenantLoadBalancerAddress(lab, SLOT)}:6443`,
                }),
            },
        ],
        workerPools: [
            {
                name: POOL,
                controlPlane: TENANT,
                kubernetesVersion: lab.kubernetesVersion,
                hosts: hosts.map((h) => ({
                    address: h.address,
                    nodeName: h.name,
                    privateKey: ref(lab.sshPrivateKey),
                    hostKey: h.hostKey,
                    labels: { "example.com/tenant": TENANT },
                    kubeletConfiguration: labHostKubeletConfiguration(h.cgroupRoot),
                })),
                ...labPoolSettings(lab.registry),
                packageSource: { kind: "bundle", path: bundle },
                reusePolicy: "clean",
                maxUnavailable: 1,
            },
        ],
    };
}

interface ToolRun {
    code: number;
    stdout: string;
    stderr: string;
}

const tail = (s: string) => s.split("\n").slice(-40).join("\n");
const joined = (host: string) =>
    onHost(host, "[ -e /etc/kubernetes/kubelet.conf ] && echo joined || echo reset").trim() === "joined";

describe("embedded-cli example: create, scale and delete a tenant on the full lab", function () {
    this.timeout(30 * 60 * 1000);
    let lab: LabDescription;
    let dir: string;
    let specFile: string;
    let stateDir: string;
    let stackOpts: StackOptions;
    let stackFile: string;
    /** The spec's secret files: each one's contents and its longer lines, none of which may be printed. */
    let secrets: { file: string; values: string[] }[];
    let storage: { schema: string; user: string };
    const passphraseBefore = process.env.HCP_PASSPHRASE;
    /** Everything the tool printed, over all its runs. */
    const printed: string[] = [];

    /** Runs the tool in-process on the spec file with this test's state dir, capturing what it prints. */
    async function hcpTenant(command: string, ...flags: string[]): Promise<ToolRun> {
        const out: string[] = [];
        const err: string[] = [];
        const write = { out: process.stdout.write, err: process.stderr.write };
        process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
        process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
        try {
            const code = await main([command, specFile, ...flags, "--state-dir", stateDir]);
            return { code, stdout: out.join(""), stderr: err.join("") };
        } finally {
            process.stdout.write = write.out;
            process.stderr.write = write.err;
            printed.push(...out, ...err);
        }
    }

    const tenantNodes = async () => {
        const kubeconfig = (await outputs(stackOpts)).controlPlanes[TENANT].kubeconfig.unwrap();
        const nodes = await KubeClient.fromKubeconfig(kubeconfig).list("/api/v1/nodes");
        const ready = (n: any) =>
            n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") === true;
        return {
            all: nodes.map((n: any) => n.metadata.name as string).sort(),
            ready: nodes
                .filter(ready)
                .map((n: any) => n.metadata.name as string)
                .sort(),
        };
    };
    const tcpPath = `/apis/kamaji.clastix.io/v1alpha1/namespaces/${NAMESPACE}/tenantcontrolplanes/${TENANT}`;

    before(async () => {
        lab = requireFullLab();
        requireFreeHosts(lab);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-embedded-cli-"));
        specFile = path.join(dir, `${STACK}.yaml`);
        stateDir = path.join(dir, "state");
        // The tool's project and its default stack name, to read outputs and clean up.
        stackOpts = { projectName: "hcp-tenant", stackName: STACK, stateDir, secretsPassphrase: PASSPHRASE };
        stackFile = path.join(stateDir, "backend", ".pulumi", "stacks", "hcp-tenant", `${STACK}.json`);
        fs.writeFileSync(specFile, yaml.dump(labSpecFile(lab), { lineWidth: -1 }), { mode: 0o600 });
        process.env.HCP_PASSPHRASE = PASSPHRASE;
        secrets = [
            lab.managementKubeconfig,
            lab.dataStore.caPrivateKey,
            lab.dataStore.clientPrivateKey,
            lab.sshPrivateKey,
        ].map((file) => {
            const s = fs.readFileSync(file, "utf8");
            return { file, values: [s, ...s.split("\n").filter((l) => l.length > 40)] };
        });
        await ensureNamespace(managementClient(lab), NAMESPACE);
    });

    after(async () => {
        // A step that failed leaves the stack: destroy it, so the hosts are free for the next tests.
        if (stackFile && fs.existsSync(stackFile)) await destroy(undefined, stackOpts).catch(() => undefined);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        if (passphraseBefore === undefined) delete process.env.HCP_PASSPHRASE;
        else process.env.HCP_PASSPHRASE = passphraseBefore;
        if (lab) await deleteNamespace(managementClient(lab), NAMESPACE);
    });

    it("create: exit 0, the pool's two hosts are Ready Nodes of the tenant", async () => {
        const check = await hcpTenant("validate");
        expect(check.code, check.stderr).to.equal(0);
        expect(check.stdout).to.equal(`${specFile}: valid (1 control plane(s), 2 host(s))\n`);

        const r = await hcpTenant("create");
        expect(r.code, tail(r.stderr)).to.equal(0);
        expect(r.stdout).to.include(
            `tenant ${TENANT}: ${TENANT} at ${lab.kubernetesVersion}, API https://${tenantLoadBalancerAddress(lab, SLOT)}:6443\n`,
        );
        expect(r.stdout).to.include(`pool ${POOL}: 2 node(s): ${HOSTS.join(", ")}\n`);
        expect(fs.existsSync(stackFile)).to.equal(true);
        expect((await tenantNodes()).ready).to.deep.equal(HOSTS);
        expect(HOSTS.map(joined)).to.deep.equal([true, true]);
        const tcp = await managementClient(lab).get(tcpPath);
        storage = tcp?.status?.storage?.setup;
        expect(storage?.schema, "TenantControlPlane status.storage.setup.schema").to.be.a("string");
    });

    it("scale: refused by a gate with --max-disrupted-nodes 0 (exit 1, nothing changed)", async () => {
        const r = await hcpTenant("scale", "--pool", POOL, "--hosts", "1", "--max-disrupted-nodes", "0");
        expect(r.code, tail(r.stderr)).to.equal(1);
        expect(r.stdout).to.include("- **FAIL** `disrupted-nodes`: 1 nodes disrupted");
        expect(r.stderr).to.include("not applying: a gate failed (see above); pass --force to apply anyway");
        expect((await tenantNodes()).all).to.deep.equal(HOSTS);
    });

    it("scale to 1 host: exit 0, one Node left, the removed host reset", async () => {
        const r = await hcpTenant("scale", "--pool", POOL, "--hosts", "1", "--max-disrupted-nodes", "1");
        expect(r.code, tail(r.stderr)).to.equal(0);
        expect(r.stdout).to.include(`node ${HOSTS[1]} leaves tenant ${TENANT}: drained and reset`);
        expect(r.stdout).to.include(`pool ${POOL}: 1 node(s): ${HOSTS[0]}\n`);
        const nodes = await tenantNodes();
        expect(nodes.all).to.deep.equal([HOSTS[0]]);
        expect(nodes.ready).to.deep.equal([HOSTS[0]]);
        expect(joined(HOSTS[0]), `${HOSTS[0]} has /etc/kubernetes/kubelet.conf`).to.equal(true);
        expect(joined(HOSTS[1]), `${HOSTS[1]} has no /etc/kubernetes/kubelet.conf`).to.equal(false);
    });

    it("delete: refused without --yes; with it, the tenant, its Secrets and the stack are gone, the hosts free", async () => {
        const mgmt = managementClient(lab);
        const unconfirmed = await hcpTenant("delete");
        expect(unconfirmed.code, tail(unconfirmed.stderr)).to.equal(1);
        expect(unconfirmed.stderr).to.include("not deleting: pass --yes to delete everything above");
        expect(await mgmt.get(tcpPath)).to.be.an("object");

        const r = await hcpTenant("delete", "--yes");
        expect(r.code, tail(r.stderr)).to.equal(0);
        expect(r.stdout).to.include(`stack ${STACK} deleted\n`);
        expect(await mgmt.get(tcpPath)).to.equal(undefined);
        expect(await mgmt.get(`/apis/kamaji.clastix.io/v1alpha1/datastores/${DATASTORE}`)).to.equal(undefined);
        const left = (await mgmt.list("/api/v1/secrets"))
            .map((s: any) => `${s.metadata.namespace}/${s.metadata.name}`)
            .filter((n: string) => n.startsWith(`${NAMESPACE}/${TENANT}-`) || n.includes(`/${DATASTORE}-`));
        expect(left, "Secrets left").to.deep.equal([]);
        expect(fs.existsSync(stackFile), stackFile).to.equal(false);

        const etcd = dataStoreEtcd(lab);
        try {
            expect(await etcd.getAll().prefix(`/${storage.schema}/`).keys(), "tenant keys left").to.deep.equal([]);
            expect((await etcd.getUsers()).map((u) => u.name)).not.to.include(storage.user);
            expect((await etcd.getRoles()).map((x) => x.name)).not.to.include(storage.schema);
        } finally {
            etcd.close();
        }
        // What lifecycle.engine.test.ts expects of every lab host before and after it runs.
        for (const h of HOSTS)
            expect(
                onHost(
                    h,
                    "ls -d /etc/kubernetes /var/lib/hcp-hostprep /usr/local/bin/kubelet 2>/dev/null; ls -A /var/lib/kubelet 2>/dev/null; true",
                ).trim(),
                h,
            ).to.equal("");
        requireFreeHosts(lab);
    });

    it("printed no secret of the spec", () => {
        const text = printed.join("");
        expect(text).to.include(`stack ${STACK} deleted`);
        // Named by file, not shown: a failure must not print the secret either.
        for (const { file, values } of secrets)
            expect(
                values.some((v) => text.includes(v)),
                `the tool printed (part of) ${file}`,
            ).to.equal(false);
        expect(text.includes("PRIVATE KEY"), "the tool printed a PEM private key").to.equal(false);
    });
});
