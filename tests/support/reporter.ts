// Mocha's spec reporter plus one closing line in the plain form CI reads: "tests: N passed, N failed".
import * as Mocha from "mocha";

class SpecWithTotals extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const s = this.stats;
            const pending = s.pending ? `, ${s.pending} skipped` : "";
            process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed${pending}\n`);
        });
    }
}
export = SpecWithTotals;
