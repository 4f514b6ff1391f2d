// Pure SSH helpers: shell quoting, OpenSSH public keys and fingerprints, redaction, connect
// failure classification. No I/O here; everything is table-tested in tests/unit/ssh.logic.test.ts.
import type { dynamic } from "@pulumi/pulumi";
import * as crypto from "crypto";
import { utils as ssh2utils } from "ssh2";
import { InvalidProperty } from "../../model/rules/propertyError";

// ---------------------------------------------------------------------------------------------
// Shell quoting

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell so that the shell hands it to the program literally.
 * Safe words stay as they are; everything else is single-quoted with `'` written as `'\''`.
 * NUL cannot be part of an argv entry, so it is refused.
 */
export function shellQuote(arg: string): string {
    if (typeof arg !== "string") throw new TypeError(`shellQuote: expected a string, got ${typeof arg}`);
    if (arg.includes("\0")) throw new Error("shellQuote: an argument cannot contain a NUL byte");
    if (arg === "") return "''";
    if (SAFE_WORD.test(arg)) return arg;
    return "'" + arg.replace(/'/g, "'\\''") + "'";
}

/** The command line for argv: every word quoted, joined by spaces. */
export function buildCommand(argv: readonly string[]): string {
    if (argv.length === 0) throw new Error("buildCommand: argv must not be empty");
    return argv.map(shellQuote).join(" ");
}

/** argv prefixed with `sudo -n --` when the login user is not root (and sudo was not turned off). */
export function withSudo(argv: readonly string[], user: string, sudo: boolean = true): string[] {
    if (!sudo || user === "root") return [...argv];
    return ["sudo", "-n", "--", ...argv];
}

/**
 * The remote shell script of an upload: writes stdin to a temporary file next to the target (mode
 * applied before any content), then renames it into place, so readers never see a partial file.
 * Arguments: $1 path, $2 mode, $3 owner (optional, `user[:group]`).
 */
export const UPLOAD_SCRIPT =
    'set -eu; umask 077; d=$(dirname -- "$1"); mkdir -p -- "$d"; ' +
    't=$(mktemp -- "$1.hcp-XXXXXX"); trap \'rm -f -- "$t"\' EXIT; ' +
    'cat > "$t"; chmod -- "$2" "$t"; if [ -n "${3:-}" ]; then chown -- "$3" "$t"; fi; ' +
    'mv -f -- "$t" "$1"; trap - EXIT';

/** argv of an upload (to be run with stdin = file content). */
export function uploadArgv(path: string, mode: string, owner?: string): string[] {
    if (!path.startsWith("/")) throw new Error(`upload path: must be absolute, got ${JSON.stringify(path)}`);
    if (!/^[0-7]{3,4}$/.test(mode))
        throw new Error(`upload mode: must be octal like "0644", got ${JSON.stringify(mode)}`);
    if (owner !== undefined && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$/.test(owner)) {
        throw new Error(`upload owner: must be "user" or "user:group", got ${JSON.stringify(owner)}`);
    }
    return ["sh", "-c", UPLOAD_SCRIPT, "sh", path, mode, owner ?? ""];
}

// ---------------------------------------------------------------------------------------------
// OpenSSH public keys

/** Host key algorithms we accept in `hostKey`, with the algorithms to offer for each. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
    "ssh-ed25519": ["ssh-ed25519"],
    "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
    "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
    "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
    "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
};
export const SUPPORTED_HOST_KEY_TYPES = Object.keys(HOST_KEY_ALGORITHMS);

export interface PublicKey {
    /** e.g. "ssh-ed25519" */
    type: string;
    /** The wire-format key blob (what the server presents). */
    blob: Buffer;
    /** "type base64", without comment: the canonical form we store and compare. */
    line: string;
    comment?: string;
}

/** The key type written at the start of a wire-format key blob, or undefined if malformed. */
function blobType(blob: Buffer): string | undefined {
    if (blob.length < 4) return undefined;
    const n = blob.readUInt32BE(0);
    if (n <= 0 || n > 64 || blob.length < 4 + n) return undefined;
    return blob.subarray(4, 4 + n).toString("latin1");
}

/** A public key from a wire-format blob (as ssh2's hostVerifier receives it). */
export function publicKeyFromBlob(blob: Buffer): PublicKey {
    const type = blobType(blob) ?? "unknown";
    return { type, blob: Buffer.from(blob), line: `${type} ${blob.toString("base64")}` };
}

/**
 * Parses an OpenSSH public key line: `type base64 [comment]`. A leading host field as printed by
 * `ssh-keyscan` or found in known_hosts (`host type base64`) is accepted and dropped.
 * Throws an error naming `property` and how to obtain a correct value.
 */
export function parsePublicKey(text: string, property: string = "hostKey"): PublicKey {
    const how =
        `must be an OpenSSH public key ("ssh-ed25519 AAAA..."); copy it from the host's ` +
        `/etc/ssh/ssh_host_ed25519_key.pub or run \`ssh-keyscan -t ed25519 HOST\``;
    if (typeof text !== "string" || text.trim() === "") throw new InvalidProperty(property, `${how}`);
    const lines = text
        .trim()
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    if (lines.length !== 1)
        throw new InvalidProperty(property, `expected exactly one key line, found ${lines.length}; ${how}`);
    let fields = lines[0].trim().split(/\s+/);
    if (
        fields.length >= 3 &&
        !SUPPORTED_HOST_KEY_TYPES.includes(fields[0]) &&
        SUPPORTED_HOST_KEY_TYPES.includes(fields[1])
    ) {
        fields = fields.slice(1); // "host type base64": ssh-keyscan / known_hosts form
    }
    if (fields.length < 2) throw new InvalidProperty(property, `"${abbreviate(lines[0])}" has no key data; ${how}`);
    const [type, b64, ...rest] = fields;
    if (!SUPPORTED_HOST_KEY_TYPES.includes(type)) {
        throw new InvalidProperty(
            property,
            `key type "${abbreviate(type)}" is not supported (use one of ${SUPPORTED_HOST_KEY_TYPES.join(", ")}); ${how}`,
        );
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
        throw new InvalidProperty(property, `the key data after "${type}" is not valid base64; ${how}`);
    }
    const blob = Buffer.from(b64, "base64");
    const inner = blobType(blob);
    if (inner !== type) {
        throw new InvalidProperty(
            property,
            `the key data says "${inner ?? "garbage"}" but the line says "${type}"; ${how}`,
        );
    }
    return {
        type,
        blob,
        line: `${type} ${blob.toString("base64")}`,
        comment: rest.length ? rest.join(" ") : undefined,
    };
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(key: PublicKey | Buffer): string {
    const blob = Buffer.isBuffer(key) ? key : key.blob;
    return "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The server host key algorithms to offer so the server presents a key of the pinned type. */
export function hostKeyAlgorithmsFor(key: PublicKey): string[] {
    return HOST_KEY_ALGORITHMS[key.type] ?? [key.type];
}

/** Exact comparison of a pinned key with the presented blob. */
export function sameKey(pinned: PublicKey, presented: Buffer): boolean {
    return pinned.blob.length === presented.length && crypto.timingSafeEqual(pinned.blob, presented);
}

/**
 * Host keys are pinned, never blindly trusted: without a hostKey the connection must opt in to
 * trust on first use. Returns the reason when it does neither (for a check failure on
 * `<property>.hostKey`), else undefined.
 */
export function missingHostKeyReason(c: {
    address?: string;
    hostKey?: string;
    trustOnFirstUse?: boolean;
}): string | undefined {
    if (c.hostKey || c.trustOnFirstUse) return undefined;
    return (
        `required unless trustOnFirstUse is true: the host's public key ("ssh-ed25519 AAAA..."), from ` +
        `/etc/ssh/ssh_host_ed25519_key.pub on the host or \`ssh-keyscan -t ed25519 ${c.address}\` over a trusted network`
    );
}

/**
 * The connection to use once a host key has been recorded on first use: an explicit hostKey wins,
 * otherwise the recorded key is pinned, so a host that later presents another key is refused.
 */
export function pinRecordedHostKey<T extends { hostKey?: string }>(args: T, recorded: string | undefined): T {
    return args.hostKey || !recorded ? args : { ...args, hostKey: recorded };
}

/** pinRecordedHostKey for the target and its bastion: each key recorded on first use is pinned from then on. */
export function pinRecordedHostKeys<T extends { hostKey?: string; bastion?: { hostKey?: string } }>(
    args: T,
    recorded: string | undefined,
    recordedBastion: string | undefined,
): T {
    const pinned = pinRecordedHostKey(args, recorded);
    return pinned.bastion ? { ...pinned, bastion: pinRecordedHostKey(pinned.bastion, recordedBastion) } : pinned;
}

/**
 * missingHostKeyReason for a connection and its bastion, as the check failures a provider's check
 * returns: the bastion is a host like the target, its key pinned or trusted on first use (its own
 * trustOnFirstUse).
 */
export function missingHostKeyFailures(
    c: { address?: string; hostKey?: string; trustOnFirstUse?: boolean; bastion?: any },
    property = "connection",
): dynamic.CheckFailure[] {
    const out: dynamic.CheckFailure[] = [];
    const r = missingHostKeyReason(c);
    if (r) out.push({ property: `${property}.hostKey`, reason: r });
    if (c.bastion && typeof c.bastion === "object")
        out.push(...missingHostKeyFailures(c.bastion, `${property}.bastion`));
    return out;
}

/**
 * Why a private key cannot be used (parsed with the passphrase if given), or undefined when it can;
 * the reason says how to fix it.
 */
export function privateKeyReason(privateKey: string, passphrase?: string): string | undefined {
    if (typeof privateKey !== "string" || !privateKey.includes("PRIVATE KEY")) {
        return `must be a PEM/OpenSSH private key (a "BEGIN OPENSSH PRIVATE KEY" block), not a path or a public key`;
    }
    const parsed = ssh2utils.parseKey(privateKey, passphrase);
    if (parsed instanceof Error) {
        const msg = parsed.message;
        if (/passphrase/i.test(msg) || /decrypt|bad decrypt|integrity/i.test(msg)) {
            return passphrase
                ? `the passphrase does not decrypt this key (${msg}); check passphrase`
                : `the key is encrypted; set passphrase (${msg})`;
        }
        return `cannot be parsed (${msg})`;
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Redaction and output tails

export const REDACTED = "[REDACTED]";

/**
 * Replaces every occurrence of each secret in text with [REDACTED]. Multi-line secrets (private
 * keys) are also redacted line by line, in case output splits them. Secrets shorter than 4
 * characters are ignored (redacting "a" would shred all output); callers should not use such secrets.
 */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
    if (!text) return text;
    const needles = new Set<string>();
    for (const s of secrets) {
        if (typeof s !== "string") continue;
        const t = s.trim();
        if (t.length >= 4) needles.add(t);
        if (s.length >= 4) needles.add(s);
        if (s.includes("\n"))
            for (const line of s.split(/\r?\n/)) if (line.trim().length >= 16) needles.add(line.trim());
    }
    let out = text;
    for (const n of [...needles].sort((a, b) => b.length - a.length)) out = out.split(n).join(REDACTED);
    return out;
}

/** The last `maxLines` lines (and at most `maxChars` characters) of text, trimmed. */
export function tail(text: string, maxLines: number = 20, maxChars: number = 4000): string {
    const lines = text.replace(/\s+$/, "").split(/\r?\n/);
    let out = lines.slice(-maxLines).join("\n");
    if (out.length > maxChars) out = "…" + out.slice(out.length - maxChars);
    return out;
}

/** A short, redacted rendering of argv for messages. */
export function describeCommand(
    argv: readonly string[],
    secrets: readonly (string | undefined)[] = [],
    max = 200,
): string {
    const s = redact(buildCommand(argv), secrets);
    return s.length > max ? s.slice(0, max) + "…" : s;
}

// ---------------------------------------------------------------------------------------------
// Errors: classification and messages

export type ConnectFailureKind = "dial" | "auth" | "host-key" | "config" | "other";

/** Node / ssh2 error codes that mean the TCP dial (or the connection before the handshake) failed. */
const DIAL_CODES = new Set([
    "ECONNREFUSED",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ETIMEDOUT",
    "ECONNRESET",
    "EHOSTDOWN",
    "EPIPE",
    "EAI_AGAIN",
]);

export interface ErrorLike {
    code?: string;
    level?: string;
    message?: string;
    /** set by our connect code */
    kind?: ConnectFailureKind;
}

/**
 * What went wrong while connecting. Only "dial" is retried: refused, unreachable, timed out while
 * connecting, or the peer hanging up before the SSH handshake. Authentication and host key
 * failures are never retried (a wrong key does not get right by trying again, and retries would
 * burn sshd's MaxAuthTries).
 */
export function classifyConnectError(err: ErrorLike): ConnectFailureKind {
    if (err.kind) return err.kind;
    if (err.level === "client-authentication") return "auth";
    if (err.code && DIAL_CODES.has(err.code)) return "dial";
    const m = err.message ?? "";
    if (/Host denied|verification failed/i.test(m)) return "host-key";
    if (err.level === "client-timeout" || /Timed out while waiting for handshake/i.test(m)) return "dial";
    if (/Connection lost before handshake|Channel open failure|connect timed out/i.test(m)) return "dial";
    if (err.level === "client-socket") return "dial";
    return "other";
}

/** The sudo failures that mean "this user cannot run sudo without a password" (or at all). */
export function sudoProblem(stderr: string): "needs-password" | "not-installed" | undefined {
    if (/sudo: (a terminal is required|a password is required)/.test(stderr)) return "needs-password";
    if (/is not in the sudoers file|is not allowed to execute|may not run sudo/.test(stderr)) return "needs-password";
    if (/(sudo: (command )?not found|sudo: No such file or directory)/.test(stderr)) return "not-installed";
    return undefined;
}

function abbreviate(s: string, n = 40): string {
    return s.length > n ? s.slice(0, n) + "…" : s;
}
