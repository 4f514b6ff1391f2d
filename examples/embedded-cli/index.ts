// hcp-tenant: create, scale and delete a tenant from a YAML/JSON spec file, embedding
// pulumi-hosted-control-plane through its Automation API layer (no Pulumi project needed).
//
//   hcp-tenant validate SPEC                       check the file, touch nothing
//   hcp-tenant create   SPEC [--force]             preview + review, then deploy
//   hcp-tenant scale    SPEC --pool NAME --hosts N [--force]
//                                                  deploy with the first N hosts of that pool's list
//   hcp-tenant delete   SPEC --yes                 review the destroy, then destroy and remove the stack
//
// Options: --stack NAME (default: the spec file's base name), --state-dir DIR (default ./.hcp-state),
// --backend-url URL (any Pulumi backend instead of the local file backend), --max-disrupted-nodes N.
// The secrets passphrase comes from HCP_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE.
// Exit codes: 0 done, 1 refused by a gate / not confirmed / failed, 2 bad usage or invalid spec file.
import * as path from "path";
import { ParseArgsOptionsConfig } from "node:util";
// This example is compiled with the package, so it imports the package's source relatively. In your
// own project: from "pulumi-hosted-control-plane/dist/automation" (and ".../dist/automation/specFile").
import * as hcp from "../../automation";
import { loadSpecFile } from "../../automation/specFile";
import { parseCommandLine } from "../../lib/commandLine";

const USAGE =
    "usage: hcp-tenant validate|create|scale|delete SPEC [--pool NAME --hosts N] [--stack NAME] [--state-dir DIR] [--backend-url URL] [--max-disrupted-nodes N] [--force] [--yes]";

const COMMANDS = ["validate", "create", "scale", "delete"] as const;
type Command = (typeof COMMANDS)[number];

export interface Options {
    command: Command;
    file: string;
    pool?: string;
    /** scale: how many of the pool's hosts to keep. */
    hosts?: number;
    stack?: string;
    stateDir?: string;
    backendUrl?: string;
    maxDisrupted?: number;
    force: boolean;
    yes: boolean;
}

function wholeNumber(flag: string, value: string): number {
    if (!/^\d+$/.test(value)) throw new Error(`${flag} must be a whole number; got "${value}"`);
    return Number(value);
}

const OPTIONS = {
    pool: { type: "string" },
    hosts: { type: "string" },
    stack: { type: "string" },
    "state-dir": { type: "string" },
    "backend-url": { type: "string" },
    "max-disrupted-nodes": { type: "string" },
    force: { type: "boolean" },
    yes: { type: "boolean" },
} satisfies ParseArgsOptionsConfig;

/** The command line as {@link Options}; throws with the usage on anything it does not understand. */
export function parse(argv: string[]): Options {
    const [command, file, ...rest] = argv;
    if (!COMMANDS.includes(command as Command) || !file) throw new Error(USAGE);
    const o: Options = { command: command as Command, file, force: false, yes: false };
    let v;
    try {
        v = parseCommandLine(rest, OPTIONS).values;
    } catch (e) {
        throw new Error(`${(e as Error).message}\n${USAGE}`);
    }
    const given = { pool: v.pool, stack: v.stack, stateDir: v["state-dir"], backendUrl: v["backend-url"] };
    for (const [k, x] of Object.entries(given)) if (x !== undefined) o[k as keyof typeof given] = x;
    o.force = !!v.force;
    o.yes = !!v.yes;
    const hosts = v.hosts;
    const maxDisrupted = v["max-disrupted-nodes"];
    if (o.command === "scale") {
        if (!o.pool || hosts === undefined) throw new Error(`scale needs --pool NAME and --hosts N\n${USAGE}`);
        o.hosts = wholeNumber("--hosts", hosts);
    }
    if (maxDisrupted !== undefined) o.maxDisrupted = wholeNumber("--max-disrupted-nodes", maxDisrupted);
    return o;
}

/** The spec with pool `pool` cut down to its first `n` hosts (the file lists the inventory). */
export function scaled(spec: hcp.HcpSpec, pool: string, n: number): hcp.HcpSpec {
    const pools = spec.workerPools ?? [];
    const p = pools.find((x) => x.name === pool);
    if (!p)
        throw new hcp.SpecValidationError([
            {
                propertyPath: "--pool",
                reason: `names no worker pool of the spec ("${pool}"); known: ${pools.map((x) => `"${x.name}"`).join(", ") || "none"}`,
            },
        ]);
    if (n < 1 || n > p.hosts.length)
        throw new hcp.SpecValidationError([
            {
                propertyPath: "--hosts",
                reason: `must be between 1 and ${p.hosts.length} (the hosts pool "${pool}" lists); got ${n}`,
            },
        ]);
    return { ...spec, workerPools: pools.map((x) => (x === p ? { ...p, hosts: p.hosts.slice(0, n) } : x)) };
}

function progress(e: hcp.ProgressEvent): void {
    if (e.kind === "warning") {
        process.stderr.write(`warning: ${e.message}\n`);
        return;
    }
    const host = e.host ? ` (host ${e.host})` : "";
    const type = e.resourceType.split(":").pop();
    process.stderr.write(`${e.kind.padEnd(8)} ${e.op} ${type} ${e.name}${host}${e.message ? `: ${e.message}` : ""}\n`);
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs one command; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
    let o: Options;
    let spec: hcp.HcpSpec;
    try {
        o = parse(argv);
        spec = loadSpecFile(o.file);
        if (o.command === "scale") spec = scaled(spec, o.pool!, o.hosts!);
    } catch (e) {
        process.stderr.write(`${messageOf(e)}\n`);
        return 2;
    }
    if (o.command === "validate") {
        const hosts = (spec.workerPools ?? []).reduce((n, p) => n + p.hosts.length, 0);
        process.stdout.write(
            `${o.file}: valid (${(spec.controlPlanes ?? []).length} control plane(s), ${hosts} host(s))\n`,
        );
        return 0;
    }
    // Ctrl-C cancels the running operation cleanly.
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once("SIGINT", onSigint);
    const opts: hcp.StackOptions = {
        projectName: "hcp-tenant",
        stackName: o.stack ?? path.basename(o.file).replace(/\.(ya?ml|json)$/, ""),
        stateDir: o.stateDir ?? path.resolve(".hcp-state"),
        backendUrl: o.backendUrl,
        secretsPassphrase: process.env.HCP_PASSPHRASE || process.env.PULUMI_CONFIG_PASSPHRASE,
        onEvent: progress,
        signal: abort.signal,
    };
    const gates: hcp.review.GateConfig = o.maxDisrupted === undefined ? {} : { maxDisruptedNodes: o.maxDisrupted };
    try {
        if (o.command === "delete") {
            const p = await hcp.previewDestroy({
                ...opts,
                gates: { ...gates, allowTenantDeletion: true, allowDataStoreDeletion: true },
            });
            process.stdout.write(hcp.review.renderMarkdown(p.review));
            if (!o.yes) {
                process.stderr.write("not deleting: pass --yes to delete everything above\n");
                return 1;
            }
            await hcp.destroy(spec, opts);
            await hcp.removeStack(opts);
            process.stdout.write(`stack ${opts.stackName} deleted\n`);
            return 0;
        }
        const p = await hcp.preview(spec, { ...opts, gates });
        process.stdout.write(hcp.review.renderMarkdown(p.review));
        if (!p.review.passed && !o.force) {
            process.stderr.write("not applying: a gate failed (see above); pass --force to apply anyway\n");
            return 1;
        }
        const res = await hcp.deploy(spec, opts);
        for (const [name, cp] of Object.entries(res.outputs.controlPlanes))
            process.stdout.write(
                `tenant ${name}: ${cp.tenantName} at ${cp.kubernetesVersion}, API https://${cp.endpoint}\n`,
            );
        for (const [name, pool] of Object.entries(res.outputs.workerPools))
            process.stdout.write(`pool ${name}: ${pool.nodeNames.length} node(s): ${pool.nodeNames.join(", ")}\n`);
        return 0;
    } catch (e) {
        process.stderr.write(`${messageOf(e)}\n`);
        return 1;
    } finally {
        // Embedded (e.g. in tests), main may run again: leave Ctrl-C as it was.
        process.removeListener("SIGINT", onSigint);
    }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
