/**
 * Node labels and taints as kubeadm passes them to the kubelet: each rule once, as a reason that
 * says how to fix the key, the value or the effect. Callers put the reason on their property path.
 */
import { isDnsSubdomain } from "./names";

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** A Node taint as the inputs give it (NodeJoin, WorkerPool hosts). */
export interface Taint {
    key: string;
    value?: string;
    effect: TaintEffect;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A label or taint key: `[prefix/]name`, where the prefix is a DNS subdomain. */
export function labelKeyProblem(key: unknown): string | undefined {
    if (typeof key !== "string" || key === "") return "is required";
    const parts = key.split("/");
    if (parts.length > 2) return `"${key}" has more than one "/"; use "prefix/name"`;
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && !isDnsSubdomain(prefix)) return `the prefix "${prefix}" must be a lower-case DNS name`;
    if (!name || name.length > 63 || !NAME.test(name))
        return `"${key}": the name part must be 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
    return undefined;
}

/** A label or taint value: empty, or up to 63 characters of the key's name alphabet. */
export function labelValueProblem(value: unknown): string | undefined {
    if (typeof value === "string" && (value === "" || (value.length <= 63 && NAME.test(value)))) return undefined;
    return `must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit; got ${JSON.stringify(value)}`;
}

/** The labels NodeRestriction lets a kubelet set on its own Node under kubernetes.io and k8s.io. */
const KUBELET_LABELS = [
    "kubernetes.io/hostname",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
];
/** Namespaces (and their subdomains) a kubelet may label its Node under. */
const KUBELET_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];

/**
 * kubelet refuses to register with labels in the kubernetes.io / k8s.io namespaces except the
 * ones NodeRestriction allows; failing at preview is kinder than a kubelet that never starts.
 */
export function selfLabelProblem(key: string): string | undefined {
    const slash = key.indexOf("/");
    if (slash < 0) return undefined;
    const prefix = key.slice(0, slash);
    const under = (ns: string) => prefix === ns || prefix.endsWith(`.${ns}`);
    if (!under("kubernetes.io") && !under("k8s.io")) return undefined;
    if (KUBELET_NAMESPACES.some(under) || KUBELET_LABELS.includes(key)) return undefined;
    return `"${key}" is in the ${prefix} namespace, which kubelet may not set on its own Node (NodeRestriction); use your own prefix (e.g. "example.com/role") or node.kubernetes.io/...`;
}

export function taintEffectProblem(effect: unknown): string | undefined {
    if ((TAINT_EFFECTS as readonly unknown[]).includes(effect)) return undefined;
    return `must be one of ${TAINT_EFFECTS.join(", ")}; got ${JSON.stringify(effect)}`;
}
