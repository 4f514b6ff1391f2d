/**
 * Kubernetes release versions: the one grammar the package accepts ("v" MAJOR.MINOR.PATCH, as
 * Kamaji and kubeadm write them) and the one rule for changing from one to another.
 */
import * as semver from "semver";

export interface KubernetesVersion {
    major: number;
    minor: number;
    patch: number;
}

/** `vMAJOR.MINOR.PATCH` (no pre-release, no build), or undefined. */
export function parseKubernetesVersion(s: unknown): KubernetesVersion | undefined {
    if (typeof s !== "string" || !s.startsWith("v")) return undefined;
    const v = semver.parse(s);
    if (!v || v.prerelease.length > 0 || v.build.length > 0 || v.raw !== s) return undefined;
    return { major: v.major, minor: v.minor, patch: v.patch };
}

/**
 * A version as given ("v1.34.4") or as the host preparation records it in state: the package
 * version ("1.34.4", what apt pins), which diffs and reviews read back.
 */
export function parseRecordedVersion(s: unknown): KubernetesVersion | undefined {
    return typeof s === "string" ? parseKubernetesVersion(s.startsWith("v") ? s : `v${s}`) : undefined;
}

/** <0 when a is older than b, 0 when they are the same release, >0 when a is newer. */
export function compareKubernetesVersions(a: KubernetesVersion, b: KubernetesVersion): number {
    return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Why `s` is not a Kubernetes version; the reason says how to write it. */
export function versionProblem(s: unknown): string | undefined {
    if (typeof s !== "string" || s === "") return 'is required: a Kubernetes release such as "v1.33.4"';
    if (parseKubernetesVersion(s)) return undefined;
    if (parseKubernetesVersion(`v${s}`))
        return `must start with "v" (Kamaji and kubeadm expect "v${s}"); write "v${s}"`;
    if (/^v?[0-9]+\.[0-9]+$/.test(s)) return `must name a patch release, e.g. "${s.startsWith("v") ? s : "v" + s}.0"`;
    return `must be a Kubernetes release "vMAJOR.MINOR.PATCH" such as "v1.33.4"; got "${s}"`;
}

/** What is upgraded: the fix of a downgrade differs. */
export type Upgraded = "control plane" | "node";

/**
 * The one rule for a version change, enforced by Kamaji's webhook for control planes and by
 * kubeadm for nodes: no downgrade, no major version change, no skipped minor version. The reason
 * when `next` may not follow `previous`; undefined when it may, or when either does not parse
 * (the format is reported on its own).
 */
export function versionStepProblem(previous: string, next: string, upgraded: Upgraded): string | undefined {
    const p = parseKubernetesVersion(previous);
    const n = parseKubernetesVersion(next);
    if (!p || !n) return undefined;
    if (compareKubernetesVersions(n, p) < 0) {
        return upgraded === "control plane"
            ? `cannot go from ${previous} down to ${next}: Kubernetes control planes cannot be downgraded; keep ${previous} (or a later patch), or recreate the tenant`
            : `cannot go from ${previous} down to ${next}: kubeadm cannot downgrade a node; keep ${previous} (or a later patch), or remove the host from the pool and add it again`;
    }
    if (n.major !== p.major) {
        return `cannot go from ${previous} to ${next}: a major version change is not a supported upgrade`;
    }
    if (n.minor > p.minor + 1) {
        const step = `v${p.major}.${p.minor + 1}`;
        return `cannot go from ${previous} to ${next} in one step: upgrade one minor version at a time; set ${step}.x first, apply, then continue`;
    }
    return undefined;
}
