// One dial attempt to one hop: TCP (or a channel from the bastion), SSH handshake with host key
// check, authentication, all under one deadline. Retries are the caller's (connect.ts).
import { Client, ConnectConfig } from "ssh2";
import { ConnectionArgs, ConnectionWithDefaults, withConnectionDefaults } from "../../model/connection";
import { CONNECT_DEFAULTS, ConnectOptions } from "./connectOptions";
import type { SshConnection } from "./connection";
import { SshError } from "./errors";
import { hostKeyCheck } from "./hostKeyCheck";
import { classifyConnectError, ConnectFailureKind, hostKeyAlgorithmsFor, PublicKey } from "./logic";

/** An authenticated client and the host key it was shown. */
export interface Dialed {
    client: Client;
    presented: Buffer;
}

/**
 * Dials one hop once: directly, or through a channel from `bastion`. Rejects with an SshError
 * whose kind says what failed, or with ssh2's error tagged with its kind (see classifyConnectError).
 */
export function dialOnce(
    args: ConnectionArgs,
    opts: ConnectOptions,
    pinned: PublicKey | undefined,
    bastion?: SshConnection,
): Promise<Dialed> {
    const host = withConnectionDefaults(args);
    const timeoutMs = opts.attemptTimeoutMs ?? CONNECT_DEFAULTS.attemptTimeoutMs;
    return new Promise<Dialed>((resolve, reject) => {
        const client = new Client();
        const check = hostKeyCheck(host, pinned);
        let handshaken = false;
        let done = false;
        const fail = (e: Error) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            abandon(client);
            reject(e);
        };
        // Our own deadline covers the TCP dial too (ssh2's readyTimeout starts only after it);
        // a timeout while connecting is retried like any dial failure.
        const timer = setTimeout(() => {
            const when = handshaken ? " (after the key exchange)" : "";
            fail(new SshError(`connect timed out after ${timeoutMs} ms${when}`, "dial"));
        }, timeoutMs);
        client.on("ready", () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            resolve({ client, presented: check.presented! });
        });
        client.on("error", (e: Error) => fail(check.error ?? connectError(e, host)));
        client.on("handshake", () => (handshaken = true));
        let cfg: ConnectConfig;
        try {
            cfg = connectConfig(host, opts, pinned, timeoutMs, check.verify);
        } catch (e) {
            return fail(e as Error);
        }
        if (!bastion) return client.connect(cfg);
        // Through the bastion: a direct-tcpip channel carries the target's SSH stream.
        bastion.forwardOut(host.address, host.port).then(
            (stream) => (done ? stream.close() : client.connect({ ...cfg, sock: stream })),
            (err: Error) => {
                const to = `${host.address}:${host.port}`;
                fail(new SshError(`bastion ${bastion.target} cannot open a channel to ${to}: ${err.message}`, "dial"));
            },
        );
    });
}

/** Ends a client that failed; its later errors are of no interest. */
function abandon(client: Client): void {
    client.removeAllListeners("ready");
    client.on("error", () => undefined);
    try {
        client.end();
    } catch {
        /* ignore */
    }
}

/** ssh2's error, named: authentication failures get a message with the fix; the rest keep theirs, tagged with a kind. */
function connectError(e: Error & { kind?: ConnectFailureKind }, host: ConnectionWithDefaults): Error {
    const kind = classifyConnectError(e);
    if (kind !== "auth") {
        e.kind = kind;
        return e;
    }
    const methods = [host.privateKey && "publickey", host.password && "password", host.agent && "agent"]
        .filter(Boolean)
        .join(", ");
    return new SshError(
        `authentication as ${host.user} on ${host.address}:${host.port} failed (tried: ${methods}); ` +
            `check connection.user and that the key is in the user's authorized_keys (or the password is right)`,
        "auth",
    );
}

/** ssh2's settings for one hop: credentials, our host key check, and only the pinned key's algorithms. */
function connectConfig(
    host: ConnectionWithDefaults,
    opts: ConnectOptions,
    pinned: PublicKey | undefined,
    timeoutMs: number,
    hostVerifier: (key: Buffer) => boolean,
): ConnectConfig {
    const cfg: ConnectConfig = {
        host: host.address,
        port: host.port,
        username: host.user,
        readyTimeout: timeoutMs,
        keepaliveInterval: opts.keepaliveIntervalMs ?? CONNECT_DEFAULTS.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        hostVerifier,
        tryKeyboard: false,
    };
    if (pinned) cfg.algorithms = { serverHostKey: hostKeyAlgorithmsFor(pinned) as any };
    if (host.privateKey) cfg.privateKey = host.privateKey;
    if (host.passphrase) cfg.passphrase = host.passphrase;
    if (host.password) cfg.password = host.password;
    if (host.agent) {
        const sock = host.agent === true ? process.env.SSH_AUTH_SOCK : host.agent;
        if (!sock) throw new SshError(`connection.agent: true but SSH_AUTH_SOCK is not set`, "config");
        cfg.agent = sock;
    }
    return cfg;
}
