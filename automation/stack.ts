/**
 * The embedding: preview, deploy, destroy and outputs of a spec over a `LocalWorkspace` inline
 * program, with the backend, secrets and configuration handled for the caller.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { EmbeddingOptionsError, OperationCancelledError, parseLockError, StackLockedError } from "./errors";
import { EventMapper, ProgressEvent } from "./events";
import {
    hostResourceNames,
    OUTPUT_CONTROL_PLANES,
    OUTPUT_KUBECONFIGS,
    OUTPUT_WORKER_POOLS,
    programFor,
    reviewContextFor,
} from "./program";
import { GateConfig } from "./review/gates";
import { buildReview, Review, ReviewContext } from "./review/review";
import { Plan, PlanCollector } from "./review/steps";
import { assertValidSpec, HcpSpec, SECRET_KEY_PREFIX, splitSecrets } from "./spec";

/** The package root: where `bin/pulumi` and `node_modules/@pulumi/pulumi` are. */
export const packageRoot = path.resolve(__dirname, "..", "..");

export interface StackOptions {
    /** Pulumi project name. Defaults to "hcp". */
    projectName?: string;
    /** Stack name. Defaults to "dev". */
    stackName?: string;
    /**
     * Directory for the local file backend (`<stateDir>/backend`) and the Pulumi home
     * (`<stateDir>/home`). Defaults to `~/.pulumi-hcp`. Ignored for the backend when `backendUrl` is given.
     */
    stateDir?: string;
    /** Any Pulumi backend URL ("file:///…", "s3://…", "https://api.pulumi.com"). Defaults to the local file backend in `stateDir`. */
    backendUrl?: string;
    /** Passphrase for the passphrase secrets provider. Required for file backends unless `secretsProvider` is given. */
    secretsPassphrase?: string;
    /** A secrets provider URL ("awskms://…", "hashivault://…", …) instead of a passphrase. */
    secretsProvider?: string;
    /** The directory whose `bin/` holds the `pulumi` CLI. Defaults to this package's root. */
    pulumiRoot?: string;
    /** Extra environment for the CLI (e.g. cloud credentials for a backend). */
    envVars?: Record<string, string>;
    /** Typed progress, per resource and host. */
    onEvent?: (e: ProgressEvent) => void;
    /** The CLI's own output, as it comes. */
    onOutput?: (text: string) => void;
    /** Aborting stops the operation cleanly (the CLI cancels gracefully, as on Ctrl-C). */
    signal?: AbortSignal;
    /** Resource operations run in parallel at most. Defaults to the CLI's default. */
    parallel?: number;
    /**
     * The workspace directory (stack config files live there). Defaults to
     * `<stateDir>/workspaces/<project>.<stack>`.
     * When it holds a Pulumi.yaml, that project is used as is (its `name` must match `projectName`).
     */
    workDir?: string;
}

/** A value the caller must unwrap on purpose; it prints as "[secret]". */
export class Secret<T> {
    readonly #value: T;
    constructor(value: T) {
        this.#value = value;
    }
    /** The secret value. */
    unwrap(): T {
        return this.#value;
    }
    toString(): string {
        return "[secret]";
    }
    toJSON(): string {
        return "[secret]";
    }
    [Symbol.for("nodejs.util.inspect.custom")](): string {
        return "Secret([secret])";
    }
}

export interface ControlPlaneOutputs {
    tenantName: string;
    namespace: string;
    endpoint: string;
    kubernetesVersion: string;
    caCertHash: string;
    /** The tenant's admin kubeconfig. */
    kubeconfig: Secret<string>;
}

export interface WorkerPoolOutputs {
    controlPlane: string;
    nodeNames: string[];
    hosts: { address: string; nodeName: string; kubeletVersion: string; outcome: string }[];
}

export interface HcpOutputs {
    controlPlanes: Record<string, ControlPlaneOutputs>;
    workerPools: Record<string, WorkerPoolOutputs>;
}

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

const DEFAULT_STATE_DIR = path.join(os.homedir(), ".pulumi-hcp");

function isFileBackend(url: string): boolean {
    return url.startsWith("file://");
}

interface Opened {
    stack: automation.Stack;
    stackName: string;
    backendUrl: string;
}

async function openStack(spec: HcpSpec | undefined, opts: StackOptions): Promise<Opened> {
    const projectName = opts.projectName ?? "hcp";
    const stackName = opts.stackName ?? "dev";
    const stateDir = path.resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
    const backendUrl = opts.backendUrl ?? "file://" + path.join(stateDir, "backend");
    const passphrase = opts.secretsPassphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE;
    if (opts.secretsPassphrase !== undefined && opts.secretsProvider !== undefined)
        throw new EmbeddingOptionsError("secretsPassphrase and secretsProvider are mutually exclusive: give one");
    if (
        isFileBackend(backendUrl) &&
        passphrase === undefined &&
        opts.secretsProvider === undefined &&
        !process.env.PULUMI_CONFIG_PASSPHRASE_FILE
    )
        throw new EmbeddingOptionsError(
            "secretsPassphrase (or secretsProvider) is required with a file backend: the stack's secrets (kubeconfig, keys) are encrypted with it",
        );
    if (isFileBackend(backendUrl)) fs.mkdirSync(backendUrl.slice("file://".length), { recursive: true });
    const home = path.join(stateDir, "home");
    fs.mkdirSync(home, { recursive: true });
    const root = opts.pulumiRoot ?? packageRoot;
    const envVars: Record<string, string> = {
        PATH: [path.join(root, "bin"), path.join(packageRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(
            path.delimiter,
        ),
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...(passphrase !== undefined && opts.secretsProvider === undefined
            ? { PULUMI_CONFIG_PASSPHRASE: passphrase }
            : {}),
        ...(opts.envVars ?? {}),
    };
    const pulumiCommand = await automation.PulumiCommand.get({ root, skipVersionCheck: true });
    const split = spec ? splitSecrets(spec) : undefined;
    const program = split ? programFor(split.spec) : async () => ({});
    const ownProject = opts.workDir !== undefined && fs.existsSync(path.join(opts.workDir, "Pulumi.yaml"));
    // A stable workspace per stack: its config file keeps the secrets' encryption salt between runs.
    const workDir = opts.workDir ?? path.join(stateDir, "workspaces", `${projectName}.${stackName}`);
    fs.mkdirSync(workDir, { recursive: true });
    const stack = await automation.LocalWorkspace.createOrSelectStack(
        { projectName, stackName, program },
        {
            pulumiCommand,
            envVars,
            workDir,
            secretsProvider: opts.secretsProvider,
            // The dynamic-provider host resolves @pulumi/pulumi from the program's directory.
            ...(ownProject ? {} : { projectSettings: { name: projectName, runtime: "nodejs", main: packageRoot } }),
        },
    );
    if (split)
        await syncConfig(stack, projectName, split.spec, split.secrets, (key, value) =>
            setSecretConfig(
                path.join(root, "bin", "pulumi"),
                { ...process.env, ...envVars },
                workDir,
                stackName,
                key,
                value,
            ),
        );
    return { stack, stackName, backendUrl };
}

/** The config key holding the spec without its secrets (so the stack remembers what it was built from). */
export const SPEC_CONFIG_KEY = "spec";

/**
 * Config: the spec without secrets under `spec`, every secret of the spec as secret config, and
 * the secrets the spec no longer has removed.
 */
async function syncConfig(
    stack: automation.Stack,
    projectName: string,
    publicSpec: HcpSpec,
    secrets: Record<string, string>,
    setSecret: (key: string, value: string) => Promise<void>,
): Promise<void> {
    const existing = await stack.getAllConfig();
    const prefix = `${projectName}:${SECRET_KEY_PREFIX}`;
    const stale = Object.keys(existing).filter(
        (k) => k.startsWith(prefix) && !(k.slice(projectName.length + 1) in secrets),
    );
    if (stale.length) await stack.removeAllConfig(stale);
    await stack.setConfig(`${projectName}:${SPEC_CONFIG_KEY}`, { value: JSON.stringify(publicSpec) });
    for (const [k, v] of Object.entries(secrets)) {
        const key = `${projectName}:${k}`;
        // Unchanged secrets are not re-encrypted (the config file stays as it was).
        if (existing[key]?.secret && existing[key].value === v) continue;
        await setSecret(key, v);
    }
}

/**
 * Sets one secret config value with the value on the CLI's standard input: the Automation API's
 * setConfig/setAllConfig put values in argv, where every process on the machine can read them.
 * `--raw` keeps the value byte for byte (PEM keys end in a newline).
 */
function setSecretConfig(
    pulumiBin: string,
    env: NodeJS.ProcessEnv,
    workDir: string,
    stackName: string,
    key: string,
    value: string,
): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(pulumiBin, ["config", "set", "--secret", "--raw", "--stack", stackName, key], {
            cwd: workDir,
            env,
            stdio: ["pipe", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve() : reject(new Error(`pulumi config set --secret ${key} failed: ${stderr.trim()}`)),
        );
        child.stdin.end(value);
    });
}

/** Runs an operation with events, output, cancellation and lock errors handled. */
async function run<T>(
    what: string,
    o: Opened,
    opts: StackOptions,
    hosts: Map<string, string>,
    body: (
        common: {
            onEvent: (e: automation.EngineEvent) => void;
            onOutput?: (s: string) => void;
            signal?: AbortSignal;
            parallel?: number;
        },
        extra: (e: automation.EngineEvent) => void,
    ) => Promise<T>,
    extraEvents: (e: automation.EngineEvent) => void = () => undefined,
): Promise<T> {
    if (opts.signal?.aborted) throw new OperationCancelledError(what, o.stackName);
    const mapper = new EventMapper(hosts);
    const onEvent = (e: automation.EngineEvent) => {
        extraEvents(e);
        if (opts.onEvent) for (const pe of mapper.map(e)) opts.onEvent(pe);
    };
    // Remote backends run the update server-side: cancel it there as well.
    const cancelRemote = () => {
        if (!isFileBackend(o.backendUrl)) void o.stack.cancel().catch(() => undefined);
    };
    opts.signal?.addEventListener("abort", cancelRemote, { once: true });
    try {
        return await body(
            { onEvent, onOutput: opts.onOutput, signal: opts.signal, parallel: opts.parallel },
            extraEvents,
        );
    } catch (e) {
        if (opts.signal?.aborted) throw new OperationCancelledError(what, o.stackName);
        const stderr = (e as any)?.commandResult?.stderr ?? String((e as Error)?.message ?? e);
        const holders = parseLockError(stderr);
        if (holders !== undefined) throw new StackLockedError(o.stackName, holders, stderr);
        throw e;
    } finally {
        opts.signal?.removeEventListener("abort", cancelRemote);
    }
}

/** The review context: from the spec, plus what the stack's outputs say about pools and hosts already deployed. */
async function contextFor(o: Opened, spec: HcpSpec | undefined, title?: string): Promise<ReviewContext> {
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

/** Previews a spec and reviews the result. */
export async function preview(
    spec: HcpSpec,
    opts: StackOptions & { gates?: GateConfig; title?: string } = {},
): Promise<PreviewResult> {
    assertValidSpec(spec);
    const o = await openStack(spec, opts);
    const collector = new PlanCollector();
    const context = await contextFor(o, spec, opts.title);
    const res = await run(
        "preview",
        o,
        opts,
        hostResourceNames(spec),
        (common) => o.stack.preview(common),
        collector.onEvent,
    );
    const plan = collector.plan();
    return {
        changeSummary: { ...(res.changeSummary as Record<string, number>) },
        plan,
        review: buildReview(plan, opts.gates, context),
    };
}

/** Previews what destroying the stack would do, and reviews it. */
export async function previewDestroy(
    opts: StackOptions & { gates?: GateConfig; title?: string } = {},
): Promise<PreviewResult> {
    const o = await openStack(undefined, opts);
    const collector = new PlanCollector();
    const context = await contextFor(o, undefined, opts.title);
    const res = await run(
        "destroy preview",
        o,
        opts,
        new Map(),
        (common) => o.stack.destroy({ ...common, previewOnly: true }),
        collector.onEvent,
    );
    const plan = collector.plan();
    return {
        changeSummary: { ...((res.summary?.resourceChanges ?? {}) as Record<string, number>) },
        plan,
        review: buildReview(plan, opts.gates, context),
    };
}

/** Creates or updates everything the spec describes. */
export async function deploy(spec: HcpSpec, opts: StackOptions = {}): Promise<DeployResult> {
    assertValidSpec(spec);
    const o = await openStack(spec, opts);
    const res = await run("deploy", o, opts, hostResourceNames(spec), (common) => o.stack.up(common));
    return {
        result: res.summary.result,
        resourceChanges: { ...((res.summary.resourceChanges ?? {}) as Record<string, number>) },
        outputs: typedOutputs(res.outputs),
    };
}

/** Deletes everything in the stack. The spec is optional (it only names hosts in progress events). */
export async function destroy(spec: HcpSpec | undefined, opts: StackOptions = {}): Promise<DestroyResult> {
    const o = await openStack(undefined, opts);
    const res = await run("destroy", o, opts, spec ? hostResourceNames(spec) : new Map(), (common) =>
        o.stack.destroy(common),
    );
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

function typedOutputs(outs: automation.OutputMap): HcpOutputs {
    const cps = (outs[OUTPUT_CONTROL_PLANES]?.value ?? {}) as Record<string, Omit<ControlPlaneOutputs, "kubeconfig">>;
    const kubeconfigs = (outs[OUTPUT_KUBECONFIGS]?.value ?? {}) as Record<string, string>;
    const controlPlanes: Record<string, ControlPlaneOutputs> = {};
    for (const [k, v] of Object.entries(cps)) controlPlanes[k] = { ...v, kubeconfig: new Secret(kubeconfigs[k]) };
    return {
        controlPlanes,
        workerPools: (outs[OUTPUT_WORKER_POOLS]?.value ?? {}) as Record<string, WorkerPoolOutputs>,
    };
}
