// Preparing a host: the owner record first (create), then the preparation script, whose report
// becomes the resource's facts.
import { writeOwner } from "../ownership";
import type { Comparable } from "./comparable";
import type { Facts } from "./outputs";
import { changedSteps } from "./report";
import { Recorded, runScript } from "./runOnHost";
import { renderPrepareScript } from "./script";

/**
 * Which PreparedHost owns the host (provider/ownership.ts): written before the preparation changes
 * anything, read before a clean. Outside the preparation's own record, which the clean removes.
 */
export const OWNER_PATH = "/var/lib/hcp-owner/prepared-host.json";

/** A create's claim on the host: `owner` is recorded on it, then `done` is told the host key. */
export interface Claim {
    owner: string;
    done: (hostKey: string) => void;
}

/** Prepares the host; with `claim`, first records `claim.owner` on it and then calls `claim.done`. */
export async function prepare(c: Comparable, recorded: Recorded = {}, claim?: Claim): Promise<Facts> {
    const run = await runScript(c, renderPrepareScript(c.prep), recorded, "preparing", async (conn) => {
        if (claim) {
            await writeOwner(conn, OWNER_PATH, { owner: claim.owner, resource: "PreparedHost" });
            claim.done(conn.hostKey);
        }
        return true;
    });
    const report = run.report!;
    return {
        hostKey: run.hostKey,
        ...(run.bastionHostKey ? { bastionHostKey: run.bastionHostKey } : {}),
        os: report.facts.os ?? "",
        osVersion: report.facts.osVersion ?? "",
        arch: report.facts.arch ?? "",
        preparedVersion: report.facts.preparedVersion ?? "",
        changedSteps: changedSteps(report),
        steps: report.steps,
        warnings: report.warnings,
    };
}
