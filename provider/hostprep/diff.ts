// PreparedHost's diff rules: which property changes replace the host, re-run the preparation, or
// are only recorded.
import { hostIdentity } from "../../model/hosts";
import { stableJson } from "../dynamic";
import type { Comparable } from "./comparable";

export type ChangeKind = "replace" | "prepare" | "state";

export interface PropertyChange {
    path: string;
    kind: ChangeKind;
}

/**
 * Which properties differ, and what each difference needs:
 *  - replace: connection.address (another machine; the same one written differently is no change) / connection.port;
 *  - prepare: kubernetesVersion, containerd.*, packageSource (re-run the preparation);
 *  - state:   everything else (user, keys, credentials, bastion, reusePolicy): recorded, host untouched.
 */
export function compare(o: Comparable, n: Comparable): PropertyChange[] {
    const out: PropertyChange[] = [];
    const add = (path: string, kind: ChangeKind, a: unknown, b: unknown) => {
        if (stableJson(a) !== stableJson(b)) out.push({ path, kind });
    };
    // One machine however its address is written ("2001:DB8::1", "2001:db8::1"): no change.
    add("connection.address", "replace", hostIdentity(o.connection.address), hostIdentity(n.connection.address));
    add("connection.port", "replace", o.connection.port, n.connection.port);
    add("connection.user", "state", o.connection.user, n.connection.user);
    add("connection.hostKey", "state", o.connection.hostKey, n.connection.hostKey);
    add("connection.trustOnFirstUse", "state", o.connection.trustOnFirstUse, n.connection.trustOnFirstUse);
    add("connection.agent", "state", o.connection.agent, n.connection.agent);
    add("connection.bastion", "state", o.connection.bastion, n.connection.bastion);
    for (const k of ["privateKey", "passphrase", "password"] as const)
        add(`connection.${k}`, "state", o.connectionSecrets[k], n.connectionSecrets[k]);
    add("connection.bastion", "state", o.connectionSecrets.bastion, n.connectionSecrets.bastion);
    add("kubernetesVersion", "prepare", o.prep.kubernetesVersion, n.prep.kubernetesVersion);
    add("containerd.version", "prepare", o.prep.containerd.version, n.prep.containerd.version);
    add("containerd.pauseImage", "prepare", o.prep.containerd.pauseImage, n.prep.containerd.pauseImage);
    add("containerd.cgroupDriver", "prepare", o.prep.containerd.cgroupDriver, n.prep.containerd.cgroupDriver);
    add(
        "containerd.restrictOOMScoreAdj",
        "prepare",
        o.prep.containerd.restrictOOMScoreAdj,
        n.prep.containerd.restrictOOMScoreAdj,
    );
    const regs = new Set([
        ...Object.keys(o.prep.containerd.registryMirrors),
        ...Object.keys(n.prep.containerd.registryMirrors),
    ]);
    for (const r of [...regs].sort()) {
        add(
            `containerd.registryMirrors["${r}"]`,
            "prepare",
            o.prep.containerd.registryMirrors[r],
            n.prep.containerd.registryMirrors[r],
        );
    }
    add(
        "containerd.registryCredentials",
        "prepare",
        o.prep.containerd.registryCredentials,
        n.prep.containerd.registryCredentials,
    );
    add("packageSource", "prepare", o.prep.packageSource, n.prep.packageSource);
    add("reusePolicy", "state", o.reusePolicy, n.reusePolicy);
    // one entry per path
    const seen = new Set<string>();
    return out.filter((c) => (seen.has(c.path) ? false : (seen.add(c.path), true)));
}
