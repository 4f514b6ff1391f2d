// PreparedHost's stored outputs: what the host reported (Facts) next to its inputs, with the
// secret ones (credentials, a bundle URL) kept apart under `secrets` (additionalSecretOutputs).
import type { Comparable } from "./comparable";
import type { CgroupDriver, NormalizedPrep, ReusePolicy } from "./inputs";
import type { PublicConnection, SecretConnection } from "./connection";

/** What a preparation learned of the host, and the host keys it connected with. */
export interface Facts {
    /** The host key in use: pinned, or recorded on first use. */
    hostKey: string;
    /** The bastion's key in use (with a bastion): pinned, or recorded on first use and pinned from then on. */
    bastionHostKey?: string;
    os: string;
    osVersion: string;
    arch: string;
    preparedVersion: string;
    changedSteps: string[];
    steps: Record<string, string>;
    warnings: string[];
}

/** The stored outputs. `secrets` is listed in additionalSecretOutputs. */
export interface PreparedHostOutputs extends Facts {
    connection: PublicConnection;
    kubernetesVersion: string;
    containerd: {
        version: string;
        pauseImage: string;
        registryMirrors: Record<string, string[]>;
        /** Absent in states written before the field existed: the defaults then. */
        cgroupDriver?: CgroupDriver;
        restrictOOMScoreAdj?: boolean;
    };
    packageSource: NormalizedPrep["packageSource"];
    reusePolicy: ReusePolicy;
    secrets: {
        connection: SecretConnection;
        registryCredentials: NormalizedPrep["containerd"]["registryCredentials"];
        /** A bundle URL (it may carry credentials); `packageSource` holds the rest. */
        packageSourceUrl?: string;
    };
    /** This resource's mark on the host; absent in states written before owner records. */
    owner?: string;
    /** True when a create began preparing the host but failed: the next update prepares it again. */
    incomplete?: boolean;
}

/** The facts of a host whose preparation began but did not report: only its key is known. */
export function factsBeforeReport(hostKey: string): Facts {
    return { hostKey, os: "", osVersion: "", arch: "", preparedVersion: "", changedSteps: [], steps: {}, warnings: [] };
}

/** The facts kept when an update does not touch the host; host keys follow the new inputs. */
export function keptFacts(olds: PreparedHostOutputs, n: Comparable): Facts {
    const hostKey = n.connection.hostKey ?? olds.hostKey;
    const bastionHostKey = n.connection.bastion ? (n.connection.bastion.hostKey ?? olds.bastionHostKey) : undefined;
    return {
        hostKey,
        ...(bastionHostKey ? { bastionHostKey } : {}),
        os: olds.os,
        osVersion: olds.osVersion,
        arch: olds.arch,
        preparedVersion: olds.preparedVersion,
        changedSteps: [],
        steps: olds.steps,
        warnings: olds.warnings,
    };
}

export function outputs(c: Comparable, f: Facts): PreparedHostOutputs {
    const url = bundleUrl(c.prep.packageSource);
    return {
        connection: c.connection,
        kubernetesVersion: c.prep.kubernetesVersion,
        containerd: {
            version: c.prep.containerd.version,
            pauseImage: c.prep.containerd.pauseImage,
            registryMirrors: c.prep.containerd.registryMirrors,
            cgroupDriver: c.prep.containerd.cgroupDriver,
            restrictOOMScoreAdj: c.prep.containerd.restrictOOMScoreAdj,
        },
        packageSource: withoutUrl(c.prep.packageSource),
        reusePolicy: c.reusePolicy,
        secrets: {
            connection: c.connectionSecrets,
            registryCredentials: c.prep.containerd.registryCredentials,
            ...(url ? { packageSourceUrl: url } : {}),
        },
        ...f,
    };
}

const bundleUrl = (s: NormalizedPrep["packageSource"]) => (s.kind === "bundle" ? s.url : undefined);

/** The package source as stored in plain outputs: a bundle URL lives in `secrets` instead. */
function withoutUrl(s: NormalizedPrep["packageSource"]): NormalizedPrep["packageSource"] {
    if (s.kind !== "bundle" || s.url === undefined) return s;
    const rest = { ...s };
    delete rest.url;
    return rest;
}
