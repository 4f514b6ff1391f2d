// The embedding's pure parts: spec validation, secrets as config, lock errors, progress events,
// spec files and the example tool's validation (nothing touches a stack).
// Over 400 lines: one table per part of the embedding, each short.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    EventMapper,
    parseLockError,
    Secret,
    splitSecrets,
    StackLockedError,
    validateSpec,
    HcpSpec,
    SECRET_KEY_PREFIX,
} from "../../automation";
import { loadSpecFile, resolveReferences } from "../../automation/specFile";
import { repoRoot } from "../support/engine";
import * as tool from "../../examples/embedded-cli";

const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n";
const HOSTKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3YRNAtj6L6KHtoI3R5P4yAXPA19k1j9Y9XTfebv4+3";

function base(): HcpSpec {
    return {
        managementCluster: { kubeconfig: KUBECONFIG, podCidrs: ["10.1.0.0/16"], serviceCidrs: ["10.2.0.0/16"] },
        dataStores: [
            { name: "etcd", endpoints: ["etcd-0.example:2379"], tls: { caCertificate: "CA", caPrivateKey: "CAKEY" } },
        ],
        controlPlanes: [
            {
                name: "team-a",
                kubernetesVersion: "v1.34.4",
                serviceType: "NodePort",
                address: "192.0.2.50",
                network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16" },
            },
        ],
        workerPools: [
            {
                name: "team-a-workers",
                controlPlane: "team-a",
                hosts: [
                    { address: "192.0.2.11", privateKey: "KEY-11", hostKey: HOSTKEY },
                    { address: "192.0.2.12", password: "PW-12", hostKey: HOSTKEY },
                ],
                containerd: { registryCredentials: { "registry.example": { username: "robot", password: "REGPW" } } },
            },
        ],
    };
}

describe("automation: spec validation", () => {
    it("accepts a complete spec", () => {
        expect(validateSpec(base())).to.deep.equal([]);
    });

    const cases: [string, (s: any) => void, { propertyPath: string; reason: string }[]][] = [
        [
            "not an object",
            (s) => Object.assign(s, { managementCluster: 3 }),
            [{ propertyPath: "managementCluster", reason: "must be an object; got a number" }],
        ],
        [
            "a missing kubeconfig",
            (s) => delete s.managementCluster.kubeconfig,
            [{ propertyPath: "managementCluster.kubeconfig", reason: "is required" }],
        ],
        [
            "a kubeconfig path instead of its contents",
            (s) => (s.managementCluster.kubeconfig = "/root/.kube/config"),
            [
                {
                    propertyPath: "managementCluster.kubeconfig",
                    reason: "must be the contents of a kubeconfig (with clusters, users and contexts), not a path to one",
                },
            ],
        ],
        [
            "an unknown field",
            (s) => (s.controlPlanes[0].replica = 2),
            [
                {
                    propertyPath: "controlPlanes[0].replica",
                    reason: "is not a known field; known fields here: name, dataStore, tenantName, namespace, kubernetesVersion, replicas, serviceType, address, port, advertiseAddress, certSANs, serviceLabels, serviceAnnotations, network, addons, kubeletCgroupDriver, cniManifest, readyTimeoutSeconds, expiryWarningDays",
                },
            ],
        ],
        [
            "a pool naming no control plane",
            (s) => (s.workerPools[0].controlPlane = "team-b"),
            [
                {
                    propertyPath: "workerPools[0].controlPlane",
                    reason: 'names no control plane of this spec ("team-b"); known: "team-a"',
                },
            ],
        ],
        [
            "a control plane naming no DataStore",
            (s) => (s.controlPlanes[0].dataStore = "other"),
            [
                {
                    propertyPath: "controlPlanes[0].dataStore",
                    reason: 'names no DataStore of this spec ("other"); known: "etcd"',
                },
            ],
        ],
        [
            "a duplicate pool name",
            (s) =>
                s.workerPools.push({
                    ...s.workerPools[0],
                    hosts: [{ address: "192.0.2.13", privateKey: "K", hostKey: HOSTKEY }],
                }),
            [
                {
                    propertyPath: "workerPools[1].name",
                    reason: '"team-a-workers" is already used by workerPools[0]; names must be unique',
                },
            ],
        ],
        [
            "a host in two pools",
            (s) =>
                s.workerPools.push({
                    name: "b",
                    controlPlane: "team-a",
                    hosts: [{ address: "192.0.2.11", privateKey: "K", hostKey: HOSTKEY }],
                }),
            [
                {
                    propertyPath: "workerPools[1].hosts[0].address",
                    reason: '192.0.2.11 already belongs to WorkerPool "team-a-workers" in this stack; a host can join one pool only: remove it from one of them',
                },
            ],
        ],
        [
            "one Node name in two pools",
            (s) =>
                s.workerPools.push({
                    name: "b",
                    controlPlane: "team-a",
                    hosts: [{ address: "192.0.2.19", nodeName: "192.0.2.11", privateKey: "K", hostKey: HOSTKEY }],
                }),
            [
                {
                    propertyPath: "workerPools[1].hosts[0].nodeName",
                    reason: '"192.0.2.11" is also the nodeName of hosts[0] in WorkerPool "team-a-workers" in this stack; two hosts with one Node name would become one Node: give each host its own nodeName',
                },
            ],
        ],
        [
            "an unknown field inside a nested object",
            (s) => (s.controlPlanes[0].network.podCIDR = "10.30.0.0/16"),
            [
                {
                    propertyPath: "controlPlanes[0].network.podCIDR",
                    reason: "is not a known field; known fields here: podCidr, serviceCidr, dnsServiceIPs, clusterDomain",
                },
            ],
        ],
        [
            "a label value that is not a string, at the label",
            (s) => (s.workerPools[0].hosts[1].labels = { zone: 3 }),
            [{ propertyPath: "workerPools[0].hosts[1].labels.zone", reason: "must be a string; got a number" }],
        ],
        [
            "a word that is not allowed",
            (s) => (s.controlPlanes[0].serviceType = "Loadbalancer"),
            [
                {
                    propertyPath: "controlPlanes[0].serviceType",
                    reason: 'must be one of "LoadBalancer", "NodePort", "ClusterIP"; got "Loadbalancer"',
                },
            ],
        ],
        ["a bad version", (s) => (s.controlPlanes[0].kubernetesVersion = "1.34"), []],
        [
            "a wrong type",
            (s) => (s.controlPlanes[0].replicas = "2"),
            [{ propertyPath: "controlPlanes[0].replicas", reason: "must be a number; got a string" }],
        ],
    ];
    for (const [what, mutate, want] of cases) {
        it(`reports ${what}`, () => {
            const s = base();
            mutate(s);
            const problems = validateSpec(s);
            if (want.length) expect(problems).to.deep.equal(want);
            else expect(problems.map((p) => p.propertyPath)).to.include("controlPlanes[0].kubernetesVersion");
        });
    }

    it("takes a null field (an empty one in YAML) as absent, and a null entry as not an object", () => {
        const s: any = base();
        s.controlPlanes[0].replicas = null;
        s.managementCluster.podCidrs = null;
        expect(validateSpec(s)).to.deep.equal([]);
        s.dataStores[0] = null;
        expect(validateSpec(s)).to.deep.include({
            propertyPath: "dataStores[0]",
            reason: "must be an object; got null",
        });
    });

    it("applies the components' rules: overlapping CIDRs, bad host keys, a kubelet newer than the control plane", () => {
        const s: any = base();
        s.controlPlanes[0].network.podCidr = "10.1.0.0/16";
        s.workerPools[0].hosts[0].hostKey = "not a key";
        s.workerPools[0].kubernetesVersion = "v1.35.0";
        const paths = validateSpec(s).map((p) => p.propertyPath);
        expect(paths).to.include.members([
            "controlPlanes[0].network.podCidr",
            "workerPools[0].hosts[0].hostKey",
            "workerPools[0].kubernetesVersion",
        ]);
    });
});

describe("automation: secrets as config", () => {
    it("moves every secret into config keys named by stable names, leaving references", () => {
        const { spec, secrets } = splitSecrets(base());
        expect(secrets).to.deep.equal({
            [`${SECRET_KEY_PREFIX}mgmt.kubeconfig`]: KUBECONFIG,
            [`${SECRET_KEY_PREFIX}datastore.etcd.caPrivateKey`]: "CAKEY",
            [`${SECRET_KEY_PREFIX}pool.team-a-workers.host.192.0.2.11.privateKey`]: "KEY-11",
            [`${SECRET_KEY_PREFIX}pool.team-a-workers.host.192.0.2.12.password`]: "PW-12",
            [`${SECRET_KEY_PREFIX}pool.team-a-workers.registry.registry.example.password`]: "REGPW",
        });
        const text = JSON.stringify(spec);
        for (const v of Object.values(secrets)) expect(text).not.to.include(v);
        expect(spec.managementCluster.kubeconfig).to.deep.equal({
            $secretConfig: `${SECRET_KEY_PREFIX}mgmt.kubeconfig`,
        });
        // The caller's spec is untouched.
        expect(base().workerPools![0].hosts[0].privateKey).to.equal("KEY-11");
    });

    it("Secret prints as [secret] and unwraps on purpose", () => {
        const s = new Secret("kubeconfig-contents");
        expect(String(s)).to.equal("[secret]");
        expect(JSON.stringify({ s })).to.equal('{"s":"[secret]"}');
        expect(require("util").inspect(s)).to.equal("Secret([secret])");
        expect(s.unwrap()).to.equal("kubeconfig-contents");
    });
});

describe("automation: lock errors", () => {
    const diy =
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
        "  file:///tmp/x/backend/.pulumi/locks/organization/p/dev/3f9e.json: created by root@box (pid 4242) at 2026-11-25T18:00:00Z\n";

    it("parses the file backend's lock error into holders", () => {
        expect(parseLockError(diy)).to.deep.equal(["root@box (pid 4242, since 2026-11-25T18:00:00Z)"]);
        expect(parseLockError("error: [409] Conflict: Another update is currently in progress.")).to.deep.equal([]);
        expect(parseLockError("error: something else")).to.equal(undefined);
    });

    it("says who holds the lock and what to do", () => {
        const e = new StackLockedError("dev", parseLockError(diy)!, diy);
        expect(e.message).to.equal(
            'stack "dev" is locked by root@box (pid 4242, since 2026-11-25T18:00:00Z): another preview, deploy or destroy is running on it. Wait for it to finish; if that process is gone, remove the stale lock with `pulumi cancel` on this stack.',
        );
    });
});

describe("automation: progress events", () => {
    const urn = "urn:pulumi:dev::hcp::hcp:index:WorkerPool$pulumi-nodejs:dynamic/hcp:NodeJoin::pool-192-0-2-11-join";
    const meta = (op: string) => ({ op, urn, type: "pulumi-nodejs:dynamic/hcp:NodeJoin", provider: "" }) as any;

    it("maps pre/outputs/failure events to started/finished/failed with the host, once per failure", () => {
        const m = new EventMapper(new Map([["pool-192-0-2-11-join", "192.0.2.11"]]));
        const ev = (e: object) => m.map({ sequence: 0, timestamp: 0, ...e } as any);
        expect(ev({ resourcePreEvent: { metadata: meta("create") } })).to.deep.equal([
            {
                kind: "started",
                op: "create",
                resourceType: "pulumi-nodejs:dynamic/hcp:NodeJoin",
                name: "pool-192-0-2-11-join",
                urn,
                host: "192.0.2.11",
            },
        ]);
        expect(ev({ resOutputsEvent: { metadata: meta("create") } })[0]).to.include({
            kind: "finished",
            host: "192.0.2.11",
        });
        expect(
            ev({
                diagnosticEvent: {
                    urn,
                    message: "\u001b[31mkubeadm join on 192.0.2.11 failed (exit 1)\u001b[0m\n",
                    color: "raw",
                    severity: "error",
                },
            }),
        ).to.deep.equal([
            {
                kind: "failed",
                op: "unknown",
                resourceType: "pulumi-nodejs:dynamic/hcp:NodeJoin",
                name: "pool-192-0-2-11-join",
                urn,
                message: "kubeadm join on 192.0.2.11 failed (exit 1)",
                host: "192.0.2.11",
            },
        ]);
        expect(ev({ resOpFailedEvent: { metadata: meta("create"), status: 1, steps: 1 } })).to.deep.equal([]);
        expect(ev({ resourcePreEvent: { metadata: meta("same") } })).to.deep.equal([]);
        expect(
            ev({
                resourcePreEvent: {
                    metadata: {
                        ...meta("create"),
                        urn: "urn:pulumi:dev::hcp::pulumi:pulumi:Stack::hcp-dev",
                        type: "pulumi:pulumi:Stack",
                    },
                },
            }),
        ).to.deep.equal([]);
    });
});

describe("automation: spec files and the embedded-cli example", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-spec-"));
    const example = path.join(repoRoot, "examples", "embedded-cli", "team-a.yaml");
    // The example keeps its secrets out of the file: ${env:…} references, set here as a user would.
    const exampleEnv: Record<string, string> = {
        HCP_ETCD_CA_CERTIFICATE: "-----BEGIN CERTIFICATE-----\nexample\n-----END CERTIFICATE-----\n",
        HCP_ETCD_CA_KEY: "example CA key",
        HCP_SSH_PRIVATE_KEY: "example SSH key",
    };
    before(() => Object.assign(process.env, exampleEnv));
    after(() => {
        for (const k of Object.keys(exampleEnv)) delete process.env[k];
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("replaces ${env:…} and ${file:…} references, naming each one it cannot resolve", () => {
        fs.writeFileSync(path.join(dir, "key.pem"), "from a file");
        const doc: any = {
            a: "${file:key.pem}",
            b: ["${env:HCP_TEST_SET}", "${env:HCP_TEST_UNSET}"],
            c: { d: "${file:nope.pem}" },
            e: "plain ${env:X}",
        };
        const problems = resolveReferences(doc, path.join(dir, "spec.yaml"), { HCP_TEST_SET: "from env" });
        expect(doc).to.deep.equal({
            a: "from a file",
            b: ["from env", "${env:HCP_TEST_UNSET}"],
            c: { d: "${file:nope.pem}" },
            e: "plain ${env:X}",
        });
        expect(problems.map((p) => p.propertyPath)).to.deep.equal(["b[1]", "c.d"]);
        expect(problems[0].reason).to.equal(
            "${env:HCP_TEST_UNSET} is not set; export HCP_TEST_UNSET or put the value in the file",
        );
        expect(problems[1].reason).to.match(/^\$\{file:nope.pem\} cannot be read \(ENOENT: /);
    });

    it("reports an unset reference in the example as a spec problem", () => {
        delete process.env.HCP_SSH_PRIVATE_KEY;
        try {
            expect(() => loadSpecFile(example)).to.throw(
                /workerPools\[0\]\.hosts\[0\]\.privateKey: \$\{env:HCP_SSH_PRIVATE_KEY\} is not set/,
            );
        } finally {
            process.env.HCP_SSH_PRIVATE_KEY = exampleEnv.HCP_SSH_PRIVATE_KEY;
        }
    });

    it("loads the example's YAML spec", () => {
        const spec = loadSpecFile(example);
        expect(spec.workerPools![0].hosts.map((h) => h.address)).to.deep.equal([
            "192.0.2.11",
            "192.0.2.12",
            "192.0.2.13",
        ]);
    });

    it("names the file and every problem; YAML syntax errors included", () => {
        const f = path.join(dir, "bad.yaml");
        fs.writeFileSync(f, "managementCluster:\n  kubeconfig: /root/.kube/config\ncontrolPlanes:\n  - name: a\n");
        expect(() => loadSpecFile(f)).to.throw(
            `Invalid ${f} (3 problems):\n` +
                "  - managementCluster.kubeconfig: must be the contents of a kubeconfig (with clusters, users and contexts), not a path to one\n" +
                "  - controlPlanes[0].kubernetesVersion: is required\n" +
                "  - controlPlanes[0].dataStore: needs a DataStore: add one under dataStores",
        );
        fs.writeFileSync(f, "a: [1,\n");
        expect(() => loadSpecFile(f)).to.throw(/\(file\): is not valid YAML/);
        expect(() => loadSpecFile(path.join(dir, "missing.json"))).to.throw(/\(file\): cannot be read: ENOENT/);
    });

    /** Runs the tool in-process; returns its exit code and what it wrote. */
    async function runTool(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        const out: string[] = [];
        const err: string[] = [];
        const write = { out: process.stdout.write, err: process.stderr.write };
        process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
        process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
        try {
            return { code: await tool.main(argv), stdout: out.join(""), stderr: err.join("") };
        } finally {
            process.stdout.write = write.out;
            process.stderr.write = write.err;
        }
    }

    it("the tool validates a good file (exit 0) and touches nothing", async () => {
        const stateDir = path.join(dir, "never-validate");
        const r = await runTool(["validate", example, "--state-dir", stateDir]);
        expect(r).to.deep.equal({
            code: 0,
            stdout: `${example}: valid (1 control plane(s), 3 host(s))\n`,
            stderr: "",
        });
        expect(fs.existsSync(stateDir)).to.equal(false);
    });

    it("the tool validates before touching anything (exit 2 on an invalid file or a bad scale)", async () => {
        const f = path.join(dir, "bad.json");
        fs.writeFileSync(
            f,
            JSON.stringify({
                managementCluster: { kubeconfig: KUBECONFIG },
                workerPools: [{ name: "p", controlPlane: "x", hosts: [] }],
            }),
        );
        const bad = await runTool(["create", f, "--state-dir", path.join(dir, "never")]);
        expect(bad.code).to.equal(2);
        expect(bad.stderr).to.include(
            'workerPools[0].controlPlane: names no control plane of this spec ("x"); known: none',
        );
        const tooMany = await runTool(["scale", example, "--pool", "team-a-workers", "--hosts", "7"]);
        expect(tooMany.code).to.equal(2);
        expect(tooMany.stderr).to.include(
            '--hosts: must be between 1 and 3 (the hosts pool "team-a-workers" lists); got 7',
        );
        const noPool = await runTool(["scale", example, "--pool", "nope", "--hosts", "1"]);
        expect(noPool.code).to.equal(2);
        expect(noPool.stderr).to.include('--pool: names no worker pool of the spec ("nope"); known: "team-a-workers"');
        expect(fs.existsSync(path.join(dir, "never"))).to.equal(false);
        // scale keeps the first N hosts of the file's list, and leaves the spec it was given alone.
        const spec = loadSpecFile(example);
        const two = tool.scaled(spec, "team-a-workers", 2);
        expect(two.workerPools![0].hosts.map((h) => h.address)).to.deep.equal(["192.0.2.11", "192.0.2.12"]);
        expect(spec.workerPools![0].hosts).to.have.length(3);
    });

    it("the tool refuses bad command lines with exit 2, naming the argument", async () => {
        const cases: [string[], string][] = [
            [[], "usage: hcp-tenant validate|create|scale|delete SPEC"],
            [["deploy", example], "usage: hcp-tenant"],
            [["create", example, "--stack"], "--stack needs a value"],
            [["create", example, "--colour", "red"], 'unknown argument "--colour"'],
            [["scale", example, "--hosts", "2"], "scale needs --pool NAME and --hosts N"],
            [
                ["scale", example, "--pool", "team-a-workers", "--hosts", "two"],
                '--hosts must be a whole number; got "two"',
            ],
            [
                ["create", example, "--max-disrupted-nodes", "-1"],
                '--max-disrupted-nodes must be a whole number; got "-1"',
            ],
        ];
        for (const [argv, message] of cases) {
            const r = await runTool(argv);
            expect(r.code, argv.join(" ")).to.equal(2);
            expect(r.stderr, argv.join(" ")).to.include(message);
            expect(r.stdout, argv.join(" ")).to.equal("");
        }
        expect(
            tool.parse(["scale", example, "--pool", "p", "--hosts", "2", "--max-disrupted-nodes", "1"]),
        ).to.deep.equal({
            command: "scale",
            file: example,
            pool: "p",
            hosts: 2,
            maxDisrupted: 1,
            force: false,
            yes: false,
        });
    });
});
