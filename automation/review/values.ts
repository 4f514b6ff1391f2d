/**
 * The allowlisted value readers: only versions, names, addresses, counts and the reuse policy are
 * read from a plan, and each must match the pattern of its kind; anything else, "[secret]" and
 * unknown values included, reads as undefined.
 */
import { compareKubernetesVersions, parseRecordedVersion } from "../../model/version";

/** The engine's placeholder for a value known only after apply. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function at(obj: unknown, path: string): unknown {
    let cur: any = obj;
    for (const k of path.split(".")) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = cur[k];
    }
    return cur;
}

const VERSION = /^v?\d{1,3}\.\d{1,3}\.\d{1,4}(-[0-9A-Za-z.-]{1,30})?$/;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/;
const ADDRESS =
    /^(\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]+|[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?)(:\d{1,5})?$/;

export function safe(v: unknown, pattern: RegExp): string | undefined {
    return typeof v === "string" && v !== UNKNOWN_VALUE && v.length <= 253 && pattern.test(v) ? v : undefined;
}
export const version = (v: unknown) => safe(v, VERSION);
export const name = (v: unknown) => safe(v, NAME);
export const address = (v: unknown) => safe(v, ADDRESS);
export function count(v: unknown): number | undefined {
    return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 100000 ? v : undefined;
}
export const POLICY = /^(retain|clean)$/;

/** <0 when a is older than b; 0 also when either is not a release version. */
export function compareVersion(a: string, b: string): number {
    const x = parseRecordedVersion(a);
    const y = parseRecordedVersion(b);
    return x && y ? compareKubernetesVersions(x, y) : 0;
}

export const plural = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;
