import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";
import { HostConnection, secretConnection } from "../../lib/ssh/inputs";

export type { HostConnection } from "../../lib/ssh/inputs";
import type { CgroupDriver, PackageSource, RegistryCredential, ReusePolicy } from "./logic";

export type { CgroupDriver, PackageSource, RegistryCredential, ReusePolicy } from "./logic";

/** How to reach the host. privateKey, passphrase and password are stored as secrets. */
export interface ContainerdSettings {
    /** Default 1.7.27. */
    version?: pulumi.Input<string>;
    /** Default: the pause image kubeadm expects for kubernetesVersion. */
    pauseImage?: pulumi.Input<string>;
    /** registry ("docker.io", "*" for any) -> mirror URLs, tried in order. */
    registryMirrors?: pulumi.Input<Record<string, pulumi.Input<pulumi.Input<string>[]>>>;
    /** registry host -> credentials; stored as a secret. */
    registryCredentials?: pulumi.Input<Record<string, pulumi.Input<RegistryCredential>>>;
    /** "systemd" (default) or "cgroupfs" for hosts without systemd; the kubelet must use the same. Changing it re-prepares. */
    cgroupDriver?: pulumi.Input<CgroupDriver>;
    /** containerd's restrict_oom_score_adj, for hosts that lack CAP_SYS_RESOURCE. Default false. */
    restrictOOMScoreAdj?: pulumi.Input<boolean>;
}

export interface PreparedHostArgs {
    connection: HostConnection;
    /** e.g. "v1.34.4" */
    kubernetesVersion: pulumi.Input<string>;
    containerd?: ContainerdSettings;
    /** Where the packages come from. A bundle `url` is treated as a secret (it may carry credentials). */
    packageSource: pulumi.Input<PackageSource>;
    /** What delete does: "retain" (default) leaves the host alone, "clean" removes what preparation installed. */
    reusePolicy?: pulumi.Input<ReusePolicy>;
    /**
     * The Node this host serves as, in a pool (WorkerPool sets it; secret, it holds the tenant's
     * kubeconfig). With it, an update that re-prepares a joined host drains the Node first and waits
     * for the pool's budget (at most `rollout.maxUnavailable` hosts at once, provider/kubeadm/rollout.ts).
     * Default: none, the host is re-prepared as soon as the engine says. Changing it changes nothing on the host.
     */
    node?: pulumi.Input<{
        tenantKubeconfig: pulumi.Input<string>;
        nodeName: pulumi.Input<string>;
        rollout: pulumi.Input<{ pool: pulumi.Input<string>; maxUnavailable: pulumi.Input<number> }>;
    }>;
}

/**
 * The package source with its `url` as a secret: a bundle URL may carry credentials (user:password@,
 * a presigned query). A source known only later is kept secret as a whole.
 */
function secretUrl(source: pulumi.Input<PackageSource>): pulumi.Input<PackageSource> {
    if (pulumi.Output.isInstance(source) || source instanceof Promise) return pulumi.secret(source);
    const s = source as PackageSource;
    return s.kind === "bundle" && s.url !== undefined ? ({ ...s, url: pulumi.secret(s.url) } as any) : s;
}

export class PreparedHost extends pulumi.dynamic.Resource {
    declare public readonly os: pulumi.Output<string>;
    declare public readonly osVersion: pulumi.Output<string>;
    declare public readonly arch: pulumi.Output<string>;
    declare public readonly preparedVersion: pulumi.Output<string>;
    /** The steps the last preparation changed (empty when the host already was as wanted). */
    declare public readonly changedSteps: pulumi.Output<string[]>;
    declare public readonly steps: pulumi.Output<Record<string, string>>;
    declare public readonly warnings: pulumi.Output<string[]>;
    /** The host key in use (pinned, or recorded on first use). */
    declare public readonly hostKey: pulumi.Output<string>;
    /** The bastion's key in use (pinned, or recorded on first use), when the connection has a bastion. */
    declare public readonly bastionHostKey: pulumi.Output<string | undefined>;

    constructor(name: string, args: PreparedHostArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            connection: secretConnection(args.connection),
            kubernetesVersion: args.kubernetesVersion,
            containerd: args.containerd
                ? {
                      version: args.containerd.version,
                      pauseImage: args.containerd.pauseImage,
                      registryMirrors: args.containerd.registryMirrors,
                      cgroupDriver: args.containerd.cgroupDriver,
                      restrictOOMScoreAdj: args.containerd.restrictOOMScoreAdj,
                      registryCredentials:
                          args.containerd.registryCredentials === undefined
                              ? undefined
                              : pulumi.secret(args.containerd.registryCredentials),
                  }
                : undefined,
            packageSource: secretUrl(args.packageSource),
            reusePolicy: args.reusePolicy,
            node: args.node === undefined ? undefined : pulumi.secret(args.node),
            os: undefined,
            osVersion: undefined,
            arch: undefined,
            preparedVersion: undefined,
            changedSteps: undefined,
            steps: undefined,
            warnings: undefined,
            hostKey: undefined,
            bastionHostKey: undefined,
            secrets: undefined,
        };
        super(
            providerFor("hostprep/provider"),
            name,
            props,
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secrets"] }),
            "hcp",
            "PreparedHost",
        );
    }
}
