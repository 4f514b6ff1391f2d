#!/usr/bin/env node
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
"use strict";
const path = require("path");
const hcp = require(path.join(__dirname, "..", "..", "dist", "automation"));
const { loadSpecFile } = require(path.join(__dirname, "..", "..", "dist", "automation", "specFile"));

const USAGE =
    "usage: hcp-tenant validate|create|scale|delete SPEC [--pool NAME --hosts N] [--stack NAME] [--state-dir DIR] [--backend-url URL] [--max-disrupted-nodes N] [--force] [--yes]";

function parse(argv) {
    const [command, file, ...rest] = argv;
    if (!["validate", "create", "scale", "delete"].includes(command) || !file) throw new Error(USAGE);
    const o = { command, file, force: false, yes: false };
    for (let i = 0; i < rest.length; i++) {
        const f = rest[i];
        const v = () => {
            if (rest[i + 1] === undefined) throw new Error(`${f} needs a value\n${USAGE}`);
            return rest[++i];
        };
        if (f === "--pool") o.pool = v();
        else if (f === "--hosts") o.hosts = v();
        else if (f === "--stack") o.stack = v();
        else if (f === "--state-dir") o.stateDir = v();
        else if (f === "--backend-url") o.backendUrl = v();
        else if (f === "--max-disrupted-nodes") o.maxDisrupted = v();
        else if (f === "--force") o.force = true;
        else if (f === "--yes") o.yes = true;
        else throw new Error(`unknown argument "${f}"\n${USAGE}`);
    }
    if (command === "scale") {
        if (!o.pool || o.hosts === undefined) throw new Error(`scale needs --pool NAME and --hosts N\n${USAGE}`);
        if (!/^\d+$/.test(o.hosts)) throw new Error(`--hosts must be a whole number; got "${o.hosts}"`);
        o.hosts = Number(o.hosts);
    }
    if (o.maxDisrupted !== undefined && !/^\d+$/.test(o.maxDisrupted))
        throw new Error(`--max-disrupted-nodes must be a whole number; got "${o.maxDisrupted}"`);
    return o;
}

/** The spec with pool `pool` cut down to its first `n` hosts (the file lists the inventory). */
function scaled(spec, pool, n) {
    const p = (spec.workerPools || []).find((x) => x.name === pool);
    if (!p)
        throw new hcp.SpecValidationError([
            {
                path: "--pool",
                message: `names no worker pool of the spec ("${pool}"); known: ${(spec.workerPools || []).map((x) => `"${x.name}"`).join(", ") || "none"}`,
            },
        ]);
    if (n < 1 || n > p.hosts.length)
        throw new hcp.SpecValidationError([
            {
                path: "--hosts",
                message: `must be between 1 and ${p.hosts.length} (the hosts pool "${pool}" lists); got ${n}`,
            },
        ]);
    return { ...spec, workerPools: spec.workerPools.map((x) => (x === p ? { ...p, hosts: p.hosts.slice(0, n) } : x)) };
}

function progress(e) {
    if (e.kind === "warning") return process.stderr.write(`warning: ${e.message}\n`);
    const host = e.host ? ` (host ${e.host})` : "";
    const type = e.resourceType.split(":").pop();
    process.stderr.write(`${e.kind.padEnd(8)} ${e.op} ${type} ${e.name}${host}${e.message ? `: ${e.message}` : ""}\n`);
}

async function main(argv) {
    let o;
    try {
        o = parse(argv);
    } catch (e) {
        process.stderr.write(`${e.message}\n`);
        return 2;
    }
    let spec;
    try {
        spec = loadSpecFile(o.file);
        if (o.command === "scale") spec = scaled(spec, o.pool, o.hosts);
    } catch (e) {
        process.stderr.write(`${e.message}\n`);
        return 2;
    }
    if (o.command === "validate") {
        process.stdout.write(
            `${o.file}: valid (${(spec.controlPlanes || []).length} control plane(s), ${(spec.workerPools || []).reduce((n, p) => n + p.hosts.length, 0)} host(s))\n`,
        );
        return 0;
    }
    const passphrase = process.env.HCP_PASSPHRASE || process.env.PULUMI_CONFIG_PASSPHRASE;
    const opts = {
        projectName: "hcp-tenant",
        stackName: o.stack || path.basename(o.file).replace(/\.(ya?ml|json)$/, ""),
        stateDir: o.stateDir || path.resolve(".hcp-state"),
        backendUrl: o.backendUrl,
        secretsPassphrase: passphrase,
        onEvent: progress,
    };
    const gates = o.maxDisrupted === undefined ? {} : { maxDisruptedNodes: Number(o.maxDisrupted) };
    // Ctrl-C cancels the running operation cleanly.
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    opts.signal = abort.signal;
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
        process.stderr.write(`${e.message}\n`);
        return 1;
    }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
module.exports = { main, parse, scaled };
