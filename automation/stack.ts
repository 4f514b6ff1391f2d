/**
 * The embedding: preview, deploy, destroy and outputs of a spec over a `LocalWorkspace` inline
 * program, with the backend, secrets and configuration handled for the caller.
 */
import * as automation from "@pulumi/pulumi/automation";
import { OperationOptions, runOperation } from "./operation";
import { HcpOutputs, typedOutputs, WorkerPoolOutputs } from "./outputs";
import { hostResourceNames, OUTPUT_CONTROL_PLANES, OUTPUT_WORKER_POOLS, reviewContextFor } from "./program";
import { GateConfig } from "./review/gates";
import { buildReview, Review, ReviewContext } from "./review/review";
import { Plan, PlanCollector } from "./review/steps";
import { assertValidSpec, HcpSpec } from "./spec";
import { StackOptions } from "./stackOptions";
import { OpenedStack, openStack } from "./workspace";

export { packageRoot, StackOptions } from "./stackOptions";
export { SPEC_CONFIG_KEY } from "./workspace";
export { ControlPlaneOutputs, HcpOutputs, Secret, WorkerPoolOutputs } from "./outputs";

export interface PreviewResult {
    /** Operation counts ("create", "update", "delete", "same", …). */
    changeSummary: Record<string, number>;
    plan: Plan;
    /** The domain review of the preview, with gates evaluated. */
    review: Review;
}

export interface DeployResult {
    result: string;
    resourceChanges: Record<string, number>;
    outputs: HcpOutputs;
}

export interface DestroyResult {
    result: string;
    resourceChanges: Record<string, number>;
}

/** What a preview is given besides the stack's options. */
type PreviewOptions = StackOptions & { gates?: GateConfig; title?: string };

/** Previews a spec and reviews the result. */
export async function preview(spec: HcpSpec, opts: PreviewOptions = {}): Promise<PreviewResult> {
    assertValidSpec(spec);
    const o = await openStack(spec, opts);
    return reviewedPreview("preview", o, spec, opts, hostResourceNames(spec), async (common) => {
        const res = await o.stack.preview(common);
        return res.changeSummary as Record<string, number>;
    });
}

/** Previews what destroying the stack would do, and reviews it. */
export async function previewDestroy(opts: PreviewOptions = {}): Promise<PreviewResult> {
    const o = await openStack(undefined, opts);
    return reviewedPreview("destroy preview", o, undefined, opts, new Map(), async (common) => {
        const res = await o.stack.destroy({ ...common, previewOnly: true });
        return (res.summary?.resourceChanges ?? {}) as Record<string, number>;
    });
}

/** Runs a preview with its steps collected, and reviews the plan they make. */
async function reviewedPreview(
    what: string,
    o: OpenedStack,
    spec: HcpSpec | undefined,
    opts: PreviewOptions,
    hosts: Map<string, string>,
    body: (common: OperationOptions) => Promise<Record<string, number>>,
): Promise<PreviewResult> {
    const collector = new PlanCollector();
    const context = await contextFor(o, spec, opts.title);
    const counts = await runOperation(what, o, opts, hosts, body, collector.onEvent);
    const plan = collector.plan();
    return { changeSummary: { ...counts }, plan, review: buildReview(plan, opts.gates, context) };
}

/** The review context: from the spec, plus what the stack's outputs say about pools and hosts already deployed. */
async function contextFor(o: OpenedStack, spec: HcpSpec | undefined, title?: string): Promise<ReviewContext> {
    const ctx = spec
        ? reviewContextFor(spec, title)
        : { pools: {} as Record<string, string>, hosts: {} as Record<string, string>, ...(title ? { title } : {}) };
    try {
        const outs = await o.stack.outputs();
        const cps = (outs[OUTPUT_CONTROL_PLANES]?.value ?? {}) as Record<string, { tenantName?: string }>;
        const pools = (outs[OUTPUT_WORKER_POOLS]?.value ?? {}) as Record<string, WorkerPoolOutputs>;
        for (const [pool, p] of Object.entries(pools)) {
            if (!(pool in ctx.pools!)) ctx.pools![pool] = cps[p.controlPlane]?.tenantName ?? p.controlPlane;
        }
    } catch {
        /* a new stack has no outputs */
    }
    return ctx;
}

/** Creates or updates everything the spec describes. */
export async function deploy(spec: HcpSpec, opts: StackOptions = {}): Promise<DeployResult> {
    assertValidSpec(spec);
    const o = await openStack(spec, opts);
    const res = await runOperation("deploy", o, opts, hostResourceNames(spec), (common) => o.stack.up(common));
    return { ...changesOf(res), outputs: typedOutputs(res.outputs) };
}

/** Deletes everything in the stack. The spec is optional (it only names hosts in progress events). */
export async function destroy(spec: HcpSpec | undefined, opts: StackOptions = {}): Promise<DestroyResult> {
    const o = await openStack(undefined, opts);
    const hosts = spec ? hostResourceNames(spec) : new Map<string, string>();
    const res = await runOperation("destroy", o, opts, hosts, (common) => o.stack.destroy(common));
    return changesOf(res);
}

function changesOf(res: { summary: automation.UpdateSummary }): DestroyResult {
    return {
        result: res.summary.result,
        resourceChanges: { ...((res.summary.resourceChanges ?? {}) as Record<string, number>) },
    };
}

/** Removes the (destroyed) stack from the backend. */
export async function removeStack(opts: StackOptions = {}): Promise<void> {
    const o = await openStack(undefined, opts);
    await o.stack.workspace.removeStack(o.stackName);
}

/** The stack's outputs, typed. */
export async function outputs(opts: StackOptions = {}): Promise<HcpOutputs> {
    const o = await openStack(undefined, opts);
    return typedOutputs(await o.stack.outputs());
}
