// PreparedHost provider: prepares a host over SSH with the script of ./logic (runOnHost.ts).
// Loaded at run time by path (provider/dynamic.ts); receives secret inputs unwrapped. Only the
// entry points live here: each step they take has a module of its own.
import type * as pulumi from "@pulumi/pulumi";
import { PartialFailure, unknownAt } from "../dynamic";
import { newOwner } from "../ownership";
import { clean } from "./clean";
import { fromInputs, fromOutputs, where } from "./comparable";
import { compare } from "./diff";
import { prepareDrained } from "./drained";
import { validatePrep } from "./inputRules";
import { connectionFailures } from "./knownConnection";
import { factsBeforeReport, keptFacts, outputs, PreparedHostOutputs } from "./outputs";
import { prepare } from "./prepare";

export { clean } from "./clean";
export type { PreparedHostOutputs } from "./outputs";
export { OWNER_PATH } from "./prepare";

/** Checks every input that is known; the ones not known yet (at preview) are checked at update. */
export async function check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures = validatePrep(news)
        .filter((e) => !unknownAt(news, e.propertyPath))
        .map((e) => ({ property: e.propertyPath, reason: e.reason }));
    failures.push(...connectionFailures(news.connection));
    return { inputs: news, failures };
}

export async function diff(_id: string, olds: PreparedHostOutputs, news: any): Promise<pulumi.dynamic.DiffResult> {
    let n;
    try {
        n = fromInputs(news);
    } catch {
        return { changes: true };
    }
    const changes = compare(fromOutputs(olds), n);
    const replaces = changes.some((x) => x.kind === "replace") ? ["connection"] : [];
    // Delete first: a new port may still reach the same machine, and a "clean" delete after the
    // create would remove what the create had just installed.
    return { changes: changes.length > 0, replaces, deleteBeforeReplace: true };
}

/** The property changes between stored outputs and new inputs (for logs and tests). */
export function changesOf(olds: PreparedHostOutputs, news: any) {
    return compare(fromOutputs(olds), fromInputs(news));
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const c = fromInputs(inputs);
    const owner = newOwner();
    let claimedWith: string | undefined;
    try {
        const facts = await prepare(c, undefined, { owner, done: (hostKey) => (claimedWith = hostKey) });
        return { id: where(c), outs: { ...outputs(c, facts), owner, incomplete: false } };
    } catch (e) {
        // The script may have changed the host before failing: record it, so that the next up
        // prepares it again and a clean delete undoes what it did.
        if (claimedWith === undefined) throw e;
        throw new PartialFailure(
            `${(e as Error).message}\n(PreparedHost ${where(c)}: the preparation began and is recorded in state: ` +
                `the next \`pulumi up\` prepares the host again, a delete cleans it as reusePolicy says)`,
            where(c),
            { ...outputs(c, factsBeforeReport(claimedWith)), owner, incomplete: true },
        );
    }
}

export async function read(id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
}

export async function update(_id: string, olds: PreparedHostOutputs, news: any): Promise<pulumi.dynamic.UpdateResult> {
    const n = fromInputs(news);
    const keep = { owner: olds.owner, incomplete: false };
    if (!olds.incomplete && !compare(fromOutputs(olds), n).some((x) => x.kind === "prepare")) {
        // Only recorded state changed (reusePolicy, credentials, ...): the host is not touched.
        return { outs: { ...outputs(n, keptFacts(olds, n)), ...keep } };
    }
    const run = () => prepare(n, olds);
    const facts = news.node ? await prepareDrained(news.node, run) : await run();
    return { outs: { ...outputs(n, facts), ...keep } };
}

export async function delete_(_id: string, props: PreparedHostOutputs): Promise<void> {
    if ((props.reusePolicy ?? "retain") !== "clean") return;
    await clean(props);
}
export { delete_ as delete };
