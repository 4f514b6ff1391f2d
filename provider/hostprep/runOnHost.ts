// Runs one rendered host script as root over SSH (lib/ssh) and reads its report: the one way
// the PreparedHost provider touches a host.
import { connect, ConnectOptions, connectionSecrets, SshConnection, SshError } from "../../lib/ssh/client";
import { pinRecordedHostKeys, redact } from "../../lib/ssh/logic";
import { Comparable, where } from "./comparable";
import { joinConnection } from "./connection";
import { prepSecrets } from "./normalize";
import { parseReport, Report } from "./report";

/** SSH behaviour; tests may shorten it through the environment of the provider process. */
function connectOptions(): ConnectOptions {
    const n = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
    return {
        dialAttempts: n("HCP_SSH_DIAL_ATTEMPTS", 5),
        backoff: { baseMs: n("HCP_SSH_BACKOFF_MS", 1000), factor: 2, maxMs: 15000 },
        attemptTimeoutMs: n("HCP_SSH_ATTEMPT_TIMEOUT_MS", 20000),
        execTimeoutMs: n("HCP_HOSTPREP_TIMEOUT_MS", 30 * 60 * 1000),
    };
}

/** The host keys recorded in state (target and bastion), pinned on every later connection. */
export interface Recorded {
    hostKey?: string;
    bastionHostKey?: string;
}

export interface RunResult {
    /** Absent when `before` stopped the script. */
    report?: Report;
    hostKey: string;
    bastionHostKey?: string;
}

/**
 * Runs a rendered script as root on the host; returns the parsed report. `before` runs first on the
 * same connection; when it returns false, the script does not run and there is no report.
 */
export async function runScript(
    c: Comparable,
    script: string,
    recorded: Recorded,
    what: string,
    before: (conn: SshConnection) => Promise<boolean> = async () => true,
): Promise<RunResult> {
    const args = pinRecordedHostKeys(
        joinConnection(c.connection, c.connectionSecrets),
        recorded.hostKey,
        recorded.bastionHostKey,
    );
    const secrets = [...connectionSecrets(args), ...prepSecrets(c.prep)];
    const conn = await connect(args, connectOptions());
    try {
        if (!(await before(conn))) return { hostKey: conn.hostKey };
        const report = await execReport(conn, script, secrets, `${what} ${where(c)}`);
        return { report, hostKey: conn.hostKey, bastionHostKey: conn.bastionHostKey };
    } finally {
        conn.close();
    }
}

/**
 * The script's report; its HCP-ERROR line, when it reported one, as the error. Every message is
 * redacted: the script's output may echo a credential.
 */
async function execReport(conn: SshConnection, script: string, secrets: string[], doing: string): Promise<Report> {
    let stdout: string;
    try {
        stdout = (await conn.exec(["bash", "-s"], { stdin: script, secrets })).stdout;
    } catch (e) {
        if (e instanceof SshError && e.kind === "command") {
            const rep = parseReport(String((e.details as any).stdout ?? ""));
            if (rep.error) throw new Error(`${doing}: ${redact(rep.error, secrets)}`);
        }
        throw e;
    }
    const report = parseReport(stdout);
    if (!report.done)
        throw new Error(
            `${doing}: the script ended early without an error report; output:\n${redact(stdout, secrets)}`,
        );
    return report;
}
