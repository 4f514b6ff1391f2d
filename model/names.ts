/**
 * Kubernetes object names: each grammar once, with the reason that says how to write the name.
 */

/** RFC 1123 label: namespaces. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1035 label: Service names (a letter first). */
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: most object names, Node names, label prefixes. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDnsSubdomain(s: unknown): s is string {
    return typeof s === "string" && s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** A registry as containerd names it: a lower-case DNS name with an optional `:port` ("registry.k8s.io:443"). */
export function isRegistryHost(s: unknown): s is string {
    if (typeof s !== "string") return false;
    const m = /^(.*?)(:\d{1,5})?$/.exec(s)!;
    return isDnsSubdomain(m[1]);
}

/**
 * A name used for a Kubernetes Service (the TenantControlPlane's name becomes its Service's name
 * and the prefix of its Secrets): an RFC 1035 label of at most `max` characters.
 */
export function dnsLabelProblem(s: unknown, max = 63): string | undefined {
    if (typeof s !== "string" || s === "") return "is required";
    if (s.length > max) return `must be at most ${max} characters (got ${s.length}); choose a shorter name`;
    if (!RFC1035_LABEL.test(s))
        return `must be lower-case letters, digits and "-", starting with a letter and ending with a letter or digit (an RFC 1035 label); got "${s}"`;
    return undefined;
}

/** An object name such as a DataStore's. */
export function dnsSubdomainProblem(s: unknown): string | undefined {
    if (typeof s !== "string" || s === "") return "is required";
    if (!isDnsSubdomain(s)) return `must be a lower-case DNS name such as "cluster.local"; got "${s}"`;
    return undefined;
}

/** A namespace name; `example` is a name that fits where it is asked for. */
export function namespaceProblem(s: unknown, example: string): string | undefined {
    if (typeof s === "string" && s.length <= 63 && DNS_LABEL.test(s)) return undefined;
    return `must be a namespace name (lower-case letters, digits and "-", at most 63) such as "${example}"; got "${s}"`;
}

/** A Node name. */
export function nodeNameProblem(s: unknown): string | undefined {
    if (isDnsSubdomain(s)) return undefined;
    return `must be a lower-case DNS name (a Node name); got "${s}"`;
}
