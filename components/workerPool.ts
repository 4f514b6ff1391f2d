/**
 * `WorkerPool`: SSH-reachable hosts joined to a HostedControlPlane with kubeadm.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CgroupDriver, ContainerdArgs, PackageSource, ReusePolicy } from "../provider/hostprep/logic";
import { CGROUP_DRIVERS } from "../provider/hostprep/logic";
import { kubeletConfigurationProblems, Taint } from "../provider/kubeadm/logic";
import { PreparedHost } from "../provider/hostprep/resource";
import type { HostConnection } from "../provider/ssh/inputs";
import { NodeJoin } from "../provider/kubeadm/resource";
import { parsePublicKey } from "../provider/ssh/logic";
import { nodeNameProblem } from "../model/names";
import { isPlain, rejectIfInvalid, throwIfInvalid } from "./errors";
import { HostedControlPlane } from "./hostedControlPlane";
import { PropertyError, currentStackHosts, validateWorkerPool, WorkerHostValues, WorkerPoolValues } from "./validation";
import { addressText, defaultNodeName, hostIdentity } from "../model/hosts";

/** A jump host the pool's SSH connections to a host go through. Field names as for the host. */
export interface WorkerBastionArgs {
    /** The bastion's IP address or DNS name, as reachable from where Pulumi runs. */
    address: pulumi.Input<string>;
    /** SSH port. Defaults to 22. */
    port?: pulumi.Input<number>;
    /** SSH user on the bastion. Defaults to "root". */
    user?: pulumi.Input<string>;
    /** SSH private key for the bastion (secret). */
    privateKey?: pulumi.Input<string>;
    /** Passphrase of `privateKey` (secret). */
    privateKeyPassphrase?: pulumi.Input<string>;
    /** SSH password for the bastion (secret). */
    password?: pulumi.Input<string>;
    /**
     * The bastion's SSH public key, pinned like the host's. Required unless the pool sets
     * `trustOnFirstUse`: then the key presented first is recorded and pinned from then on.
     */
    hostKey?: pulumi.Input<string>;
}

/** One host of a pool. Connection fields follow pulumi-command's `ConnectionArgs` names and defaults. */
export interface WorkerHostArgs {
    /**
     * The host's IP address or DNS name as reachable over SSH. A plain string: it names the host's
     * resources and identifies it across pools (compared in canonical form, so "2001:DB8::1" and
     * "2001:db8::1" are one host). IPv4 addresses in dotted decimal only. Changing it is removing
     * one host and adding another.
     */
    address: string;
    /** SSH port. Defaults to 22. */
    port?: pulumi.Input<number>;
    /** SSH user; commands run with sudo when it is not root. Defaults to "root". */
    user?: pulumi.Input<string>;
    /** SSH private key (PEM or OpenSSH format, secret). Preferred over `password`. */
    privateKey?: pulumi.Input<string>;
    /** Passphrase of `privateKey` (secret). */
    privateKeyPassphrase?: pulumi.Input<string>;
    /** SSH password (secret). */
    password?: pulumi.Input<string>;
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

export { defaultNodeName };

/** A host's bastion as a connection (credentials secret); `recordedHostKey` stands in for a missing hostKey. */
function bastionConnection(
    b: WorkerBastionArgs | undefined,
    trustOnFirstUse: boolean | undefined,
    recordedHostKey?: pulumi.Output<string | undefined>,
): HostConnection | undefined {
    if (!b) return undefined;
    const s = <T>(v: pulumi.Input<T> | undefined) => (v === undefined ? undefined : pulumi.secret(v));
    return {
        address: b.address,
        port: b.port,
        user: b.user,
        privateKey: s(b.privateKey),
        passphrase: s(b.privateKeyPassphrase),
        password: s(b.password),
        hostKey: b.hostKey ?? (recordedHostKey as pulumi.Input<string> | undefined),
        trustOnFirstUse,
    };
}

/**
 * A host's resource names: from the host's identity only, so renaming the pool, writing the
 * address differently or moving the host to another pool keeps its resources (a move to another
 * tenant is then a replacement, which deletes before it creates). A host belongs to one pool of the
 * stack, so the names are unique. `aliases`: the names before this scheme (`<pool>-<address>-…`),
 * so stacks written then keep their resources.
 */
export function hostResourceName(pool: string, address: string, role: "prep" | "join") {
    const slug = (a: string) => a.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    const name = `host-${slug(hostIdentity(address))}-${role}`;
    const legacy = `${pool}-${slug(addressText(address))}-${role}`;
    return { name, aliases: legacy === name ? [] : [{ name: legacy }] };
}

/** The host's KubeletConfiguration patch: the pool's, the host's over it, and the pool's cgroup driver; undefined when empty. */
export function kubeletConfigurationOf(args: WorkerPoolArgs, h: WorkerHostArgs): Record<string, unknown> | undefined {
    const cfg = {
        ...(args.cgroupDriver ? { cgroupDriver: args.cgroupDriver } : {}),
        ...args.kubeletConfiguration,
        ...h.kubeletConfiguration,
    };
    return Object.keys(cfg).length ? cfg : undefined;
}

/** Problems of one OpenSSH host key line, phrased without the property prefix. */
export function hostKeyProblem(key: string, path: string): string | undefined {
    try {
        parsePublicKey(key, path);
        return undefined;
    } catch (e) {
        const m = (e as Error).message;
        return m.startsWith(`${path}: `) ? m.slice(path.length + 2) : m;
    }
}

/** The plain values the pool rules look at (credentials by presence only). */
export function workerPoolValues(args: WorkerPoolArgs, controlPlaneVersion?: string): WorkerPoolValues {
    const hosts: WorkerHostValues[] = (args.hosts ?? []).map((h) => ({
        address: h.address,
        port: isPlain(h.port) ? (h.port as number | undefined) : undefined,
        user: isPlain(h.user) ? (h.user as string | undefined) : undefined,
        hasPrivateKey: h.privateKey !== undefined,
        hasPassword: h.password !== undefined,
        hostKey: typeof h.hostKey === "string" ? h.hostKey : undefined,
        hostKeyUnknown: h.hostKey !== undefined && typeof h.hostKey !== "string",
        nodeName: h.nodeName,
        labels: h.labels,
        taints: h.taints,
    }));
    return {
        hosts: Array.isArray(args.hosts) ? hosts : undefined,
        kubernetesVersion: typeof args.kubernetesVersion === "string" ? args.kubernetesVersion : controlPlaneVersion,
        controlPlaneVersion,
        containerdVersion: args.containerd?.version,
        registryMirrors: args.containerd?.registryMirrors,
        reusePolicy: args.reusePolicy,
        maxUnavailable: args.maxUnavailable,
        trustOnFirstUse: args.trustOnFirstUse,
        versionDeferred: typeof args.kubernetesVersion !== "string" && controlPlaneVersion === undefined,
    };
}

/**
 * A pool of worker hosts joined to a HostedControlPlane: per host, a `PreparedHost` and a `NodeJoin` (kubeadm join
 * with a short-lived bootstrap token and the CA pinned by hash). Hosts are prepared and joined in
 * parallel; a version change upgrades them in place with at most `maxUnavailable` drained at once,
 * and the first failed upgrade stops the rest (provider/kubeadm/rollout.ts).
 *
 * Per host, a `PreparedHost` (swap, kernel modules, sysctls, containerd, kubelet and kubeadm from
 * `packageSource`) comes first, then the `NodeJoin`.
 *
 * ## Example Usage
 * ```ts
 * const pool = new hcp.WorkerPool("team-a-workers", {
 *     controlPlane: cp,
 *     hosts: [{ address: "192.0.2.11", user: "ops", privateKey, hostKey: "ssh-ed25519 AAAA..." }],
 *     maxUnavailable: 1,
 * });
 * export const nodes = pool.nodeNames;
 * ```
 */
export class WorkerPool extends pulumi.ComponentResource {
    /** The Node names, in host order. */
    public readonly nodeNames: pulumi.Output<string[]>;
    /** Per-host status, in host order. */
    public readonly hostStatus: pulumi.Output<WorkerHostStatus[]>;
    /** The host preparations, keyed by host address. */
    public readonly preparations: Record<string, PreparedHost>;
    /** The joins, keyed by host address. */
    public readonly joins: Record<string, NodeJoin>;

    constructor(name: string, args: WorkerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        // Args hold keys or credentials; they are not recorded as the component's inputs.
        super("hcp:index:WorkerPool", name, {}, opts);
        const label = `WorkerPool ${name}`;
        const cp = args.controlPlane;

        const errors: PropertyError[] = [];
        if (!(cp instanceof HostedControlPlane))
            errors.push({ propertyPath: "controlPlane", reason: "must be a HostedControlPlane component" });
        const values = { ...workerPoolValues(args), name };
        errors.push(...validateWorkerPool(values, hostKeyProblem));
        if (args.cgroupDriver !== undefined && !CGROUP_DRIVERS.includes(args.cgroupDriver))
            errors.push({
                propertyPath: "cgroupDriver",
                reason: `must be "systemd" (hosts that run systemd) or "cgroupfs" (hosts without systemd); got ${JSON.stringify(args.cgroupDriver)}`,
            });
        const boolean = (v: unknown, path: string) => {
            if (v !== undefined && typeof v !== "boolean")
                errors.push({ propertyPath: path, reason: `must be true or false; got ${JSON.stringify(v)}` });
        };
        boolean(args.resetForeignState, "resetForeignState");
        (args.hosts ?? []).forEach((h, i) => {
            if (!h.bastion) return;
            if (h.bastion.address === undefined || h.bastion.address === "")
                errors.push({
                    propertyPath: `hosts[${i}].bastion.address`,
                    reason: "required: the jump host's address",
                });
            if (h.bastion.hostKey === undefined && args.trustOnFirstUse !== true)
                errors.push({
                    propertyPath: `hosts[${i}].bastion.hostKey`,
                    reason: 'required unless trustOnFirstUse is true: the bastion\'s public key ("ssh-ed25519 AAAA..."), from /etc/ssh/ssh_host_ed25519_key.pub on it or `ssh-keyscan -t ed25519 ADDRESS` over a trusted network',
                });
            else if (typeof h.bastion.hostKey === "string") {
                const p = hostKeyProblem(h.bastion.hostKey, `hosts[${i}].bastion.hostKey`);
                if (p) errors.push({ propertyPath: `hosts[${i}].bastion.hostKey`, reason: p });
            }
        });
        (args.hosts ?? []).forEach((h, i) => boolean(h.resetForeignState, `hosts[${i}].resetForeignState`));
        if (
            args.containerd?.cgroupDriver !== undefined &&
            args.cgroupDriver !== undefined &&
            args.containerd.cgroupDriver !== args.cgroupDriver
        )
            errors.push({
                propertyPath: "containerd.cgroupDriver",
                reason: `differs from cgroupDriver (${args.cgroupDriver}); set cgroupDriver only, the pool gives it to containerd and the kubelet`,
            });
        const kubeletConfigErrors = (cfg: unknown, path: string) => {
            for (const f of kubeletConfigurationProblems(cfg, path))
                errors.push({ propertyPath: f.property, reason: f.reason });
            const c = cfg as Record<string, unknown> | undefined;
            if (
                c?.cgroupDriver !== undefined &&
                args.cgroupDriver !== undefined &&
                c.cgroupDriver !== args.cgroupDriver
            )
                errors.push({
                    propertyPath: `${path}.cgroupDriver`,
                    reason: `differs from the pool's cgroupDriver (${args.cgroupDriver}): containerd and the kubelet must use one driver; set cgroupDriver only`,
                });
        };
        kubeletConfigErrors(args.kubeletConfiguration, "kubeletConfiguration");
        (args.hosts ?? []).forEach((h, i) => {
            kubeletConfigErrors(h.kubeletConfiguration, `hosts[${i}].kubeletConfiguration`);
            const np = h.nodeName === undefined ? undefined : nodeNameProblem(h.nodeName);
            if (np) errors.push({ propertyPath: `hosts[${i}].nodeName`, reason: np });
        });
        if (errors.length === 0 && Array.isArray(args.hosts)) {
            errors.push(...currentStackHosts(pulumi.runtime.getStackResource()).claimPoolHosts(name, args.hosts));
        }
        throwIfInvalid(label, errors, this);

        // The version rules that need the control plane's version run when it is known.
        const version = pulumi.all([cp.kubernetesVersion, args.kubernetesVersion]).apply(([cpv, v]) => {
            const kv = v ?? cpv;
            rejectIfInvalid(
                label,
                validateWorkerPool({ hosts: [], kubernetesVersion: kv, controlPlaneVersion: cpv }, hostKeyProblem),
                this,
            );
            return kv;
        });

        // Every join of the pool shares one budget: hosts are prepared and joined in parallel, but
        // upgrades drain at most maxUnavailable nodes at once (provider/kubeadm/rollout.ts). The
        // pool is known by its name, not its URN: an input taken from this component's URN would
        // make each join wait for the component, which waits for its joins.
        const rollout = { pool: label, maxUnavailable: args.maxUnavailable ?? 1 };
        const joins: NodeJoin[] = [];
        this.joins = {};
        this.preparations = {};
        args.hosts.forEach((h) => {
            const nodeName = h.nodeName ?? defaultNodeName(h.address);
            const prepName = hostResourceName(name, h.address, "prep");
            const joinName = hostResourceName(name, h.address, "join");
            const prep = new PreparedHost(
                prepName.name,
                {
                    connection: {
                        address: h.address,
                        port: h.port,
                        user: h.user,
                        privateKey: h.privateKey,
                        passphrase: h.privateKeyPassphrase,
                        password: h.password,
                        hostKey: h.hostKey,
                        trustOnFirstUse: args.trustOnFirstUse,
                        bastion: bastionConnection(h.bastion, args.trustOnFirstUse),
                    },
                    kubernetesVersion: version,
                    containerd:
                        args.cgroupDriver === undefined
                            ? args.containerd
                            : { ...args.containerd, cgroupDriver: args.cgroupDriver },
                    packageSource: args.packageSource ?? { kind: "apt" },
                    reusePolicy: args.reusePolicy,
                    // Re-preparing a joined host drains it and counts against the pool's budget.
                    node: { tenantKubeconfig: cp.kubeconfig, nodeName, rollout },
                },
                { parent: this, aliases: prepName.aliases },
            );
            this.preparations[h.address] = prep;
            const join = new NodeJoin(
                joinName.name,
                {
                    connection: {
                        address: h.address,
                        port: h.port,
                        user: h.user,
                        privateKey: h.privateKey === undefined ? undefined : pulumi.secret(h.privateKey),
                        passphrase:
                            h.privateKeyPassphrase === undefined ? undefined : pulumi.secret(h.privateKeyPassphrase),
                        password: h.password === undefined ? undefined : pulumi.secret(h.password),
                        // With trustOnFirstUse, the key the preparation recorded: the join is pinned from the start.
                        hostKey: h.hostKey ?? prep.hostKey,
                        trustOnFirstUse: args.trustOnFirstUse,
                        // Likewise the bastion's key the preparation recorded.
                        bastion: bastionConnection(h.bastion, args.trustOnFirstUse, prep.bastionHostKey),
                    },
                    tenantKubeconfig: cp.kubeconfig,
                    apiEndpoint: args.apiEndpoint ?? cp.endpoint,
                    caCertHash: cp.caCertHash,
                    kubernetesVersion: version,
                    nodeName,
                    labels: h.labels,
                    taints: h.taints,
                    kubeletConfiguration: kubeletConfigurationOf(args, h),
                    ignorePreflightErrors: args.ignorePreflightErrors,
                    resetForeignState: h.resetForeignState ?? args.resetForeignState,
                    rollout,
                },
                { parent: this, dependsOn: [prep], aliases: joinName.aliases },
            );
            joins.push(join);
            this.joins[h.address] = join;
        });

        this.nodeNames = pulumi.all(joins.map((j) => j.nodeName));
        this.hostStatus = pulumi.all(
            joins.map((j, i) =>
                pulumi.all([j.nodeName, j.kubeletVersion, j.outcome]).apply(([nodeName, kubeletVersion, outcome]) => ({
                    address: args.hosts[i].address,
                    nodeName,
                    kubeletVersion,
                    outcome,
                })),
            ),
        );
        this.registerOutputs({ nodeNames: this.nodeNames, hostStatus: this.hostStatus });
    }
}
