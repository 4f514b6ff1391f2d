/**
 * The arguments of a `WorkerPool` (./workerPool.ts) and what it reports per host, apart so that
 * file reads as the component's construction.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CgroupDriver, ContainerdArgs, PackageSource, ReusePolicy } from "../provider/hostprep/logic";
import type { Taint } from "../model/labels";
import type { HostedControlPlane } from "./hostedControlPlane";

/** How to log in over SSH, to a host or to its bastion. Names and defaults as pulumi-command's `ConnectionArgs`. */
export interface SshLoginArgs {
    /** SSH port. Defaults to 22. */
    port?: pulumi.Input<number>;
    /** SSH user. Defaults to "root". On a host, commands run with sudo when it is not root. */
    user?: pulumi.Input<string>;
    /** SSH private key (PEM or OpenSSH format, secret). Preferred over `password`. */
    privateKey?: pulumi.Input<string>;
    /** Passphrase of `privateKey` (secret). */
    privateKeyPassphrase?: pulumi.Input<string>;
    /** SSH password (secret). */
    password?: pulumi.Input<string>;
}

/** A jump host the pool's SSH connections to a host go through. */
export interface WorkerBastionArgs extends SshLoginArgs {
    /** The bastion's IP address or DNS name, as reachable from where Pulumi runs. */
    address: pulumi.Input<string>;
    /**
     * The bastion's SSH public key, pinned like the host's. Required unless the pool sets
     * `trustOnFirstUse`: then the key presented first is recorded and pinned from then on.
     */
    hostKey?: pulumi.Input<string>;
}

/** One host of a pool. */
export interface WorkerHostArgs extends SshLoginArgs {
    /**
     * The host's IP address or DNS name as reachable over SSH. A plain string: it names the host's
     * resources and identifies it across pools (compared in canonical form, so "2001:DB8::1" and
     * "2001:db8::1" are one host). IPv4 addresses in dotted decimal only. Changing it is removing
     * one host and adding another.
     */
    address: string;
    /**
     * The host's SSH public key ("ssh-ed25519 AAAA..."), pinned: a different key is a hard error.
     * Required unless the pool sets `trustOnFirstUse`.
     */
    hostKey?: pulumi.Input<string>;
    /**
     * The Node name. Defaults to the address with characters a Node name cannot hold replaced by "-".
     * Unique across the pools of the stack (two hosts with one Node name would become one Node).
     * Changing it rejoins the host.
     */
    nodeName?: string;
    /** Node labels. Updated in place. Labels in the kubernetes.io / k8s.io namespaces are refused (kubelet may not set them). */
    labels?: Record<string, string>;
    /** Node taints. Updated in place. */
    taints?: Taint[];
    /** KubeletConfiguration fields for this host, merged over the pool's `kubeletConfiguration`. Applied in place. */
    kubeletConfiguration?: Record<string, unknown>;
    /** Overrides the pool's `resetForeignState` for this host. */
    resetForeignState?: boolean;
    /** A jump host to reach this host through (pulumi-command's `proxy`). Defaults to none. */
    bastion?: WorkerBastionArgs;
}

export interface WorkerPoolArgs {
    /** The control plane the hosts join. */
    controlPlane: HostedControlPlane;
    /**
     * The hosts. Adding a host prepares and joins only that host; removing one drains, deletes and
     * resets only that host. A host may belong to one pool of the stack only.
     */
    hosts: WorkerHostArgs[];
    /**
     * The kubelet version. Defaults to the control plane's version. Changing it upgrades hosts in
     * place, at most `maxUnavailable` at a time; it must not be newer than the control plane.
     */
    kubernetesVersion?: pulumi.Input<string>;
    /** containerd settings (version, pause image, registry mirrors and credentials). Defaults to containerd 1.7.27. */
    containerd?: ContainerdArgs;
    /**
     * How containerd and the kubelet manage cgroups: "systemd" (default, hosts that boot with
     * systemd) or "cgroupfs" (hosts without systemd). Set on both, so they always agree. Changing it
     * re-prepares the hosts and reconfigures their kubelets.
     */
    cgroupDriver?: CgroupDriver;
    /**
     * KubeletConfiguration fields for every host, merged over the tenant's (kubeadm's
     * `kubeletconfiguration` patch), e.g. { maxPods: 50 }. Applied in place, without a drain.
     */
    kubeletConfiguration?: Record<string, unknown>;
    /** Where packages come from: an apt repository, or an offline bundle for air-gapped sites. Defaults to the upstream apt repositories. */
    packageSource?: PackageSource;
    /** What removal leaves on a host: "retain" (only kubeadm reset) or "clean" (also remove what preparation installed). Defaults to "retain". */
    reusePolicy?: ReusePolicy;
    /** How many hosts may be drained at the same time during an upgrade: from 1 to the number of hosts. Defaults to 1. */
    maxUnavailable?: number;
    /** Accept hosts without `hostKey`, recording the key presented on first contact. Defaults to false. */
    trustOnFirstUse?: boolean;
    /**
     * The API endpoint ("host:port") as the hosts reach it. Defaults to the control plane's
     * `endpoint`. Changing it rejoins every host.
     */
    apiEndpoint?: pulumi.Input<string>;
    /** kubeadm preflight checks to skip, by name. For labs only; defaults to none. */
    ignorePreflightErrors?: string[];
    /**
     * Let the join wipe (`kubeadm reset -f`) a host that holds Kubernetes node state
     * (`/etc/kubernetes/pki/ca.crt`, `/var/lib/kubelet/config.yaml`) without a `kubelet.conf`, left by
     * something other than an interrupted join of this package: such a host may be a node of another
     * cluster. Defaults to false: its join fails, naming the files. Set it per host where you can.
     */
    resetForeignState?: boolean;
}

/** What the pool reports about one host. */
export interface WorkerHostStatus {
    address: string;
    nodeName: string;
    kubeletVersion: string;
    outcome: string;
}
