#!/usr/bin/env node
/**
 * hcp-review: a preview turned into a change review (Markdown for a pull request, JSON for
 * machines), failing with exit code 1 and the reason when a gate trips.
 *
 *   pulumi preview --json | hcp-review [options]          read the preview from stdin
 *   hcp-review --preview preview.json [options]           read it from a file
 *   hcp-review --run --spec spec.yaml --stack NAME ...    run the preview through the Automation API
 */
import * as fs from "fs";
import { ParseArgsOptionsConfig } from "node:util";
import { parseCommandLine } from "../../lib/commandLine";
import { GateConfig } from "./gates";
import { renderJson, renderMarkdown } from "./render";
import { buildReview, Review, ReviewContext } from "./review";
import { planFromPreviewJson } from "./steps";

const USAGE = `usage: hcp-review [--preview FILE|-] [--run] [--spec FILE] [--stack NAME] [--state-dir DIR] [--backend-url URL]
                  [--format markdown|json] [--markdown-out FILE] [--json-out FILE] [--title TEXT]
                  [--max-disrupted-nodes N] [--allow-tenant-deletion] [--allow-datastore-deletion] [--allow-downgrade]
                  [--allow-datastore-migration] [--allow-expiring-certificates] [--certificate-warning-days N]

Reads \`pulumi preview --json\` output (from --preview FILE, or stdin) or, with --run, previews --spec
through the Automation API (passphrase from PULUMI_CONFIG_PASSPHRASE). Prints the review (Markdown by
default) and exits 0 when every gate holds, 1 when a gate fails (the reasons are printed on stderr),
2 on bad usage or unreadable input. --spec also tells the review which tenant each worker pool serves.
Certificates that expire within --certificate-warning-days (default 30) fail the gate certificate-expiry;
a recorded preview shows unchanged DataStores and tenants only with \`pulumi preview --json --show-sames\`.`;

export interface CliArgs {
    preview?: string;
    run: boolean;
    spec?: string;
    stack?: string;
    stateDir?: string;
    backendUrl?: string;
    format: "markdown" | "json";
    markdownOut?: string;
    jsonOut?: string;
    title?: string;
    gates: GateConfig;
}

export class UsageError extends Error {}

const OPTIONS = {
    preview: { type: "string" },
    run: { type: "boolean" },
    spec: { type: "string" },
    stack: { type: "string" },
    "state-dir": { type: "string" },
    "backend-url": { type: "string" },
    "markdown-out": { type: "string" },
    "json-out": { type: "string" },
    title: { type: "string" },
    format: { type: "string" },
    "max-disrupted-nodes": { type: "string" },
    "allow-tenant-deletion": { type: "boolean" },
    "allow-datastore-deletion": { type: "boolean" },
    "allow-downgrade": { type: "boolean" },
    "allow-expiring-certificates": { type: "boolean" },
    "allow-datastore-migration": { type: "boolean" },
    "certificate-warning-days": { type: "string" },
    help: { type: "boolean", short: "h" },
} satisfies ParseArgsOptionsConfig;

export function parseArgs(argv: string[]): CliArgs {
    let v;
    try {
        v = parseCommandLine(argv, OPTIONS).values;
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (v.help) throw new UsageError("");
    const format = v.format ?? "markdown";
    if (format !== "markdown" && format !== "json")
        throw new UsageError(`--format must be markdown or json; got "${format}"`);
    const maxDisrupted = v["max-disrupted-nodes"];
    if (maxDisrupted !== undefined && !/^\d+$/.test(maxDisrupted))
        throw new UsageError(`--max-disrupted-nodes must be a whole number >= 0; got "${maxDisrupted}"`);
    const a: CliArgs = {
        preview: v.preview,
        run: !!v.run,
        spec: v.spec,
        stack: v.stack,
        stateDir: v["state-dir"],
        backendUrl: v["backend-url"],
        format,
        markdownOut: v["markdown-out"],
        jsonOut: v["json-out"],
        title: v.title,
        gates: {},
    };
    if (maxDisrupted !== undefined) a.gates.maxDisruptedNodes = Number(maxDisrupted);
    if (v["allow-tenant-deletion"]) a.gates.allowTenantDeletion = true;
    if (v["allow-datastore-deletion"]) a.gates.allowDataStoreDeletion = true;
    if (v["allow-downgrade"]) a.gates.allowDowngrade = true;
    if (v["allow-expiring-certificates"]) a.gates.allowExpiringCertificates = true;
    if (v["allow-datastore-migration"]) a.gates.allowDataStoreMigration = true;
    const warningDays = v["certificate-warning-days"];
    if (warningDays !== undefined) {
        if (!/^\d+$/.test(warningDays) || Number(warningDays) < 1)
            throw new UsageError(
                `--certificate-warning-days must be a whole number of days >= 1; got "${warningDays}"`,
            );
        a.gates.certificateWarningDays = Number(warningDays);
    }
    if (a.run && a.preview !== undefined)
        throw new UsageError("--run and --preview are mutually exclusive: review a recorded preview, or run one");
    if (a.run && !a.spec) throw new UsageError("--run needs --spec FILE (the spec to preview)");
    return a;
}

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

/** Runs the command; returns the exit code. Output goes through the given writers. */
export async function main(
    argv: string[],
    out = (s: string) => process.stdout.write(s),
    err = (s: string) => process.stderr.write(s),
    stdin = readStdin,
): Promise<number> {
    let args: CliArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (e instanceof UsageError) {
            err((e.message ? `hcp-review: ${e.message}\n\n` : "") + USAGE + "\n");
            return 2;
        }
        throw e;
    }
    let review: Review;
    try {
        let context: ReviewContext = args.title ? { title: args.title } : {};
        const spec = args.spec ? (await import("../specFile")).loadSpecFile(args.spec) : undefined;
        if (spec) context = (await import("../program")).reviewContextFor(spec, args.title);
        if (args.run) {
            const api = await import("../stack");
            const r = await api.preview(spec!, {
                stackName: args.stack,
                stateDir: args.stateDir,
                backendUrl: args.backendUrl,
                gates: args.gates,
                title: args.title,
            });
            review = r.review;
        } else {
            const text =
                args.preview === undefined || args.preview === "-"
                    ? await stdin()
                    : fs.readFileSync(args.preview, "utf8");
            if (text.trim() === "")
                throw new Error(
                    "the preview is empty: pipe `pulumi preview --json` into hcp-review, or pass --preview FILE",
                );
            review = buildReview(planFromPreviewJson(text), args.gates, context);
        }
    } catch (e) {
        err(`hcp-review: ${(e as Error).message}\n`);
        return 2;
    }
    const md = renderMarkdown(review);
    const json = renderJson(review);
    if (args.markdownOut) fs.writeFileSync(args.markdownOut, md);
    if (args.jsonOut) fs.writeFileSync(args.jsonOut, json);
    out(args.format === "json" ? json : md);
    const failed = review.gates.filter((g) => !g.passed);
    for (const g of failed) err(`hcp-review: gate ${g.gate} failed: ${g.reason}\n`);
    return failed.length ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`hcp-review: ${(e as Error).stack ?? e}\n`);
            process.exit(2);
        },
    );
}
