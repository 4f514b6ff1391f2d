// SSH connections for the providers (npm ssh2): pinned host keys, retries for dial errors only,
// exec from quoted argv (with `sudo -n` for non-root users), uploads through stdin.
import { Client, ClientChannel, ConnectConfig } from "ssh2";
import {
    backoffDelay,
    buildCommand,
    classifyConnectError,
    ConnectFailureKind,
    describeCommand,
    fingerprint,
    hostKeyAlgorithmsFor,
    parsePublicKey,
    privateKeyProblem,
    publicKeyFromBlob,
    PublicKey,
    redact,
    sameKey,
    sudoProblem,
    tail,
    uploadArgv,
    withSudo,
} from "./logic";

/** How to reach and log into one host. Secrets: privateKey, passphrase, password. */
export interface ConnectionArgs {
    address: string;
    port?: number;
    /** Login user; default "root". Non-root users run commands through `sudo -n`. */
    user?: string;
    privateKey?: string;
    passphrase?: string;
    password?: string;
    /** SSH agent socket path, or true for $SSH_AUTH_SOCK. */
    agent?: string | boolean;
    /** The host's public key, OpenSSH format ("ssh-ed25519 AAAA..."); compared exactly. */
    hostKey?: string;
    /** Without hostKey: accept and report the presented key (record it!). Default false. */
    trustOnFirstUse?: boolean;
    /** A jump host; the target is reached through a direct-tcpip channel from it. */
    bastion?: ConnectionArgs;
}

export interface ConnectOptions {
    /** Dial attempts per hop (1 = no retry). Default 5. */
    dialAttempts?: number;
    /** Backoff between dial attempts. Default 500 ms × 2, at most 8 s. */
    backoff?: { baseMs: number; factor: number; maxMs: number };
    /** Per attempt: TCP connect + SSH handshake + authentication. Default 15 s. */
    attemptTimeoutMs?: number;
    /** Default timeout of each exec on the connection. Default 10 min. */
    execTimeoutMs?: number;
    /** Called before each retry (for logs and tests). */
    onRetry?: (info: { hop: string; attempt: number; delayMs: number; error: Error }) => void;
    /** Keepalive interval; default 15 s (0 = off). */
    keepaliveIntervalMs?: number;
}

/** An error from this module; `kind` says what failed, so callers can decide. */
export class SshError extends Error {
    constructor(
        message: string,
        public readonly kind: ConnectFailureKind | "command" | "sudo" | "timeout" | "connection-lost",
        public readonly details: Record<string, unknown> = {},
    ) {
        super(message);
        this.name = "SshError";
    }
}

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

export interface UploadOptions {
    path: string;
    content: string | Buffer;
    /** Octal, e.g. "0644". */
    mode: string;
    /** "user" or "user:group"; default: whoever runs the write (root with sudo). */
    owner?: string;
    sudo?: boolean;
    timeoutMs?: number;
    secrets?: (string | undefined)[];
}

const DEFAULTS = {
    dialAttempts: 5,
    backoff: { baseMs: 500, factor: 2, maxMs: 8000 },
    attemptTimeoutMs: 15000,
    execTimeoutMs: 10 * 60 * 1000,
    keepaliveIntervalMs: 15000,
};

const MAX_OUTPUT = 32 * 1024 * 1024;

function hopName(a: ConnectionArgs): string {
    return `${a.user ?? "root"}@${a.address}:${a.port ?? 22}`;
}

/** Secrets of a connection (and its bastion), for redaction. */
export function connectionSecrets(a: ConnectionArgs | undefined): string[] {
    if (!a) return [];
    return [a.privateKey, a.passphrase, a.password, ...connectionSecrets(a.bastion)].filter(
        (s): s is string => typeof s === "string" && s !== "",
    );
}

/** Validates connection arguments before any network traffic; throws naming the property. */
export function validateConnection(a: ConnectionArgs, prefix: string = "connection"): void {
    if (!a || typeof a.address !== "string" || a.address.trim() === "") {
        throw new SshError(`${prefix}.address: required (a host name or IP address)`, "config");
    }
    if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535)) {
        throw new SshError(`${prefix}.port: must be an integer 1..65535, got ${JSON.stringify(a.port)}`, "config");
    }
    if (a.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(a.user)) {
        throw new SshError(`${prefix}.user: not a valid user name: ${JSON.stringify(a.user)}`, "config");
    }
    if (!a.privateKey && !a.password && !a.agent) {
        throw new SshError(`${prefix}: no credentials; set privateKey, password or agent`, "config");
    }
    if (a.privateKey) {
        const p = privateKeyProblem(a.privateKey, a.passphrase, `${prefix}.privateKey`);
        if (p) throw new SshError(p, "config");
    }
    if (a.hostKey !== undefined && a.hostKey !== "") {
        try {
            parsePublicKey(a.hostKey, `${prefix}.hostKey`);
        } catch (e) {
            throw new SshError((e as Error).message, "config");
        }
    }
    if (a.bastion) validateConnection(a.bastion, `${prefix}.bastion`);
}

/** One authenticated SSH connection (through its bastion, if any). Close it when done. */
export class SshConnection {
    private closed = false;
    private lostError?: Error;

    constructor(
        private readonly client: Client,
        private readonly args: ConnectionArgs,
        private readonly opts: ConnectOptions,
        /** The key the host presented, "type base64". */
        public readonly hostKey: string,
        /** True when the key was accepted by trust-on-first-use (not pinned). */
        public readonly trustedOnFirstUse: boolean,
        /** Milliseconds from the first dial to authenticated, retries included. */
        public readonly connectMs: number,
        public readonly attempts: number,
        private readonly bastion?: SshConnection,
    ) {
        client.on("error", (e) => {
            this.lostError = e;
        });
        client.on("close", () => {
            this.closed = true;
        });
    }

    /** The key the bastion presented (pinned, or accepted on first use), when there is one. */
    get bastionHostKey(): string | undefined {
        return this.bastion?.hostKey;
    }

    get user(): string {
        return this.args.user ?? "root";
    }

    get target(): string {
        return hopName(this.args);
    }

    private secrets(extra: (string | undefined)[] = []): string[] {
        return [...connectionSecrets(this.args), ...extra.filter((s): s is string => !!s)];
    }

    /**
     * Runs argv on the host. Every argument is shell-quoted, so the remote program receives exactly
     * these strings. As a non-root user the command runs through `sudo -n` unless `sudo: false`.
     */
    async exec(argv: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
        const full = withSudo(argv, this.user, o.sudo ?? true);
        const secrets = this.secrets(o.secrets);
        const shown = describeCommand(argv, secrets);
        if (this.closed) {
            throw new SshError(`connection to ${this.target} is closed; cannot run ${shown}`, "connection-lost");
        }
        const timeoutMs = o.timeoutMs ?? this.opts.execTimeoutMs ?? DEFAULTS.execTimeoutMs;
        const res = await new Promise<ExecResult>((resolve, reject) => {
            let stdout = "";
            let stderr = "";
            let code: number | null = null;
            let signal: string | undefined;
            let gotExit = false;
            let settled = false;
            let stream: ClientChannel | undefined;
            const finish = (err?: Error) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                this.client.removeListener("close", onClientClose);
                if (err) reject(err);
                else resolve({ code, signal, stdout, stderr });
            };
            const onClientClose = () => {
                const why = this.lostError ? `: ${this.lostError.message}` : "";
                finish(
                    new SshError(
                        `connection to ${this.target} was lost while running ${shown}${why}` +
                            (stderr ? `; stderr (last lines):\n${redact(tail(stderr), secrets)}` : ""),
                        "connection-lost",
                        { stdout, stderr: redact(stderr, secrets) },
                    ),
                );
            };
            this.client.once("close", onClientClose);
            const timer = setTimeout(() => {
                try {
                    stream?.signal("KILL");
                } catch {
                    /* not supported by every server */
                }
                try {
                    stream?.close();
                } catch {
                    /* already closed */
                }
                finish(
                    new SshError(`${shown} on ${this.target} timed out after ${timeoutMs} ms`, "timeout", {
                        stdout,
                        stderr: redact(stderr, secrets),
                    }),
                );
            }, timeoutMs);
            this.client.exec(buildCommand(full), (err, ch) => {
                if (err) {
                    finish(new SshError(`cannot start ${shown} on ${this.target}: ${err.message}`, "connection-lost"));
                    return;
                }
                stream = ch;
                ch.on("data", (d: Buffer) => {
                    const s = d.toString("utf8");
                    if (stdout.length < MAX_OUTPUT) stdout += s;
                    o.onStdout?.(s);
                });
                ch.stderr.on("data", (d: Buffer) => {
                    const s = d.toString("utf8");
                    stderr += s;
                    if (stderr.length > MAX_OUTPUT) stderr = stderr.slice(-MAX_OUTPUT / 2);
                    o.onStderr?.(s);
                });
                ch.on("exit", (c: number | null, sig?: string) => {
                    gotExit = true;
                    code = c;
                    if (sig) signal = sig;
                });
                ch.on("close", () => {
                    if (!gotExit) {
                        onClientClose();
                        return;
                    }
                    finish();
                });
                ch.on("error", (e: Error) =>
                    finish(new SshError(`${shown} on ${this.target}: ${e.message}`, "connection-lost")),
                );
                if (o.stdin !== undefined) ch.end(o.stdin);
                else ch.end();
            });
        });
        if (o.check === false) return res;
        if (res.code !== 0) {
            const sudoUsed = full[0] === "sudo" && argv[0] !== "sudo";
            const problem = sudoUsed && res.code === 1 ? sudoProblem(res.stderr) : undefined;
            if (problem === "needs-password") {
                throw new SshError(
                    `user ${this.user} cannot run sudo without a password on ${this.args.address}: ` +
                        `${redact(tail(res.stderr, 3), secrets)}; allow passwordless sudo for this user ` +
                        `(e.g. "${this.user} ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/) or connect as root`,
                    "sudo",
                    { ...res, stderr: redact(res.stderr, secrets) },
                );
            }
            if (problem === "not-installed") {
                throw new SshError(
                    `user ${this.user} is not root and sudo is not installed on ${this.args.address}; install sudo or connect as root`,
                    "sudo",
                    { ...res, stderr: redact(res.stderr, secrets) },
                );
            }
            const status = res.code === null ? `signal ${res.signal ?? "?"}` : `exit code ${res.code}`;
            throw new SshError(
                `${shown} failed on ${this.target} with ${status}` +
                    (res.stderr.trim() ? `; stderr (last lines):\n${redact(tail(res.stderr), secrets)}` : ""),
                "command",
                {
                    code: res.code,
                    signal: res.signal,
                    stdout: redact(res.stdout, secrets),
                    stderr: redact(res.stderr, secrets),
                },
            );
        }
        return res;
    }

    /** Writes a file atomically (temp file + rename) through stdin; works with sudo, no sftp. */
    async upload(u: UploadOptions): Promise<void> {
        await this.exec(uploadArgv(u.path, u.mode, u.owner), {
            stdin: u.content,
            sudo: u.sudo,
            timeoutMs: u.timeoutMs,
            secrets: u.secrets,
        });
    }

    /** Closes the connection (and its bastion). */
    close(): void {
        this.closed = true;
        try {
            this.client.end();
        } catch {
            /* already closed */
        }
        this.bastion?.close();
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

interface Attempt {
    client: Client;
    presented?: Buffer;
}

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
    const attempts = Math.max(1, opts.dialAttempts ?? DEFAULTS.dialAttempts);
    const backoff = opts.backoff ?? DEFAULTS.backoff;
    const hop = hopName(args);
    const pinned: PublicKey | undefined = args.hostKey ? parsePublicKey(args.hostKey) : undefined;
    const started = Date.now();
    let last: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
            const { client, presented } = await attemptHop(args, opts, pinned, bastion);
            const key = publicKeyFromBlob(presented!);
            return new SshConnection(client, args, opts, key.line, !pinned, Date.now() - started, attempt, bastion);
        } catch (e) {
            const err = e as Error & { kind?: ConnectFailureKind };
            const kind = classifyConnectError(err);
            if (kind !== "dial") {
                if (err instanceof SshError) throw err;
                throw new SshError(
                    `connecting to ${hop} failed: ${redact(err.message, connectionSecrets(args))}`,
                    kind,
                );
            }
            last = err;
            if (attempt < attempts) {
                const delayMs = backoffDelay(attempt, backoff);
                opts.onRetry?.({ hop, attempt, delayMs, error: err });
                await sleep(delayMs);
            }
        }
    }
    throw new SshError(
        `cannot reach ${hop}${bastion ? ` through bastion ${bastion.target}` : ""} after ${attempts} attempt(s) ` +
            `in ${Date.now() - started} ms: ${last?.message}; check that the host is up, the address and port are right ` +
            `and sshd is listening`,
        "dial",
        { attempts },
    );
}

function attemptHop(
    args: ConnectionArgs,
    opts: ConnectOptions,
    pinned: PublicKey | undefined,
    bastion?: SshConnection,
): Promise<Attempt> {
    const timeoutMs = opts.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs;
    return new Promise<Attempt>((resolve, reject) => {
        const client = new Client();
        const state: Attempt = { client };
        let hostKeyError: SshError | undefined;
        let authStarted = false;
        let done = false;
        const fail = (e: Error) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            client.removeAllListeners("ready");
            client.on("error", () => undefined);
            try {
                client.end();
            } catch {
                /* ignore */
            }
            reject(e);
        };
        // Our own deadline covers the TCP dial too (ssh2's readyTimeout starts only after it).
        const timer = setTimeout(() => {
            // A timeout while connecting is retried like any dial failure.
            fail(
                new SshError(
                    `connect timed out after ${timeoutMs} ms${authStarted ? " (after the key exchange)" : ""}`,
                    "dial",
                ),
            );
        }, timeoutMs);

        const hostVerifier = (key: Buffer): boolean => {
            state.presented = Buffer.from(key);
            const fp = fingerprint(key);
            if (pinned) {
                if (sameKey(pinned, key)) return true;
                hostKeyError = new SshError(
                    `host key mismatch for ${args.address}:${args.port ?? 22}: expected ${fingerprint(pinned)} (${pinned.type}) ` +
                        `from connection.hostKey, but the host presented ${fp} (${publicKeyFromBlob(key).type}). ` +
                        `Either the host was reinstalled or someone is intercepting the connection; verify the key out of band ` +
                        `and update hostKey only if the change is expected`,
                    "host-key",
                    { expected: fingerprint(pinned), presented: fp, presentedKey: publicKeyFromBlob(key).line },
                );
                return false;
            }
            if (args.trustOnFirstUse) return true;
            hostKeyError = new SshError(
                `no hostKey for ${args.address}:${args.port ?? 22}: set connection.hostKey to the host's public key ` +
                    `(get it out of band, e.g. \`ssh-keyscan -t ed25519 ${args.address}\` from a trusted network, or ` +
                    `/etc/ssh/ssh_host_ed25519_key.pub on the host), or set trustOnFirstUse: true to accept the presented key ` +
                    `once and record it. The host presented ${fp}`,
                "host-key",
                { presented: fp, presentedKey: publicKeyFromBlob(key).line },
            );
            return false;
        };

        client.on("ready", () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            resolve(state);
        });
        client.on("error", (e: Error & { level?: string }) => {
            if (hostKeyError) return fail(hostKeyError);
            const kind = classifyConnectError(e);
            if (kind === "auth") {
                const methods = [args.privateKey && "publickey", args.password && "password", args.agent && "agent"]
                    .filter(Boolean)
                    .join(", ");
                return fail(
                    new SshError(
                        `authentication as ${args.user ?? "root"} on ${args.address}:${args.port ?? 22} failed (tried: ${methods}); ` +
                            `check connection.user and that the key is in the user's authorized_keys (or the password is right)`,
                        "auth",
                    ),
                );
            }
            (e as Error & { kind?: ConnectFailureKind }).kind = kind;
            fail(e);
        });
        client.on("handshake", () => {
            authStarted = true;
        });

        const cfg: ConnectConfig = {
            host: args.address,
            port: args.port ?? 22,
            username: args.user ?? "root",
            readyTimeout: timeoutMs,
            keepaliveInterval: opts.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
            keepaliveCountMax: 3,
            hostVerifier,
            tryKeyboard: false,
        };
        if (pinned) cfg.algorithms = { serverHostKey: hostKeyAlgorithmsFor(pinned) as any };
        if (args.privateKey) cfg.privateKey = args.privateKey;
        if (args.passphrase) cfg.passphrase = args.passphrase;
        if (args.password) cfg.password = args.password;
        if (args.agent) {
            const sock = args.agent === true ? process.env.SSH_AUTH_SOCK : args.agent;
            if (!sock) return fail(new SshError(`connection.agent: true but SSH_AUTH_SOCK is not set`, "config"));
            cfg.agent = sock;
        }

        if (!bastion) {
            client.connect(cfg);
            return;
        }
        // Through the bastion: a direct-tcpip channel carries the target's SSH stream.
        (bastion as any).client.forwardOut(
            "127.0.0.1",
            0,
            args.address,
            args.port ?? 22,
            (err: Error | undefined, stream: ClientChannel) => {
                if (err) {
                    const e = new SshError(
                        `bastion ${bastion.target} cannot open a channel to ${args.address}:${args.port ?? 22}: ${err.message}`,
                        "dial",
                    );
                    return fail(e);
                }
                if (done) {
                    stream.close();
                    return;
                }
                client.connect({ ...cfg, sock: stream });
            },
        );
    });
}
