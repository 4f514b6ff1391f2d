import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";
import { HostConnection, secretConnection } from "../../lib/ssh/inputs";
import type { Taint } from "../../model/labels";
import type { RolloutBudget } from "./rollout";

export interface NodeJoinArgs {
    /** How to reach the host. Changing address or port replaces the join (leave, then join again). */
    connection: HostConnection;
    /** The tenant's admin kubeconfig (secret): mints the join token, waits for the Node, drains it. */
    tenantKubeconfig: pulumi.Input<string>;
    /** host:port of the tenant API as the host reaches it. Changing it replaces the join. */
    apiEndpoint: pulumi.Input<string>;
    /** sha256:<hex> of the tenant CA's public key; discovery refuses any other CA. Changing it replaces the join. */
    caCertHash: pulumi.Input<string>;
    /** The kubelet's version, e.g. v1.34.4. Changing it upgrades the node in place. */
    kubernetesVersion: pulumi.Input<string>;
    /** The Node's name (lowercase DNS subdomain). Changing it replaces the join. */
    nodeName: pulumi.Input<string>;
    /** Node labels (kubelet --node-labels, then kept in sync on the Node). Updated in place. */
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Node taints. Updated in place. */
    taints?: pulumi.Input<pulumi.Input<Taint>[]>;
    /**
     * Extra kubelet flags, name without dashes → value, e.g. { "max-pods": "50" }; default none.
     * kubeadm writes them to /var/lib/kubelet/kubeadm-flags.env at join. A change is applied in place:
     * that file is rewritten (the previous extra flags removed, the new ones set, kubeadm's own flags
     * kept) and the kubelet restarted, without a drain. Values are plain flag values: no whitespace
     * and none of $ ` \ " ' ; & | < > ( ) { } (settings that need them go in `kubeletConfiguration`);
     * for --node-labels set `labels`.
     */
    kubeletExtraArgs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * KubeletConfiguration fields for this node, merged over the cluster's (kubeadm's
     * `kubeletconfiguration` patch, kept for upgrades), e.g. { cgroupDriver: "cgroupfs", maxPods: 50 };
     * default none. A change is applied in place: kubeadm re-renders /var/lib/kubelet/config.yaml and
     * the kubelet restarts, without a drain.
     */
    kubeletConfiguration?: pulumi.Input<Record<string, unknown>>;
    /** kubeadm preflight checks to skip, by name. Only for labs and hosts you know; default none. */
    ignorePreflightErrors?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Whether a host that holds Kubernetes node state (/etc/kubernetes/pki/ca.crt,
     * /var/lib/kubelet/config.yaml, bootstrap-kubelet.conf) but no kubelet.conf, left by something
     * other than an interrupted join of this package, may be wiped with `kubeadm reset -f` before
     * the join. Such a host may be a node of another cluster. Default false: the join is refused,
     * naming the files. Changing it changes nothing on a joined host.
     */
    resetForeignState?: pulumi.Input<boolean>;
    /** CRI socket; default unix:///var/run/containerd/containerd.sock. Changing it replaces the join. */
    criSocket?: pulumi.Input<string>;
    /** An existing bootstrap token (secret). Default: a 15-minute token is minted for each join and deleted after it. */
    token?: pulumi.Input<string>;
    /** How long a drain may take before delete/upgrade fails; default 300 s. */
    drainTimeoutSeconds?: pulumi.Input<number>;
    /** argv run on the host during an upgrade, between drain and `kubeadm upgrade node`, to install the new packages. */
    upgradePackagesCommand?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The pool this node belongs to and how many of its nodes may be upgraded at once (see
     * provider/kubeadm/rollout.ts). Default: none, the node upgrades as soon as the engine says.
     * Changing it changes nothing on the host.
     */
    rollout?: pulumi.Input<{ [K in keyof RolloutBudget]: pulumi.Input<RolloutBudget[K]> }>;
}

/**
 * One host joined to a tenant control plane with `kubeadm join`. A node cannot join twice, so
 * replacements delete first (deleteBeforeReplace). Deleting drains the node, deletes its Node
 * object and runs `kubeadm reset -f` on the host.
 */
export class NodeJoin extends pulumi.dynamic.Resource {
    declare public readonly nodeName: pulumi.Output<string>;
    declare public readonly kubeletVersion: pulumi.Output<string>;
    /** "joined", or "already joined …" when the host already had a kubelet.conf. */
    declare public readonly outcome: pulumi.Output<string>;
    /** The host key in use (pinned, or recorded on first use and pinned from then on). */
    declare public readonly hostKey: pulumi.Output<string>;
    /** This resource's mark on the host (/etc/kubernetes/hcp-owner.json): delete resets only a host that carries it. */
    declare public readonly owner: pulumi.Output<string>;
    /** True when the create joined the host but failed after (Ready wait, labels): the next update finishes it. */
    declare public readonly incomplete: pulumi.Output<boolean>;
    /** The bastion's key in use (pinned, or recorded on first use and pinned from then on), with a bastion. */
    declare public readonly bastionHostKey: pulumi.Output<string | undefined>;

    constructor(name: string, args: NodeJoinArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            providerFor("kubeadm/provider"),
            name,
            {
                ...args,
                connection: secretConnection(args.connection),
                tenantKubeconfig: pulumi.secret(args.tenantKubeconfig),
                token: args.token === undefined ? undefined : pulumi.secret(args.token),
                outcome: undefined,
                kubeletVersion: undefined,
                hostKey: undefined,
                owner: undefined,
                incomplete: undefined,
                bastionHostKey: undefined,
            },
            pulumi.mergeOptions(opts, {
                deleteBeforeReplace: true,
                additionalSecretOutputs: ["connection", "tenantKubeconfig", "token"],
            }),
            "hcp",
            "NodeJoin",
        );
    }
}
