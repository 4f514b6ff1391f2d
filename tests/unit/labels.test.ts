// Node labels, taints and object names (model/labels.ts, model/names.ts): the one copy of each
// rule that WorkerPool's checks and NodeJoin's input rules both use.
import { expect } from "chai";
import { labelKeyProblem, labelValueProblem, selfLabelProblem, taintEffectProblem } from "../../model/labels";
import { dnsSubdomainProblem, namespaceProblem, nodeNameProblem } from "../../model/names";
import { labelProblems, taintProblems } from "../../provider/kubeadm/inputRules";
import { validateWorkerPool } from "../../components/validation";

describe("model: labels, taints and names", () => {
    // What NodeRestriction lets a kubelet set on its own Node (kubelet's IsKubeletLabel).
    const selfLabels: [string, boolean][] = [
        ["example.com/role", true],
        ["role", true],
        ["kubernetes.io/hostname", true],
        ["beta.kubernetes.io/arch", true],
        ["topology.kubernetes.io/zone", true],
        ["node.kubernetes.io/pool", true],
        ["team.node.kubernetes.io/pool", true],
        ["kubelet.kubernetes.io/x", true],
        ["node-role.kubernetes.io/worker", false],
        ["kubernetes.io/role", false],
        ["kubelet.k8s.io/x", false],
        ["k8s.io/x", false],
    ];
    for (const [key, allowed] of selfLabels)
        it(`a kubelet ${allowed ? "may" : "may not"} set ${key}`, () =>
            expect(selfLabelProblem(key) === undefined).to.equal(allowed));

    it("label keys: [prefix/]name with a DNS prefix and a 1-63 character name", () => {
        expect(labelKeyProblem("example.com/gpu")).to.equal(undefined);
        expect(labelKeyProblem("a/b/c")).to.match(/more than one "\/"/);
        expect(labelKeyProblem("Example.com/gpu")).to.match(/the prefix "Example.com" must be a lower-case DNS name/);
        expect(labelKeyProblem("x".repeat(64))).to.match(/the name part must be 1-63/);
        expect(labelKeyProblem("")).to.equal("is required");
    });

    it("label values: empty, or 1-63 characters starting and ending alphanumeric", () => {
        expect(labelValueProblem("")).to.equal(undefined);
        expect(labelValueProblem("a.b-c_d")).to.equal(undefined);
        expect(labelValueProblem("-a")).to.match(/^must be at most 63 letters/);
        expect(labelValueProblem("x".repeat(64))).to.match(/^must be at most 63 letters/);
        expect(labelValueProblem(3)).to.match(/got 3$/);
    });

    it("taint effects: the three kubelet knows", () => {
        for (const e of ["NoSchedule", "PreferNoSchedule", "NoExecute"])
            expect(taintEffectProblem(e)).to.equal(undefined);
        expect(taintEffectProblem("Never")).to.equal(
            'must be one of NoSchedule, PreferNoSchedule, NoExecute; got "Never"',
        );
    });

    it("WorkerPool and NodeJoin give the same reasons for the same labels and taints", () => {
        const labels = { "node-role.kubernetes.io/worker": "", ok: "bad value!" };
        const taints = [{ key: "a/b/c", value: "-x", effect: "Never" as any }];
        const pool = validateWorkerPool(
            {
                hosts: [{ address: "192.0.2.1", hasPrivateKey: true, hostKey: undefined, labels, taints }],
                kubernetesVersion: "v1.30.2",
                trustOnFirstUse: true,
            },
            () => undefined,
        ).map((e) => e.reason);
        const join = [...labelProblems(labels), ...taintProblems(taints)].map((f) => f.reason);
        expect(join).to.have.length(5);
        for (const r of join) expect(pool).to.include(r);
    });

    it("names: namespaces, Node names and object names", () => {
        expect(namespaceProblem("kamaji-system", "kamaji-system")).to.equal(undefined);
        expect(namespaceProblem("a.b", "tenants")).to.match(/must be a namespace name/);
        expect(namespaceProblem("x".repeat(64), "tenants")).to.match(/at most 63/);
        expect(nodeNameProblem("worker-1.example")).to.equal(undefined);
        expect(nodeNameProblem("Worker_1")).to.equal('must be a lower-case DNS name (a Node name); got "Worker_1"');
        expect(dnsSubdomainProblem("a".repeat(254))).to.match(/must be a lower-case DNS name/);
    });
});
