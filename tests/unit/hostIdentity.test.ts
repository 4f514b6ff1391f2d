// A host's resources are named from the host, not its pool (so a rename or a move keeps them), a
// delete undoes only a host its resource still owns, and the review tells a move between tenants
// as a removal and a join. The engine test tests/engine/hostIdentity.engine.test.ts runs it for real.
import { expect } from "chai";
import { buildReview, TYPES } from "../../automation/review";
import { hostResourceName } from "../../components/workerPool";
import { owns } from "../../provider/ownership";
import { diff as joinDiff } from "../../provider/kubeadm/provider";
import { changesOf as prepChanges } from "../../provider/hostprep/provider";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3YRNAtj6L6KHtoI3R5P4yAXPA19k1j9Y9XTfebv4+3";

describe("host identity: names, ownership, moves", () => {
    it("names a host's resources from its canonical address, whatever the pool and the spelling", () => {
        expect(hostResourceName("pool-a", "2001:DB8::1", "join").name).to.equal("host-2001-db8-1-join");
        expect(hostResourceName("pool-b", "[2001:db8:0::1]", "join").name).to.equal("host-2001-db8-1-join");
        expect(hostResourceName("pool-a", "198.18.0.11", "prep").name).to.equal("host-198-18-0-11-prep");
    });

    it("aliases the names before this scheme, so existing stacks keep their resources", () => {
        expect(hostResourceName("team-a-workers", "198.18.0.11", "join").aliases).to.deep.equal([
            { name: "team-a-workers-198-18-0-11-join" },
        ]);
        expect(hostResourceName("host", "198.18.0.11", "prep").aliases).to.deep.equal([]);
    });

    it("a delete owns a host only when the owner record on it is its own", () => {
        expect(owns("a", { owner: "a", resource: "NodeJoin" })).to.equal(true);
        expect(owns("a", { owner: "b", resource: "NodeJoin" })).to.equal(false);
        expect(owns("a", undefined)).to.equal(false);
        // State from before owner records: its host, unless another resource claimed it since.
        expect(owns(undefined, undefined)).to.equal(true);
        expect(owns(undefined, { owner: "b", resource: "NodeJoin" })).to.equal(false);
    });

    it("another spelling of the address replaces neither the join nor the preparation", async () => {
        const conn = (address: string) => ({ address, privateKey: "k", hostKey: HOST_KEY });
        const base = { nodeName: "n1", apiEndpoint: "192.0.2.1:6443", caCertHash: "sha256:" + "0".repeat(64) };
        const d = await joinDiff(
            "id",
            { ...base, connection: conn("2001:DB8::1") },
            { ...base, connection: conn("2001:db8::1") },
        );
        expect(d).to.include({ changes: false });
        expect(d.replaces).to.deep.equal([]);
        const prep = (address: string) => ({
            connection: { address, port: 22, user: "root", hostKey: HOST_KEY },
            kubernetesVersion: "v1.34.4",
            containerd: { version: "1.7.27", pauseImage: "registry.k8s.io/pause:3.10.1", registryMirrors: {} },
            packageSource: { kind: "apt" },
            reusePolicy: "retain",
            secrets: { connection: {}, registryCredentials: {} },
        });
        const olds = prep("2001:DB8::1") as any;
        const news = { ...prep("2001:db8::1"), packageSource: { kind: "apt" } } as any;
        expect(prepChanges(olds, news).map((c) => c.path)).to.not.include("connection.address");
    });

    it("the review tells a NodeJoin replaced under another pool as one removal and one join", () => {
        const urn = `urn:pulumi:s::p::${TYPES.hcpWorkerPool}$${TYPES.nodeJoin}::host-198-18-0-11-join`;
        const pool = (n: string) => `urn:pulumi:s::p::${TYPES.hcpWorkerPool}::${n}`;
        const inputs = { nodeName: "worker-1", kubernetesVersion: "v1.34.4", connection: { address: "198.18.0.11" } };
        const step = (op: string) => ({
            op,
            urn,
            type: TYPES.nodeJoin,
            name: "host-198-18-0-11-join",
            parentTypes: [TYPES.hcpWorkerPool],
            parentName: "b-workers",
            old: { inputs, parent: pool("a-workers") },
            new: { inputs, parent: pool("b-workers") },
            diffs: ["apiEndpoint", "caCertHash"],
            replaceReasons: ["apiEndpoint", "caCertHash"],
            detailedDiffKeys: [],
        });
        const r = buildReview(
            { steps: [step("delete-replaced"), step("create-replacement"), step("replace")], errors: 0 },
            {},
            { pools: { "a-workers": "team-a", "b-workers": "team-b" } },
        );
        expect(r.entries.map((e) => `${e.subject} ${e.action} ${e.name} ${e.tenant}`)).to.deep.equal([
            "node remove worker-1 team-a",
            "node join worker-1 team-b",
        ]);
    });
});
