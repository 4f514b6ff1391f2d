// The report of a host script: one line per step, `HCP-STEP <step> changed <what>` or
// `HCP-STEP <step> unchanged` (or `skipped <why>`), facts as `HCP-FACT key=value`, warnings as
// `HCP-WARN <step>: text`, a fatal, user-facing problem as `HCP-ERROR <step>: text` (exit status
// 42), and `HCP-DONE` at the end.

export type StepStatus = "changed" | "unchanged" | "skipped";

export interface Report {
    steps: Record<string, StepStatus>;
    /** What each changed step did. */
    details: Record<string, string[]>;
    facts: Record<string, string>;
    warnings: string[];
    error?: string;
    done: boolean;
}

export function parseReport(stdout: string): Report {
    const r: Report = { steps: {}, details: {}, facts: {}, warnings: [], done: false };
    for (const line of stdout.split(/\r?\n/)) {
        let m: RegExpExecArray | null;
        if ((m = /^HCP-STEP (\S+) (changed|unchanged|skipped)(?: (.*))?$/.exec(line))) {
            r.steps[m[1]] = m[2] as StepStatus;
            if (m[3]) r.details[m[1]] = m[3].split(";").filter((x) => x !== "");
        } else if ((m = /^HCP-FACT ([A-Za-z]+)=(.*)$/.exec(line))) {
            r.facts[m[1]] = m[2];
        } else if ((m = /^HCP-WARN (.*)$/.exec(line))) {
            r.warnings.push(m[1]);
        } else if ((m = /^HCP-ERROR (.*)$/.exec(line))) {
            r.error = m[1];
        } else if (/^HCP-DONE /.test(line)) {
            r.done = true;
        }
    }
    return r;
}

export function changedSteps(r: Report): string[] {
    return Object.entries(r.steps)
        .filter(([, s]) => s === "changed")
        .map(([k]) => k);
}
