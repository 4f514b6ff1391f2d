// Drives the real Pulumi engine (the Go-built CLI in bin/) through the Automation API, with a
// private local file backend per test stack so tests never share state.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";

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

export interface TestStack {
    stack: automation.Stack;
    stateDir: string;
    /** Removes the stack's backend and home; the stack must already be destroyed. */
    dispose(): Promise<void>;
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
    return {
        stack,
        stateDir,
        dispose: async () => {
            await stack.workspace.removeStack("test").catch(() => undefined);
            fs.rmSync(stateDir, { recursive: true, force: true });
        },
    };
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
