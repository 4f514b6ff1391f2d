import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";
import type { PackageSource, RegistryCredential, ReusePolicy } from "./logic";

export type { PackageSource, RegistryCredential, ReusePolicy } from "./logic";

/** How to reach the host. privateKey, passphrase and password are stored as secrets. */
export interface HostConnection {
    address: pulumi.Input<string>;
    /** Default 22. */
    port?: pulumi.Input<number>;
    /** Default "root"; another user needs passwordless sudo. */
    user?: pulumi.Input<string>;
    privateKey?: pulumi.Input<string>;
    passphrase?: pulumi.Input<string>;
    password?: pulumi.Input<string>;
    /** An SSH agent socket path, or true for $SSH_AUTH_SOCK of the Pulumi process. */
    agent?: pulumi.Input<string | boolean>;
    /** The host's public key, "ssh-ed25519 AAAA..." (see /etc/ssh/ssh_host_ed25519_key.pub). */
    hostKey?: pulumi.Input<string>;
    /** Without hostKey: accept the key presented at creation and pin it from then on. */
    trustOnFirstUse?: pulumi.Input<boolean>;
    bastion?: HostConnection;
}

export interface ContainerdSettings {
    /** Default 1.7.27. */
    version?: pulumi.Input<string>;
    /** Default: the pause image kubeadm expects for kubernetesVersion. */
    pauseImage?: pulumi.Input<string>;
    /** registry ("docker.io", "*" for any) -> mirror URLs, tried in order. */
    registryMirrors?: pulumi.Input<Record<string, pulumi.Input<pulumi.Input<string>[]>>>;
    /** registry host -> credentials; stored as a secret. */
    registryCredentials?: pulumi.Input<Record<string, pulumi.Input<RegistryCredential>>>;
}

export interface PreparedHostArgs {
    connection: HostConnection;
    /** e.g. "v1.34.4" */
    kubernetesVersion: pulumi.Input<string>;
    containerd?: ContainerdSettings;
    packageSource: pulumi.Input<PackageSource>;
    /** What delete does: "retain" (default) leaves the host alone, "clean" removes what preparation installed. */
    reusePolicy?: pulumi.Input<ReusePolicy>;
}

function secretConnection(c: HostConnection): pulumi.Inputs {
    const s = <T>(v: pulumi.Input<T> | undefined) => (v === undefined ? undefined : pulumi.secret(v));
    return {
        address: c.address,
        port: c.port,
        user: c.user,
        privateKey: s(c.privateKey),
        passphrase: s(c.passphrase),
        password: s(c.password),
        agent: c.agent,
        hostKey: c.hostKey,
        trustOnFirstUse: c.trustOnFirstUse,
        bastion: c.bastion ? secretConnection(c.bastion) : undefined,
    };
}

/**
 * A worker host made ready for `kubeadm join` over SSH: swap off, kernel modules and sysctls,
 * containerd (systemd cgroups, pause image, registry mirrors and credentials), kubelet, kubeadm and
 * kubectl at the pinned version, kubelet enabled. Preparation is idempotent; an update re-runs it and
 * reports which steps changed. Changing the address or port replaces the resource.
 */
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

    constructor(name: string, args: PreparedHostArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            connection: secretConnection(args.connection),
            kubernetesVersion: args.kubernetesVersion,
            containerd: args.containerd
                ? {
                      version: args.containerd.version,
                      pauseImage: args.containerd.pauseImage,
                      registryMirrors: args.containerd.registryMirrors,
                      registryCredentials:
                          args.containerd.registryCredentials === undefined
                              ? undefined
                              : pulumi.secret(args.containerd.registryCredentials),
                  }
                : undefined,
            packageSource: args.packageSource,
            reusePolicy: args.reusePolicy,
            os: undefined,
            osVersion: undefined,
            arch: undefined,
            preparedVersion: undefined,
            changedSteps: undefined,
            steps: undefined,
            warnings: undefined,
            hostKey: undefined,
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
