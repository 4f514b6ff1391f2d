// Cleaning a host on delete (reusePolicy "clean"): only a host this resource still owns, and
// with a way out when it cannot be cleaned.
import { owns, readOwner } from "../ownership";
import type { SshConnection } from "../../lib/ssh/client";
import { fromOutputs, where } from "./comparable";
import type { PreparedHostOutputs } from "./outputs";
import { OWNER_PATH } from "./prepare";
import type { Report } from "./report";
import { runScript } from "./runOnHost";
import { renderCleanScript } from "./script";

/** Runs the clean-up script; returns its report, absent when the host is another's. */
export async function clean(props: PreparedHostOutputs): Promise<Report | undefined> {
    const c = fromOutputs(props);
    // A host another PreparedHost has claimed since (the program renamed or re-addressed it) is
    // that resource's: cleaning it would remove what it relies on.
    const ours = async (conn: SshConnection) => owns(props.owner, await readOwner(conn, OWNER_PATH));
    // The owner record goes last (in the script), so a clean that fails can be retried.
    const script = `${renderCleanScript(c.prep)}\nrm -f ${OWNER_PATH}; rmdir ${OWNER_PATH.replace(/\/[^/]+$/, "")} 2>/dev/null || true\n`;
    try {
        return (await runScript(c, script, props, "cleaning", ours)).report;
    } catch (e) {
        const m = (e as Error).message;
        throw new Error(
            `${m}\nPreparedHost ${where(c)} has reusePolicy "clean" and could not be cleaned. If the host is gone or should ` +
                `be left as it is, set reusePolicy: "retain" (an update that does not touch the host) and delete again.`,
        );
    }
}
