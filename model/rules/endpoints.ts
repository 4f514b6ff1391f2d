/**
 * A Kamaji DataStore's etcd endpoints: `host:port`, no scheme (Kamaji adds `https://`), each
 * member once.
 */
import { parseIp } from "../network";
import { isPort, PropertyError } from "./propertyError";

/**
 * The endpoint without its scheme, or why it is refused: `https://` is Kamaji's to add, `http://`
 * is plaintext (accepted only with `insecure`), any other scheme is unknown.
 */
function withoutScheme(e: string, insecure: boolean): { hostPort: string } | { reason: string } {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(e);
    if (!scheme) return { hostPort: e };
    const s = scheme[1].toLowerCase();
    const hostPort = e.slice(scheme[0].length).replace(/\/+$/, "");
    if (s === "https") return { reason: `must not carry a scheme: Kamaji adds "https://" itself; write "${hostPort}"` };
    if (s !== "http") return { reason: `unsupported scheme "${s}://"; write "host:port" without a scheme` };
    if (!insecure)
        return {
            reason: `"${e}" is plaintext etcd: tenant data and credentials would cross the network unencrypted; serve etcd over TLS and write "${hostPort}", or set insecure: true to accept it knowingly`,
        };
    return { hostPort };
}

/** Why `hostPort` (scheme already removed from `e`) is not a `host:port`, or undefined. */
function hostPortProblem(hostPort: string, e: string): string | undefined {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):([0-9]+)$/.exec(hostPort);
    if (!m || !isPort(Number(m[2])))
        return `must be "host:port" with a port from 1 to 65535 (etcd's client port is usually 2379); got "${e}"`;
    if (m[1].startsWith("[") && !parseIp(m[1].slice(1, -1))) return `"${m[1]}" is not a valid bracketed IPv6 address`;
    return undefined;
}

/**
 * Validates etcd endpoints for a Kamaji DataStore (`host:port`, no scheme; Kamaji adds
 * `https://`). `http://` endpoints are plaintext and refused unless `insecure` is set, in which
 * case the scheme is stripped. Returns the normalized endpoints and the errors.
 */
export function validateEndpoints(
    endpoints: unknown,
    insecure: boolean,
    path = "endpoints",
): { endpoints: string[]; errors: PropertyError[] } {
    const errors: PropertyError[] = [];
    const out: string[] = [];
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
        errors.push({
            propertyPath: path,
            reason: 'must list at least one etcd endpoint "host:port", e.g. ["etcd-0.example:2379"]',
        });
        return { endpoints: out, errors };
    }
    const seen = new Set<string>();
    endpoints.forEach((e, i) => {
        const refuse = (reason: string) => errors.push({ propertyPath: `${path}[${i}]`, reason });
        if (typeof e !== "string" || e.trim() === "") return refuse('must be "host:port", e.g. "etcd-0.example:2379"');
        const bare = withoutScheme(e, insecure);
        if ("reason" in bare) return refuse(bare.reason);
        const problem = hostPortProblem(bare.hostPort, e);
        if (problem) return refuse(problem);
        if (seen.has(bare.hostPort))
            return refuse(`duplicates an earlier endpoint "${bare.hostPort}"; list each etcd member once`);
        seen.add(bare.hostPort);
        out.push(bare.hostPort);
    });
    return { endpoints: out, errors };
}
