// Mocha's spec reporter plus, at the end, the wall time of each top-level suite (slowest first:
// where the suite's time goes, for the CI time limit) and one closing line in the plain form CI
// reads: "tests: N passed, N failed".
import * as Mocha from "mocha";

class SpecWithTotals extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        const started = new Map<Mocha.Suite, number>();
        const times: { title: string; ms: number }[] = [];
        const topLevel = (s: Mocha.Suite) => s.parent?.root === true;
        runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (s: Mocha.Suite) => {
            if (topLevel(s)) started.set(s, Date.now());
        });
        runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (s: Mocha.Suite) => {
            const t0 = started.get(s);
            if (t0 !== undefined) times.push({ title: s.title, ms: Date.now() - t0 });
        });
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const s = this.stats;
            const lines = times
                .sort((a, b) => b.ms - a.ms)
                .map((t) => `[time] ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.title}`);
            process.stdout.write(`\n${lines.join("\n")}\n`);
            const pending = s.pending ? `, ${s.pending} skipped` : "";
            process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed${pending}\n`);
        });
    }
}
export = SpecWithTotals;
