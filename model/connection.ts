/**
 * How to reach and log into one host over SSH, and the defaults of that connection. The defaults
 * are applied here only, so every layer agrees on which port and user an unset field means.
 */

export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_SSH_USER = "root";

/** How to reach and log into one host. Secrets: privateKey, passphrase, password. */
export interface ConnectionArgs {
    address: string;
    /** Default 22. */
    port?: number;
    /** Login user; default "root". Another user needs passwordless sudo: commands run through `sudo -n`. */
    user?: string;
    privateKey?: string;
    passphrase?: string;
    password?: string;
    /** An SSH agent socket path, or true for $SSH_AUTH_SOCK (of the Pulumi process). */
    agent?: string | boolean;
    /** The host's public key, "ssh-ed25519 AAAA..." (see /etc/ssh/ssh_host_ed25519_key.pub); compared exactly. */
    hostKey?: string;
    /**
     * Without hostKey: accept the key the host presents and report it. The resources record the
     * key presented at creation and pin it from then on. Default false.
     */
    trustOnFirstUse?: boolean;
    /** A jump host; the target is reached through a direct-tcpip channel from it. */
    bastion?: ConnectionArgs;
}

/** A connection whose port and user are set. */
export type ConnectionWithDefaults = ConnectionArgs & { port: number; user: string };

/** The connection with port 22 and user "root" where unset. The bastion is a hop of its own and keeps its fields. */
export function withConnectionDefaults(c: ConnectionArgs): ConnectionWithDefaults {
    return { ...c, port: c.port ?? DEFAULT_SSH_PORT, user: c.user ?? DEFAULT_SSH_USER };
}

/** "user@address:port", how messages name a host. */
export function hostLabel(c: ConnectionArgs): string {
    const { user, address, port } = withConnectionDefaults(c);
    return `${user}@${address}:${port}`;
}
