// An open, authenticated SSH connection: runs commands (quoted argv, `sudo -n` for non-root
// users), uploads files, opens channels for the next hop, closes with its bastion.
import { Client, ClientChannel } from "ssh2";
import { ConnectionArgs, hostLabel, withConnectionDefaults } from "../../model/connection";
import { connectionSecrets } from "./connectionArgs";
import { CONNECT_DEFAULTS, ConnectOptions } from "./connectOptions";
import { SshError } from "./errors";
import { commandFailure, ExecOptions, ExecResult, runCommand } from "./exec";
import { buildCommand, describeCommand, withSudo } from "./logic";
import { uploadFile, UploadOptions } from "./upload";

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
        return withConnectionDefaults(this.args).user;
    }

    get target(): string {
        return hostLabel(this.args);
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
        const ctx = { target: this.target, shown: describeCommand(argv, secrets), secrets };
        if (this.closed) {
            throw new SshError(`connection to ${ctx.target} is closed; cannot run ${ctx.shown}`, "connection-lost");
        }
        const timeoutMs = o.timeoutMs ?? this.opts.execTimeoutMs ?? CONNECT_DEFAULTS.execTimeoutMs;
        const res = await runCommand(this.client, buildCommand(full), o, {
            ...ctx,
            timeoutMs,
            lostError: () => this.lostError,
        });
        if (o.check === false || res.code === 0) return res;
        const sudoAdded = full[0] === "sudo" && argv[0] !== "sudo";
        throw commandFailure(res, { ...ctx, user: this.user, address: this.args.address, sudoAdded });
    }

    /** Writes a file atomically (temp file + rename) through stdin; works with sudo, no sftp. */
    async upload(u: UploadOptions): Promise<void> {
        await uploadFile((argv, o) => this.exec(argv, o), u);
    }

    /** A direct-tcpip channel from this host to address:port, e.g. to reach a host behind it. */
    forwardOut(address: string, port: number): Promise<ClientChannel> {
        return new Promise((resolve, reject) =>
            this.client.forwardOut("127.0.0.1", 0, address, port, (err, stream) =>
                err ? reject(err) : resolve(stream),
            ),
        );
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
