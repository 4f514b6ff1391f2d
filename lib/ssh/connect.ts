// Connecting to a host (through its bastion, if any), with retries for dial errors only.
import { ConnectionArgs, hostLabel } from "../../model/connection";
import { connectionSecrets, validateConnection } from "./connectionArgs";
import { CONNECT_DEFAULTS, ConnectOptions } from "./connectOptions";
import { SshConnection } from "./connection";
import { dialOnce } from "./dial";
import { SshError } from "./errors";
import { classifyConnectError, parsePublicKey, publicKeyFromBlob, redact } from "./logic";
import { dialRetryPolicy } from "./retry";

/**
 * Connects to `args` (through its bastion, if any). Retries with exponential backoff only when
 * dialing fails; authentication and host key failures are thrown at once.
 */
export async function connect(args: ConnectionArgs, opts: ConnectOptions = {}): Promise<SshConnection> {
    validateConnection(args);
    let bastion: SshConnection | undefined;
    if (args.bastion) bastion = await connect(args.bastion, opts);
    try {
        return await connectHop(args, opts, bastion);
    } catch (e) {
        bastion?.close();
        throw e;
    }
}

/** Runs fn with a fresh connection and always closes it. */
export async function withConnection<T>(
    args: ConnectionArgs,
    opts: ConnectOptions,
    fn: (c: SshConnection) => Promise<T>,
): Promise<T> {
    const c = await connect(args, opts);
    try {
        return await fn(c);
    } finally {
        c.close();
    }
}

async function connectHop(args: ConnectionArgs, opts: ConnectOptions, bastion?: SshConnection): Promise<SshConnection> {
    const attempts = Math.max(1, opts.dialAttempts ?? CONNECT_DEFAULTS.dialAttempts);
    const hop = hostLabel(args);
    const pinned = args.hostKey ? parsePublicKey(args.hostKey) : undefined;
    const policy = dialRetryPolicy(attempts, opts.backoff ?? CONNECT_DEFAULTS.backoff);
    const listener = policy.onRetry((r) => {
        if ("error" in r) opts.onRetry?.({ hop, attempt: r.attempt, delayMs: r.delay, error: r.error as Error });
    });
    const started = Date.now();
    let attempt = 0;
    try {
        const { client, presented } = await policy.execute(() => {
            attempt++;
            return dialOnce(args, opts, pinned, bastion);
        });
        const key = publicKeyFromBlob(presented).line;
        return new SshConnection(client, args, opts, key, !pinned, Date.now() - started, attempt, bastion);
    } catch (e) {
        const err = e as Error;
        const kind = classifyConnectError(err);
        if (kind !== "dial") {
            if (err instanceof SshError) throw err;
            throw new SshError(`connecting to ${hop} failed: ${redact(err.message, connectionSecrets(args))}`, kind);
        }
        throw new SshError(
            `cannot reach ${hop}${bastion ? ` through bastion ${bastion.target}` : ""} after ${attempts} attempt(s) ` +
                `in ${Date.now() - started} ms: ${err.message}; check that the host is up, the address and port are ` +
                `right and sshd is listening`,
            "dial",
            { attempts },
        );
    } finally {
        listener.dispose();
    }
}
