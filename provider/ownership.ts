/**
 * Which resource owns a host: a record written on the host when a resource starts changing it, and
 * read before a delete undoes anything. Two resources can claim one machine when a program renames
 * or re-addresses it (the new resource is created before the old one is deleted); the owner record
 * lets the old resource's delete see that the host is no longer its own and leave it alone.
 */
import { randomUUID } from "crypto";
import type { SshConnection } from "../lib/ssh/client";

/** What is recorded on the host. `owner` is random per resource and kept in its state. */
export interface OwnerRecord {
    owner: string;
    /** The resource kind ("NodeJoin", "PreparedHost"), for whoever reads the file by hand. */
    resource: string;
    /** What the host was joined to and as which Node (NodeJoin only). */
    caCertHash?: string;
    nodeName?: string;
}

export const newOwner = (): string => randomUUID();

/** The record at `path` on the host; undefined when there is none or it cannot be read as one. */
export async function readOwner(ssh: SshConnection, path: string): Promise<OwnerRecord | undefined> {
    const r = await ssh.exec(["cat", "--", path], { check: false });
    if (r.code !== 0) return undefined;
    try {
        const rec = JSON.parse(r.stdout);
        return typeof rec?.owner === "string" ? rec : undefined;
    } catch {
        return undefined;
    }
}

/** Writes the record (root only, atomically), creating its directory if missing. */
export async function writeOwner(ssh: SshConnection, path: string, rec: OwnerRecord): Promise<void> {
    await ssh.exec(["mkdir", "-p", path.replace(/\/[^/]+$/, "")]);
    await ssh.upload({ path, content: JSON.stringify(rec) + "\n", mode: "0600" });
}

/**
 * Whether a resource whose state records `owner` still owns the host holding `onHost`. A state
 * from before owner records (no `owner`) owns a host without one; a host that another resource
 * has claimed since is never its own.
 */
export function owns(owner: string | undefined, onHost: OwnerRecord | undefined): boolean {
    if (owner === undefined) return onHost === undefined;
    return onHost?.owner === owner;
}
