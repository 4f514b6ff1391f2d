// Drives the real Pulumi engine (the Go-built CLI in bin/) through the Automation API, with a
// private local file backend per test stack so tests never share state.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as automation from "@pulumi/pulumi/automation";
import {
    formatHits,
    Hit,
    labSecrets,
    ProcessSampler,
    registeredSecrets,
    Scanner,
    SecretSet,
    secretsInState,
} from "./secretScan";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const binDir = path.join(repoRoot, "bin");

/** The environment every engine run gets: our binaries first, no downloads, no update checks. */
export function engineEnv(stateDir: string): Record<string, string> {
    return {
        PATH: [binDir, path.join(repoRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: path.join(stateDir, "home"),
        PULUMI_BACKEND_URL: "file://" + path.join(stateDir, "backend"),
        PULUMI_CONFIG_PASSPHRASE: "engine-tests",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

export function requireToolchain(): void {
    for (const b of ["pulumi", "pulumi-resource-pulumi-nodejs"]) {
        if (!fs.existsSync(path.join(binDir, b))) {
            throw new Error(`${path.join(binDir, b)} is missing: run scripts/toolchain (npm test does this for you)`);
        }
    }
}

/** The package's components as a user's program imports them: the compiled ones in dist/. */
export function compiledComponents(): typeof import("../../components") {
    return require(`${repoRoot}/dist/components`);
}

/**
 * A DataStore the preview never reaches (example endpoint, health check off), inside an inline
 * program: its CA comes from the stack's config, `etcdCa` and the secret `etcdCaKey`.
 */
export function configuredDataStore(
    hcp: ReturnType<typeof compiledComponents>,
    managementCluster: InstanceType<ReturnType<typeof compiledComponents>["ManagementCluster"]>,
    name: string,
): InstanceType<ReturnType<typeof compiledComponents>["DataStore"]> {
    const cfg = new pulumi.Config();
    return new hcp.DataStore("etcd", {
        managementCluster,
        name,
        endpoints: ["etcd-0.example:2379"],
        tls: { caCertificate: cfg.require("etcdCa"), caPrivateKey: cfg.requireSecret("etcdCaKey") },
        healthCheck: false,
    });
}

/** The lab the tests run on: its lab.json names the lab's secrets. */
export const labFile = path.join(process.env.HCP_LAB_DIR ?? path.join(repoRoot, ".lab"), "lab.json");

export interface TestStack {
    stack: automation.Stack;
    stateDir: string;
    /**
     * Scans what the stack wrote for the secrets it used ({@link TestStack.scan}), removes its
     * backend and home, then throws naming each place a secret was found. The stack must already
     * be destroyed.
     */
    dispose(): Promise<void>;
    /**
     * Where the secrets the stack used occur in what it wrote: its backend (state, history,
     * backups), its home and workspace, the text and events of its previews and updates, and the
     * command lines of the machine's processes (the lab hosts' too) sampled while they ran.
     * (Not the debug diagnostics, which only `--debug` shows.)
     */
    scan(): Promise<Hit[]>;
    /** The secrets it searches for: the lab's, those registered, and what the stack's state and config held as secret. */
    secrets: SecretSet;
    /** The distinct command lines sampled while its operations ran. */
    commandLines(): string[];
}

type Operation = "up" | "preview" | "destroy" | "refresh";

/**
 * Makes the stack's operations record what they print and emit, sample the process list while
 * they run, and harvest the secrets the state holds (after an up or refresh, before a destroy).
 */
function instrument(
    stack: automation.Stack,
    record: (text: string) => void,
    sampler: ProcessSampler,
    harvest: () => Promise<void>,
): void {
    const ops: Operation[] = ["up", "preview", "destroy", "refresh"];
    for (const op of ops) {
        const original = (stack[op] as (o?: any) => Promise<any>).bind(stack);
        (stack as any)[op] = async (opts: any = {}) => {
            if (op === "destroy") await harvest();
            sampler.start();
            try {
                const res = await original({
                    ...opts,
                    onOutput: (t: string) => (record(t), opts.onOutput?.(t)),
                    onError: (t: string) => (record(t), opts.onError?.(t)),
                    onEvent: (e: automation.EngineEvent) => {
                        // Debug diagnostics are left out: the CLI shows them only with --debug, and
                        // the Node SDK's own ("RegisterResource RPC finished: … resp: …") carry
                        // every registered value in plain text, secrets included.
                        if ((e.diagnosticEvent?.severity as string | undefined) !== "debug") record(JSON.stringify(e));
                        opts.onEvent?.(e);
                    },
                });
                record(`${res?.stdout ?? ""}\n${res?.stderr ?? ""}`);
                return res;
            } catch (e) {
                record(String((e as Error)?.message ?? e));
                throw e;
            } finally {
                sampler.stop();
                if (op === "up" || op === "refresh") await harvest();
            }
        };
    }
}

/** An inline-program stack on a fresh local backend. */
export async function newInlineStack(
    projectName: string,
    program: automation.PulumiFn,
    config: Record<string, automation.ConfigValue> = {},
): Promise<TestStack> {
    requireToolchain();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `hcp-engine-${projectName}-`));
    const env = engineEnv(stateDir);
    fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
    fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
    const pulumiCommand = await automation.PulumiCommand.get({ root: repoRoot });
    const stack = await automation.LocalWorkspace.createOrSelectStack(
        { projectName, stackName: "test", program },
        {
            pulumiCommand,
            envVars: env,
            // The dynamic-provider shim resolves @pulumi/pulumi from the program directory.
            projectSettings: { name: projectName, runtime: "nodejs", main: repoRoot },
        },
    );
    await stack.setAllConfig(config);
    const secrets = new SecretSet();
    for (const [k, v] of Object.entries(config))
        if (v.secret)
            secrets.add(`config ${k} of ${projectName}`, v.value).addShapes(`config ${k} of ${projectName}`, v.value);
    const output: string[] = [];
    const sampler = new ProcessSampler();
    const harvest = async () => {
        const state = await stack.exportStack().catch(() => undefined);
        if (state) secrets.addAll(secretsInState(`state of ${projectName}:`, state));
    };
    instrument(stack, (t) => output.push(t), sampler, harvest);
    const scan = async (): Promise<Hit[]> => {
        await harvest();
        sampler.sample();
        const all = new SecretSet().addAll(labSecrets(labFile)).addAll(registeredSecrets).addAll(secrets);
        const scanner = new Scanner(all);
        return [
            ...scanner.paths([stateDir, stack.workspace.workDir]),
            ...scanner.text(`the output and events of ${projectName}'s previews and updates`, output.join("\n")),
            ...scanner.text(`the process list while ${projectName}'s operations ran`, sampler.text()),
        ];
    };
    return {
        stack,
        stateDir,
        secrets,
        scan,
        commandLines: () => [...sampler.lines],
        dispose: async () => {
            const hits = await scan();
            // HCP_SECRET_SCAN_KEEP=1 keeps what was scanned, to look into a hit
            const keep = hits.length > 0 && !!process.env.HCP_SECRET_SCAN_KEEP;
            if (keep) {
                fs.writeFileSync(path.join(stateDir, "output.txt"), output.join("\n"), { mode: 0o600 });
                fs.writeFileSync(path.join(stateDir, "processes.txt"), sampler.text(), { mode: 0o600 });
            } else {
                await stack.workspace.removeStack("test").catch(() => undefined);
                fs.rmSync(stateDir, { recursive: true, force: true });
            }
            if (hits.length)
                throw new Error(
                    `secrets in what the test stack ${projectName} wrote (the values are not shown):\n${formatHits(hits)}` +
                        (keep ? `\nkept in ${stateDir}` : "\n(HCP_SECRET_SCAN_KEEP=1 keeps what was scanned)"),
                );
        },
    };
}

/**
 * Ends a test stack in an `after` hook, whatever the tests left behind: destroys what is still up
 * (a failure there is ignored), then disposes of it, which scans for secrets and throws on a hit.
 * With `cancel`, first releases the lock an interrupted update left. A stack never made is skipped.
 */
export async function destroyAndDispose(ts: TestStack | undefined, o: { cancel?: boolean } = {}): Promise<void> {
    if (!ts) return;
    if (o.cancel) await ts.stack.cancel().catch(() => undefined);
    await ts.stack.destroy().catch(() => undefined);
    await ts.dispose();
}

/**
 * The stack's state file exactly as the backend stores it. (The Automation API's exportStack
 * decrypts secrets, so it cannot show whether a secret was stored in plain text.)
 */
export function rawState(ts: TestStack, projectName: string): string {
    const dir = path.join(ts.stateDir, "backend", ".pulumi", "stacks", projectName);
    return fs.readFileSync(path.join(dir, "test.json"), "utf8");
}

/** Counts of a preview's or update's operations, without "same". */
export function changeCounts(summary: Record<string, number> | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, n] of Object.entries(summary ?? {})) if (op !== "same" && n > 0) out[op] = n;
    return out;
}

export interface Step {
    op: string;
    urn: string;
    diffs: string[];
}

export interface Diagnostic {
    severity: string;
    message: string;
    /** The resource the message was logged on ("" for the stack). */
    urn: string;
}

/** Collects an operation's changing steps (the stack itself and providers left out) and diagnostics. */
function collector(): { steps: Step[]; diagnostics: Diagnostic[]; onEvent: (e: automation.EngineEvent) => void } {
    const steps: Step[] = [];
    const diagnostics: Diagnostic[] = [];
    const onEvent = (e: automation.EngineEvent) => {
        const m = e.resourcePreEvent?.metadata;
        if (
            m &&
            m.op !== "same" &&
            !m.urn.includes("::pulumi:pulumi:Stack::") &&
            !m.urn.includes("::pulumi:providers:")
        )
            steps.push({ op: m.op, urn: m.urn, diffs: m.diffs ?? [] });
        const d = e.diagnosticEvent;
        if (d) diagnostics.push({ severity: d.severity, message: d.message, urn: d.urn ?? "" });
    };
    return { steps, diagnostics, onEvent };
}

/** The resources a preview says will change (the stack itself and providers left out), and its diagnostics. */
export async function previewSteps(
    stack: automation.Stack,
): Promise<{ counts: Record<string, number>; steps: Step[]; diagnostics: Diagnostic[] }> {
    const c = collector();
    const res = await stack.preview({ onEvent: c.onEvent });
    return { counts: changeCounts(res.changeSummary as any), steps: c.steps, diagnostics: c.diagnostics };
}

/** Runs `up` and reports the resources it changed, as {@link previewSteps} does for a preview. */
export async function upSteps(
    stack: automation.Stack,
): Promise<{ counts: Record<string, number>; steps: Step[]; up: automation.UpResult }> {
    const c = collector();
    const up = await stack.up({ onEvent: c.onEvent });
    return { counts: changeCounts(up.summary.resourceChanges as any), steps: c.steps, up };
}
