// The flags of the processes the lab starts: user flags merged under the lab's, and their hash.
import * as crypto from "crypto";

/** User flags minus those whose name the lab already sets. */
export function filterManaged(extra: string[] | undefined, managed: string[]): string[] {
    const names = new Set(managed.map((a) => a.replace(/^--/, "").split("=")[0]));
    return (extra ?? []).filter((a) => !names.has(a.replace(/^--/, "").split("=")[0]));
}

/** What tenant.json records of a process's binary and flags: a changed hash means a restart. */
export const argsHash = (args: string[]) =>
    crypto.createHash("sha256").update(JSON.stringify(args)).digest("hex").slice(0, 16);
