import { expect } from "chai";
import { withinBudget } from "../../provider/kubeadm/rollout";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts one upgrade per node at once, as the engine does, and records how many ran together. */
async function rollout(pool: string, maxUnavailable: number, nodes: string[], failing: string[] = []) {
    let inFlight = 0;
    let most = 0;
    const upgraded: string[] = [];
    const results = await Promise.allSettled(
        nodes.map((n) =>
            withinBudget({ pool, maxUnavailable }, n, async () => {
                most = Math.max(most, ++inFlight);
                await tick(10);
                inFlight--;
                if (failing.includes(n)) throw new Error(`kubeadm upgrade node failed on ${n}`);
                upgraded.push(n);
            }),
        ),
    );
    return { most, upgraded, results };
}

describe("rollout budget (maxUnavailable)", () => {
    for (const [max, nodes, expected] of [
        [1, 4, 1],
        [2, 5, 2],
        [3, 2, 2],
        [0, 3, 1], // a budget below 1 still lets the rollout proceed one node at a time
    ]) {
        it(`maxUnavailable ${max}, ${nodes} nodes: at most ${expected} upgraded at once, all upgraded`, async () => {
            const names = Array.from({ length: nodes }, (_, i) => `n${i}`);
            const r = await rollout(`pool-${max}-${nodes}`, max, names);
            expect(r.most).to.equal(expected);
            expect(r.upgraded.sort()).to.deep.equal(names);
        });
    }

    it("pools have budgets of their own", async () => {
        const [a, b] = await Promise.all([rollout("pool-a", 1, ["a1", "a2"]), rollout("pool-b", 1, ["b1", "b2"])]);
        expect([a.most, b.most]).to.deep.equal([1, 1]);
        expect(a.upgraded.length + b.upgraded.length).to.equal(4);
    });

    it("a failed upgrade stops the pool's rollout; waiting nodes are not touched", async () => {
        const r = await rollout("pool-failing", 1, ["w1", "w2", "w3"], ["w1"]);
        expect(r.upgraded).to.deep.equal([]);
        const reasons = r.results.map((x) => (x.status === "rejected" ? (x.reason as Error).message : "ok"));
        expect(reasons[0]).to.equal("kubeadm upgrade node failed on w1");
        for (const m of reasons.slice(1)) {
            expect(m).to.match(/^Node w[23] was not upgraded: the upgrade of Node w1 in the same pool failed first/);
            expect(m).to.include("run `pulumi up` again");
        }
    });
});
