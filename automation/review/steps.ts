/**
 * The steps of a preview, normalized from either source: `pulumi preview --json` (or
 * `pulumi destroy --preview-only --json`) output, or the Automation API's engine events.
 *
 * Nothing here interprets values; the review reads only allowlisted fields (see review.ts).
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { urnName, urnType } from "../events";

export interface StepState {
    type?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    parent?: string;
}

export interface PlanStep {
    op: string;
    urn: string;
    type: string;
    name: string;
    /** The URN's parent type chain, outermost first (e.g. ["hcp:index:WorkerPool"]). */
    parentTypes: string[];
    /** The parent component's name, when the parent is in the URN's chain. */
    parentName?: string;
    old?: StepState;
    new?: StepState;
    /** Top-level properties that differ. */
    diffs: string[];
    /** Properties that force a replacement. */
    replaceReasons: string[];
    /** Property paths with a detailed diff (keys only). */
    detailedDiffKeys: string[];
}

/** A preview's steps plus the diagnostics' count by severity (messages are not kept). */
export interface Plan {
    steps: PlanStep[];
    /** Errors the preview reported (a failed preview cannot be reviewed as complete). */
    errors: number;
}

function state(s: any): StepState | undefined {
    if (!s || typeof s !== "object") return undefined;
    return { type: s.type, inputs: s.inputs ?? {}, outputs: s.outputs ?? {}, parent: s.parent };
}

function parentChain(urn: string): string[] {
    const chain = (urn.split("::")[2] ?? "").split("$");
    return chain.slice(0, -1);
}

function step(
    op: string,
    urn: string,
    type: string | undefined,
    o: any,
    n: any,
    diffs: string[],
    replaceReasons: string[],
    detailed: any,
): PlanStep {
    return {
        op,
        urn,
        type: type ?? urnType(urn),
        name: urnName(urn),
        parentTypes: parentChain(urn),
        parentName:
            typeof (n?.parent ?? o?.parent) === "string" && (n?.parent ?? o?.parent)
                ? urnName(n?.parent ?? o?.parent)
                : undefined,
        old: state(o),
        new: state(n),
        diffs: [...new Set(diffs ?? [])],
        replaceReasons: [...new Set(replaceReasons ?? [])],
        detailedDiffKeys: Object.keys(detailed ?? {}),
    };
}

/** Parses `pulumi preview --json` output (a string or the parsed object). */
export function planFromPreviewJson(input: string | object): Plan {
    let doc: any = input;
    if (typeof input === "string") {
        try {
            doc = JSON.parse(input);
        } catch (e) {
            throw new Error(
                `the preview is not JSON (${(e as Error).message}); produce it with \`pulumi preview --json > preview.json\``,
            );
        }
    }
    if (!doc || typeof doc !== "object" || !Array.isArray(doc.steps)) {
        throw new Error(
            "the preview JSON has no `steps` list; produce it with `pulumi preview --json` (not `pulumi stack export` or `--diff`)",
        );
    }
    const steps = (doc.steps as any[]).map((s) =>
        step(
            s.op,
            s.urn,
            s.newState?.type ?? s.oldState?.type,
            s.oldState,
            s.newState,
            s.diffReasons,
            s.replaceReasons,
            s.detailedDiff,
        ),
    );
    const errors = (doc.diagnostics ?? []).filter((d: any) => d?.severity === "error").length;
    return { steps, errors };
}

/** Collects a plan from the Automation API's engine events (feed every event, then call `plan()`). */
export class PlanCollector {
    private readonly steps: PlanStep[] = [];
    private errors = 0;

    readonly onEvent = (e: EngineEvent): void => {
        const m = e.resourcePreEvent?.metadata;
        if (m) {
            this.steps.push(
                step(m.op, m.urn, m.type, m.old, m.new, m.diffs ?? [], (m as any).replaceReasons ?? [], m.detailedDiff),
            );
            if (["replace", "create-replacement", "delete-replaced"].includes(m.op) && m.keys) {
                // The engine reports the replacing keys in `keys` for replacement steps.
                this.steps[this.steps.length - 1].replaceReasons = [...new Set(m.keys)];
            }
        }
        if (e.diagnosticEvent?.severity === "error") this.errors++;
    };

    plan(): Plan {
        return { steps: [...this.steps], errors: this.errors };
    }
}
