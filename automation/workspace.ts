/**
 * Opening the stack: the backend and Pulumi home on disk, the workspace over the inline program,
 * and the spec written into the stack's config (its secrets as secret config).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { programFor } from "./program";
import { HcpSpec, SECRET_KEY_PREFIX, splitSecrets } from "./spec";
import { isFileBackend, packageRoot, resolveOptions, StackOptions } from "./stackOptions";

/** The config key holding the spec without its secrets (so the stack remembers what it was built from). */
export const SPEC_CONFIG_KEY = "spec";

export interface OpenedStack {
    stack: automation.Stack;
    stackName: string;
    backendUrl: string;
}

/** Opens (creating it if need be) the stack; with a spec, its program and config are the spec's. */
export async function openStack(spec: HcpSpec | undefined, opts: StackOptions): Promise<OpenedStack> {
    const { projectName, stackName, stateDir, backendUrl, root, envVars } = resolveOptions(opts);
    if (isFileBackend(backendUrl)) fs.mkdirSync(backendUrl.slice("file://".length), { recursive: true });
    fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
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
    if (split) {
        const pulumiBin = path.join(root, "bin", "pulumi");
        const env = { ...process.env, ...envVars };
        await syncConfig(stack, projectName, split.spec, split.secrets, (key, value) =>
            setSecretConfig(pulumiBin, env, workDir, stackName, key, value),
        );
    }
    return { stack, stackName, backendUrl };
}

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
