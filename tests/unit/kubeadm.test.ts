// NodeJoin's pure logic: input rules, the JoinConfiguration, kubelet flags, diff and rollout.
// Over 400 lines: table-driven, one table per rule.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { UNKNOWN } from "../../provider/dynamic";
import { pinnedHostKey } from "../../provider/kubeadm/connection";
import { changedKeys, REPLACE_KEYS, UPDATE_KEYS } from "../../provider/kubeadm/diffRules";
import { joinProblems, labelProblems, taintProblems } from "../../provider/kubeadm/inputRules";
import { kubeadmApiVersion, renderJoinConfiguration } from "../../provider/kubeadm/joinConfiguration";
import { parseKubeletFlagsEnv, rewriteKubeletFlagsEnv } from "../../provider/kubeadm/kubeletFlags";
import { kubeletExtraArgProblems } from "../../provider/kubeadm/kubeletRules";
import { mergeTaints, podsToEvict } from "../../provider/kubeadm/nodeOps";
import * as nodejoin from "../../provider/kubeadm/provider";
import { versionStepProblem } from "../../model/version";

const HASH = "sha256:" + "ab".repeat(32);
const base = {
    tenantKubeconfig: "apiVersion: v1\nkind: Config\n",
    kubernetesVersion: "v1.34.4",
    apiEndpoint: "198.18.0.1:6443",
    token: "abcdef.0123456789abcdef",
    caCertHash: HASH,
    nodeName: "worker-1",
};

describe("kubeadm JoinConfiguration", () => {
    const versions: [string, string][] = [
        ["v1.29.9", "kubeadm.k8s.io/v1beta3"],
        ["v1.30.0", "kubeadm.k8s.io/v1beta3"],
        ["v1.31.0", "kubeadm.k8s.io/v1beta4"],
        ["v1.34.4", "kubeadm.k8s.io/v1beta4"],
    ];
    for (const [v, api] of versions) it(`uses ${api} for ${v}`, () => expect(kubeadmApiVersion(v)).to.equal(api));

    it("pins the CA and never skips CA verification", () => {
        const doc: any = yaml.load(renderJoinConfiguration(base));
        expect(doc.kind).to.equal("JoinConfiguration");
        expect(doc.discovery.bootstrapToken).to.deep.equal({
            apiServerEndpoint: "198.18.0.1:6443",
            token: base.token,
            caCertHashes: [HASH],
        });
        expect(doc.discovery.tlsBootstrapToken).to.equal(base.token);
        expect(JSON.stringify(doc)).not.to.include("unsafeSkipCAVerification");
    });

    it("writes labels as node-labels in v1beta4's list form and taints as given", () => {
        const doc: any = yaml.load(
            renderJoinConfiguration({
                ...base,
                labels: { "example.com/pool": "a", tier: "web" },
                taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }],
                kubeletExtraArgs: { "max-pods": "50" },
            }),
        );
        expect(doc.nodeRegistration.kubeletExtraArgs).to.deep.equal([
            { name: "max-pods", value: "50" },
            { name: "node-labels", value: "example.com/pool=a,tier=web" },
        ]);
        expect(doc.nodeRegistration.taints).to.deep.equal([{ key: "dedicated", value: "gpu", effect: "NoSchedule" }]);
        expect(doc.nodeRegistration.name).to.equal("worker-1");
        expect(doc.nodeRegistration.criSocket).to.equal("unix:///var/run/containerd/containerd.sock");
    });

    it("writes kubeletExtraArgs as a map in v1beta3", () => {
        const doc: any = yaml.load(
            renderJoinConfiguration({ ...base, kubernetesVersion: "v1.30.2", labels: { a: "b" } }),
        );
        expect(doc.apiVersion).to.equal("kubeadm.k8s.io/v1beta3");
        expect(doc.nodeRegistration.kubeletExtraArgs).to.deep.equal({ "node-labels": "a=b" });
    });
});

describe("NodeJoin input rules", () => {
    it("accepts good inputs", () =>
        expect(joinProblems({ ...base, labels: { "example.com/x": "y" } })).to.deep.equal([]));

    const cases: [string, any, string, RegExp][] = [
        ["version", { kubernetesVersion: "1.34" }, "kubernetesVersion", /must look like v1\.34\.4/],
        [
            "node name",
            { nodeName: "Worker_1" },
            "nodeName",
            /must be a lower-case DNS name \(a Node name\); got "Worker_1"/,
        ],
        ["endpoint with scheme", { apiEndpoint: "https://h:6443" }, "apiEndpoint", /host:port without a scheme/],
        ["CA hash", { caCertHash: "abc" }, "caCertHash", /sha256:<64 hex>/],
        ["drain timeout", { drainTimeoutSeconds: -1 }, "drainTimeoutSeconds", /positive whole number/],
    ];
    for (const [what, patch, prop, rule] of cases) {
        it(`names ${prop} for a bad ${what}`, () => {
            const f = joinProblems({ ...base, ...patch });
            expect(f).to.have.length(1);
            expect(f[0].propertyPath).to.equal(prop);
            expect(f[0].reason).to.match(rule);
        });
    }

    it("requires the inputs a join cannot do without, naming each", () => {
        const f = joinProblems({});
        expect(f.map((x) => x.propertyPath)).to.deep.equal([
            "tenantKubeconfig",
            "apiEndpoint",
            "caCertHash",
            "kubernetesVersion",
            "nodeName",
        ]);
        expect(f.every((x) => x.reason === "is required")).to.equal(true);
    });

    it("leaves inputs not known at preview to the next check", () => {
        const unknown = new Set(["apiEndpoint", "caCertHash", "tenantKubeconfig"]);
        const f = joinProblems({ ...base, apiEndpoint: "?", caCertHash: "?", tenantKubeconfig: undefined }, (k) =>
            unknown.has(k),
        );
        expect(f).to.deep.equal([]);
    });

    it("refuses labels a kubelet may not set on itself", () => {
        const f = labelProblems({ "node-role.kubernetes.io/worker": "" });
        expect(f[0].propertyPath).to.equal("labels.node-role.kubernetes.io/worker");
        expect(f[0].reason).to.match(/NodeRestriction/);
        expect(labelProblems({ "node.kubernetes.io/pool": "a", "topology.kubernetes.io/zone": "z1" })).to.deep.equal(
            [],
        );
    });

    it("refuses bad label values and taint effects", () => {
        expect(labelProblems({ a: "has space" })[0].reason).to.match(/must be at most 63 letters/);
        expect(taintProblems([{ key: "x", effect: "Never" as any }])[0].propertyPath).to.equal("taints[0].effect");
    });
});

describe("NodeJoin diff and upgrade rules", () => {
    it("replaces for identity changes and updates for version/labels", () => {
        const olds = { ...base, address: "198.18.0.11", port: 22, labels: { a: "1" } };
        expect(changedKeys(olds, { ...olds, address: "198.18.0.12" }, REPLACE_KEYS)).to.deep.equal(["address"]);
        expect(
            changedKeys(olds, { ...olds, kubernetesVersion: "v1.35.0", labels: { a: "2" } }, UPDATE_KEYS),
        ).to.deep.equal(["kubernetesVersion", "labels"]);
        expect(changedKeys(olds, { ...olds }, [...REPLACE_KEYS, ...UPDATE_KEYS])).to.deep.equal([]);
    });

    const upgrades: [string, string, RegExp | undefined][] = [
        ["v1.34.4", "v1.34.5", undefined],
        ["v1.34.4", "v1.35.0", undefined],
        ["v1.34.4", "v1.36.0", /in one step: upgrade one minor version at a time; set v1\.35\.x first/],
        ["v1.34.4", "v1.33.9", /down to v1\.33\.9: kubeadm cannot downgrade a node; keep v1\.34\.4/],
        ["v1.34.4", "v1.34.3", /down to v1\.34\.3: kubeadm cannot downgrade a node/],
        ["v1.34.4", "v2.0.0", /a major version change is not a supported upgrade/],
    ];
    for (const [from, to, err] of upgrades) {
        it(`a node ${from} → ${to}: ${err ? "refused" : "allowed"}`, () => {
            const p = versionStepProblem(from, to, "node");
            if (err) expect(p).to.match(err);
            else expect(p).to.equal(undefined);
        });
    }

    it("drains only evictable pods", () => {
        const pods = [
            { metadata: { name: "web" }, status: { phase: "Running" } },
            { metadata: { name: "ds", ownerReferences: [{ kind: "DaemonSet" }] }, status: { phase: "Running" } },
            {
                metadata: { name: "mirror", annotations: { "kubernetes.io/config.mirror": "x" } },
                status: { phase: "Running" },
            },
            { metadata: { name: "done" }, status: { phase: "Succeeded" } },
        ];
        expect(podsToEvict(pods).map((p) => p.metadata.name)).to.deep.equal(["web"]);
    });

    it("replaces only the taints it manages", () => {
        const current = [
            { key: "other", effect: "NoSchedule" as const },
            { key: "old", effect: "NoExecute" as const },
        ];
        expect(
            mergeTaints(current, [{ key: "old", effect: "NoExecute" }], [{ key: "new", effect: "NoSchedule" }]),
        ).to.deep.equal([
            { key: "other", effect: "NoSchedule" },
            { key: "new", effect: "NoSchedule" },
        ]);
    });
});

describe("NodeJoin kubeletExtraArgs rules", () => {
    const cases: [string, unknown, string | undefined, RegExp | undefined][] = [
        ["a flag and its value", { "max-pods": "50", v: "2" }, undefined, undefined],
        ["none", undefined, undefined, undefined],
        ["a flag with an empty value", { "some-flag": "" }, undefined, undefined],
        ["not a map", "max-pods=50", "kubeletExtraArgs", /must be a map of kubelet flag names/],
        ["leading dashes", { "--max-pods": "50" }, "kubeletExtraArgs.--max-pods", /without the leading dashes/],
        ["node-labels", { "node-labels": "a=b" }, "kubeletExtraArgs.node-labels", /set labels instead/],
        ["a value with a space", { "max-pods": "5 0" }, "kubeletExtraArgs.max-pods", /without spaces/],
        ["a value with a newline", { "max-pods": "50\n--v=9" }, "kubeletExtraArgs.max-pods", /without spaces/],
        ["a number", { "max-pods": 50 }, "kubeletExtraArgs.max-pods", /must be a string/],
        [
            "a flag value with = , . : / and -",
            { "kube-reserved": "cpu=500m,memory=1Gi", "root-dir": "/var/lib/k-1.x" },
            undefined,
            undefined,
        ],
        ...["$(reboot)", "`id`", "a\\b", 'a"b', "a'b", "a;b", "a&b", "a|b", "a<b", "a>b", "(a)", "{a}", "${HOME}"].map(
            (v): [string, unknown, string, RegExp] => [
                `a value with shell metacharacters ${JSON.stringify(v)}`,
                { "eviction-hard": v },
                "kubeletExtraArgs.eviction-hard",
                /^must not contain any of \$ ` \\ " ' ; & \| < > \( \) \{ \} \(got .*\): kubeadm writes the value into \/var\/lib\/kubelet\/kubeadm-flags\.env, which must hold plain flag values; set such a setting in kubeletConfiguration instead/,
            ],
        ),
        [
            "a value with a newline and a command",
            { v: "2\n$(reboot)" },
            "kubeletExtraArgs.v",
            /without spaces or control characters/,
        ],
    ];
    for (const [what, args, prop, rule] of cases) {
        it(`${what}: ${prop ? `names ${prop}` : "accepted"}`, () => {
            const f = kubeletExtraArgProblems(args);
            if (!prop) return expect(f).to.deep.equal([]);
            expect(f).to.have.length(1);
            expect(f[0].propertyPath).to.equal(prop);
            expect(f[0].reason).to.match(rule!);
        });
    }

    it("are checked with the other inputs, unless not known yet", () => {
        const bad = { ...base, kubeletExtraArgs: { "max-pods": "5 0" } };
        expect(joinProblems(bad).map((f) => f.propertyPath)).to.deep.equal(["kubeletExtraArgs.max-pods"]);
        expect(joinProblems(bad, (k) => k === "kubeletExtraArgs")).to.deep.equal([]);
    });
});

describe("NodeJoin kubeadm-flags.env rewrite", () => {
    const KUBEADM =
        'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock ' +
        '--node-labels=example.com/pool=blue --pod-infra-container-image=registry.k8s.io/pause:3.10.1"\n';
    const CRI = "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock";
    const PAUSE = "--pod-infra-container-image=registry.k8s.io/pause:3.10.1";
    const BLUE = { "example.com/pool": "blue" };

    interface Case {
        what: string;
        file: string;
        previous?: Record<string, string>;
        labels?: Record<string, string>;
        extra?: Record<string, string>;
        /** The kubelet's arguments after the rewrite. */
        args: string[];
        /** The whole file after the rewrite, where its layout matters. */
        content?: string;
    }
    const cases: Case[] = [
        {
            what: "adds a new flag after kubeadm's own",
            file: KUBEADM,
            labels: BLUE,
            extra: { "max-pods": "50" },
            args: [CRI, "--node-labels=example.com/pool=blue", PAUSE, "--max-pods=50"],
            content: `KUBELET_KUBEADM_ARGS="${CRI} --node-labels=example.com/pool=blue ${PAUSE} --max-pods=50"\n`,
        },
        {
            what: "changes a value in place",
            file: `KUBELET_KUBEADM_ARGS="${CRI} --max-pods=50 ${PAUSE}"\n`,
            previous: { "max-pods": "50" },
            extra: { "max-pods": "60" },
            args: [CRI, "--max-pods=60", PAUSE],
        },
        {
            what: "removes a key no longer wanted, keeping the others",
            file: `KUBELET_KUBEADM_ARGS="${CRI} --max-pods=50 ${PAUSE} --v=2"\n`,
            previous: { "max-pods": "50", v: "2" },
            extra: { v: "2" },
            args: [CRI, PAUSE, "--v=2"],
        },
        {
            what: "removes every extra flag when none is wanted any more",
            file: `KUBELET_KUBEADM_ARGS="${CRI} --max-pods=50 --v=2"\n`,
            previous: { "max-pods": "50", v: "2" },
            args: [CRI],
        },
        {
            what: "keeps flags written without a value, and drops one that was an extra flag",
            file: `KUBELET_KUBEADM_ARGS="${CRI} --rotate-server-certificates --fail-swap-on"\n`,
            previous: { "fail-swap-on": "true" },
            args: [CRI, "--rotate-server-certificates"],
        },
        {
            what: "writes an empty value as kubeadm does (--name=)",
            file: `KUBELET_KUBEADM_ARGS="${CRI}"\n`,
            extra: { "node-ip": "" },
            args: [CRI, "--node-ip="],
        },
        {
            what: "sets --node-labels from the labels, in place",
            file: KUBEADM,
            labels: { "example.com/pool": "green", tier: "web" },
            args: [CRI, "--node-labels=example.com/pool=green,tier=web", PAUSE],
        },
        {
            what: "drops --node-labels without labels",
            file: KUBEADM,
            args: [CRI, PAUSE],
        },
        {
            what: "reads single quotes and export, keeps the other lines",
            file: "# written by hand\nexport KUBELET_KUBEADM_ARGS='--a=1  --b=2'\nOTHER=x\n",
            extra: { c: "3" },
            args: ["--a=1", "--b=2", "--c=3"],
            content: '# written by hand\nKUBELET_KUBEADM_ARGS="--a=1 --b=2 --c=3"\nOTHER=x\n',
        },
        {
            what: "reads backslash escapes in double quotes",
            file: 'KUBELET_KUBEADM_ARGS="--a=\\"q\\" --b=x\\$y"\n',
            args: ['--a="q"', "--b=x$y"],
        },
        {
            what: "quotes a value with quote, dollar, backquote and backslash for sh and systemd",
            file: `KUBELET_KUBEADM_ARGS="${CRI}"\n`,
            extra: { "eviction-hard": 'a"b$c`d\\e' },
            args: [CRI, '--eviction-hard=a"b$c`d\\e'],
        },
        {
            what: "adds the variable to a file without it",
            file: "",
            extra: { "max-pods": "50" },
            args: ["--max-pods=50"],
            content: 'KUBELET_KUBEADM_ARGS="--max-pods=50"\n',
        },
    ];

    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-flags-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    /** What a real sh makes of the file: the value of KUBELET_KUBEADM_ARGS. */
    const shValue = (content: string) => {
        const f = path.join(dir, "kubeadm-flags.env");
        fs.writeFileSync(f, content);
        return execFileSync("sh", ["-c", '. "$1"; printf %s "$KUBELET_KUBEADM_ARGS"', "sh", f], { encoding: "utf8" });
    };

    for (const c of cases) {
        it(c.what, () => {
            const desired = { labels: c.labels, kubeletExtraArgs: c.extra };
            const out = rewriteKubeletFlagsEnv(c.file, c.previous, desired);
            expect(parseKubeletFlagsEnv(out)).to.deep.equal(c.args);
            if (c.content !== undefined) expect(out).to.equal(c.content);
            expect(shValue(out)).to.equal(c.args.join(" "));
            // Applying the same change again leaves the file as it is (no write, no surprise).
            expect(rewriteKubeletFlagsEnv(out, c.extra, desired)).to.equal(out);
        });
    }

    it("refuses a file it cannot read, naming it", () => {
        expect(() => rewriteKubeletFlagsEnv('KUBELET_KUBEADM_ARGS="--a=1\n', {}, {})).to.throw(
            /^\/var\/lib\/kubelet\/kubeadm-flags\.env: KUBELET_KUBEADM_ARGS has an unterminated double quote/,
        );
    });
});

/** An ed25519 public key line with a fixed key (not a real host's; only its form matters here). */
function edKey(fill: number): string {
    const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(Buffer.alloc(32, fill))]);
    return `ssh-ed25519 ${blob.toString("base64")}`;
}

describe("NodeJoin host key pinning", () => {
    const K1 = edKey(1);
    const K2 = edKey(2);
    const pinned: [string, { hostKey?: string } | undefined, string | undefined, string | undefined][] = [
        ["the connection's key, comment dropped", { hostKey: `${K1} root@worker-1` }, K2, K1],
        ["the recorded key without hostKey", {}, K2, K2],
        ["none before the first connection", undefined, undefined, undefined],
        ["an unparsable key as it is (check reports it)", { hostKey: "garbage" }, K2, "garbage"],
    ];
    for (const [what, conn, recorded, want] of pinned) {
        it(`pins ${what}`, () => expect(pinnedHostKey(conn, recorded)).to.equal(want));
    }

    const conn = { address: "198.18.0.11", port: 22, user: "root", privateKey: "key", trustOnFirstUse: true };
    const inputs = { ...base, connection: conn, labels: { "example.com/pool": "blue" } };
    const recorded = { ...inputs, outcome: "joined", kubeletVersion: "v1.34.4", hostKey: K1 };
    const legacy = { ...inputs, outcome: "joined", kubeletVersion: "v1.34.4" };
    const withConn = (c: any) => ({ ...inputs, connection: { ...conn, ...c } });
    const diffs: [string, any, any, boolean, string[]][] = [
        ["nothing changed", recorded, inputs, false, []],
        [
            "hostKey set to the recorded key (WorkerPool passes its preparation's)",
            recorded,
            withConn({ hostKey: `${K1} c` }),
            false,
            [],
        ],
        ["hostKey not known yet at preview, a key recorded", recorded, withConn({ hostKey: UNKNOWN }), false, []],
        [
            "the connection's fields in another order",
            recorded,
            {
                ...inputs,
                connection: {
                    trustOnFirstUse: true,
                    privateKey: "key",
                    user: "root",
                    port: 22,
                    address: "198.18.0.11",
                },
            },
            false,
            [],
        ],
        ["hostKey set to another key", recorded, withConn({ hostKey: K2 }), true, []],
        [
            "no key recorded (joined before recording), hostKey not known yet",
            legacy,
            withConn({ hostKey: UNKNOWN }),
            true,
            [],
        ],
        ["no key recorded, hostKey set: from then on pinned", legacy, withConn({ hostKey: K1 }), true, []],
        ["kubeletExtraArgs changed", recorded, { ...inputs, kubeletExtraArgs: { "max-pods": "60" } }, true, []],
        ["another address", recorded, withConn({ address: "198.18.0.12" }), true, ["address"]],
    ];
    for (const [what, olds, news, changes, replaces] of diffs) {
        it(`diff: ${what} → ${changes ? (replaces.length ? "replace" : "update") : "no change"}`, async () => {
            const d = await nodejoin.diff("198.18.0.11/worker-1", olds, news);
            expect(d.changes).to.equal(changes);
            expect(d.replaces).to.deep.equal(replaces);
        });
    }
});

describe("NodeJoin check: host keys are pinned, never blindly trusted", () => {
    // Shaped like a key only (built at run time: no key-shaped text is committed).
    const conn = {
        address: "198.18.0.11",
        user: "root",
        privateKey: ["-----BEGIN", "OPENSSH", "PRIVATE", "KEY-----"].join(" "),
    };
    const hostKeyFailures = async (c: any) =>
        (await nodejoin.check({}, { ...base, connection: c })).failures!.filter(
            (f) => f.property === "connection.hostKey",
        );
    it("without hostKey or trustOnFirstUse: fails on connection.hostKey, saying where the key comes from", async () => {
        const [f] = await hostKeyFailures(conn);
        expect(f.reason).to.match(/^required unless trustOnFirstUse is true/);
        expect(f.reason).to.include("ssh-keyscan -t ed25519 198.18.0.11");
    });
    it("with trustOnFirstUse or a hostKey: no such failure", async () => {
        expect(await hostKeyFailures({ ...conn, trustOnFirstUse: true })).to.deep.equal([]);
        expect(await hostKeyFailures({ ...conn, hostKey: edKey(1) })).to.deep.equal([]);
    });
});
