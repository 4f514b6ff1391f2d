// Running one command on an open client: stdin, streamed and capped output, a deadline, the
// connection dropping mid-command; and the error for a failed command (sudo problems named).
import { Client, ClientChannel } from "ssh2";
import { SshError } from "./errors";
import { redact, sudoProblem, tail } from "./logic";

export interface ExecOptions {
    /** Written to the command's stdin, then stdin is closed. */
    stdin?: string | Buffer;
    /** Default: the connection's execTimeoutMs. */
    timeoutMs?: number;
    /** Run through `sudo -n` when the user is not root. Default true. */
    sudo?: boolean;
    /** Throw on a non-zero exit status. Default true. */
    check?: boolean;
    /** Extra strings to redact from errors (the connection's own secrets are always redacted). */
    secrets?: (string | undefined)[];
    /** Streaming callbacks, e.g. to watch progress. */
    onStdout?: (chunk: string) => void;
    onStderr?: (chunk: string) => void;
}

export interface ExecResult {
    code: number | null;
    signal?: string;
    stdout: string;
    stderr: string;
}

/** What messages about one command say: where it ran, the command as shown, what to redact. */
export interface CommandContext {
    /** "user@address:port" */
    target: string;
    /** The command, redacted and shortened. */
    shown: string;
    secrets: string[];
}

/** Output beyond this is dropped (stdout) or its head dropped (stderr): a runaway command must not exhaust memory. */
const MAX_OUTPUT = 32 * 1024 * 1024;

/**
 * Runs `command` on the client. Resolves with the exit status, whatever it is; rejects when the
 * deadline passes, the command cannot start or the connection is lost.
 */
export function runCommand(
    client: Client,
    command: string,
    o: ExecOptions,
    ctx: CommandContext & { timeoutMs: number; lostError: () => Error | undefined },
): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
        const res: ExecResult = { code: null, signal: undefined, stdout: "", stderr: "" };
        let gotExit = false;
        let settled = false;
        let channel: ClientChannel | undefined;
        const finish = (err?: Error) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            client.removeListener("close", onClientClose);
            if (err) reject(err);
            else resolve(res);
        };
        const onClientClose = () => finish(connectionLost(ctx, res, ctx.lostError()));
        client.once("close", onClientClose);
        const timer = setTimeout(() => {
            kill(channel);
            const stderr = redact(res.stderr, ctx.secrets);
            const message = `${ctx.shown} on ${ctx.target} timed out after ${ctx.timeoutMs} ms`;
            finish(new SshError(message, "timeout", { stdout: res.stdout, stderr }));
        }, ctx.timeoutMs);
        client.exec(command, (err, ch) => {
            if (err) {
                finish(new SshError(`cannot start ${ctx.shown} on ${ctx.target}: ${err.message}`, "connection-lost"));
                return;
            }
            channel = ch;
            collectOutput(ch, res, o);
            ch.on("exit", (code: number | null, signal?: string) => {
                gotExit = true;
                res.code = code;
                if (signal) res.signal = signal;
            });
            ch.on("close", () => (gotExit ? finish() : onClientClose()));
            ch.on("error", (e: Error) =>
                finish(new SshError(`${ctx.shown} on ${ctx.target}: ${e.message}`, "connection-lost")),
            );
            if (o.stdin !== undefined) ch.end(o.stdin);
            else ch.end();
        });
    });
}

/** Appends the channel's output to res (capped) and streams it to the callbacks. */
function collectOutput(ch: ClientChannel, res: ExecResult, o: ExecOptions): void {
    ch.on("data", (d: Buffer) => {
        const s = d.toString("utf8");
        if (res.stdout.length < MAX_OUTPUT) res.stdout += s;
        o.onStdout?.(s);
    });
    ch.stderr.on("data", (d: Buffer) => {
        const s = d.toString("utf8");
        res.stderr += s;
        if (res.stderr.length > MAX_OUTPUT) res.stderr = res.stderr.slice(-MAX_OUTPUT / 2);
        o.onStderr?.(s);
    });
}

/** Stops a command that ran out of time. */
function kill(channel: ClientChannel | undefined): void {
    try {
        channel?.signal("KILL");
    } catch {
        /* not supported by every server */
    }
    try {
        channel?.close();
    } catch {
        /* already closed */
    }
}

function connectionLost(ctx: CommandContext, res: ExecResult, cause: Error | undefined): SshError {
    const why = cause ? `: ${cause.message}` : "";
    const stderr = res.stderr ? `; stderr (last lines):\n${redact(tail(res.stderr), ctx.secrets)}` : "";
    return new SshError(
        `connection to ${ctx.target} was lost while running ${ctx.shown}${why}${stderr}`,
        "connection-lost",
        {
            stdout: res.stdout,
            stderr: redact(res.stderr, ctx.secrets),
        },
    );
}

/**
 * The error for a command that exited non-zero. When sudo was added for a non-root user and
 * refused, the message says how to allow it, since the command itself never ran.
 */
export function commandFailure(
    res: ExecResult,
    ctx: CommandContext & { user: string; address: string; sudoAdded: boolean },
): SshError {
    const stderr = redact(res.stderr, ctx.secrets);
    const problem = ctx.sudoAdded && res.code === 1 ? sudoProblem(res.stderr) : undefined;
    if (problem === "needs-password") {
        return new SshError(
            `user ${ctx.user} cannot run sudo without a password on ${ctx.address}: ` +
                `${redact(tail(res.stderr, 3), ctx.secrets)}; allow passwordless sudo for this user ` +
                `(e.g. "${ctx.user} ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/) or connect as root`,
            "sudo",
            { ...res, stderr },
        );
    }
    if (problem === "not-installed") {
        return new SshError(
            `user ${ctx.user} is not root and sudo is not installed on ${ctx.address}; install sudo or connect as root`,
            "sudo",
            { ...res, stderr },
        );
    }
    const status = res.code === null ? `signal ${res.signal ?? "?"}` : `exit code ${res.code}`;
    const last = res.stderr.trim() ? `; stderr (last lines):\n${redact(tail(res.stderr), ctx.secrets)}` : "";
    return new SshError(`${ctx.shown} failed on ${ctx.target} with ${status}${last}`, "command", {
        code: res.code,
        signal: res.signal,
        stdout: redact(res.stdout, ctx.secrets),
        stderr,
    });
}
