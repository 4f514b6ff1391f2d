/**
 * The container runtime rules a WorkerPool and each PreparedHost share: the containerd release,
 * registry mirrors (keys and URLs), what removal leaves on a host, and the URL rule they use.
 */
import { isRegistryHost } from "../names";
import { REUSE_POLICIES } from "../schemas";
import { Report } from "./propertyError";

/** Whitespace, C0 and C1 control characters and DEL. */
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f-\x9f]/;

/**
 * An http(s) URL written as it is into a host's configuration: no whitespace or control character
 * (a newline would add an entry of its own), no backslash, a host.
 */
export function isUrl(s: unknown, schemes = ["http:", "https:"]): boolean {
    if (typeof s !== "string") return false;
    if (WHITESPACE_OR_CONTROL.test(s) || s.includes("\\") || !/^https?:\/\//i.test(s)) return false;
    try {
        const u = new URL(s);
        return schemes.includes(u.protocol) && !!u.host;
    } catch {
        return false;
    }
}

/** The reason for a value that must be an http(s) URL, naming what the raw value holds. */
export function urlReason(s: unknown, example = ""): string {
    const url = `must be an http(s) URL${example ? ` like "${example}"` : ""}`;
    const got = `(got ${JSON.stringify(s)})`;
    if (typeof s === "string" && WHITESPACE_OR_CONTROL.test(s))
        return `${url} without whitespace or control characters ${got}: it is written as it is into the host's configuration (apt sources, containerd hosts.toml), where a newline would add an entry of its own; remove them`;
    return `${url} ${got}`;
}

/** A containerd release, 1.x or 2.x, optionally with a package revision ("1.7.27-4"). */
export function containerdVersionProblem(v: unknown): string | undefined {
    if (typeof v !== "string" || !/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.~+]+)?$/.test(v))
        return `must be a containerd release such as "1.7.27" (optionally with a package revision, "1.7.27-4"); got ${JSON.stringify(v)}`;
    if (!["1", "2"].includes(v.split(".")[0]))
        return `only containerd 1.x and 2.x are supported; got ${JSON.stringify(v)}`;
    return undefined;
}

/** `containerd.registryMirrors`: keys are registry hosts[:port] (or "*"), values non-empty lists of URLs. */
export function registryMirrorRules(mirrorsByRegistry: Record<string, unknown> | undefined, err: Report): void {
    for (const [registry, mirrors] of Object.entries(mirrorsByRegistry ?? {})) {
        const p = `containerd.registryMirrors["${registry}"]`;
        if (registry !== "*" && !isRegistryHost(registry))
            err(p, `the key must be a registry host[:port] in lower case such as "docker.io", or "*"`);
        if (!Array.isArray(mirrors) || mirrors.length === 0) {
            err(p, "must be a non-empty list of mirror URLs");
            continue;
        }
        mirrors.forEach((m: unknown, i: number) => {
            if (!isUrl(m)) err(`${p}[${i}]`, urlReason(m, "https://mirror.example.com"));
        });
    }
}

/** `reusePolicy`: what removal leaves on a host. */
export function reusePolicyProblem(v: unknown): string | undefined {
    if (v === undefined || (REUSE_POLICIES as readonly unknown[]).includes(v)) return undefined;
    return `must be "retain" (leave the host as it is after removal) or "clean" (remove what preparation installed); got ${JSON.stringify(v)}`;
}
