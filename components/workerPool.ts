/**
 * `WorkerPool`: SSH-reachable hosts joined to a HostedControlPlane with kubeadm. Its arguments:
 * ./workerPoolArgs.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { CGROUP_DRIVERS } from "../provider/hostprep/logic";
import { kubeletConfigurationProblems } from "../provider/kubeadm/kubeletRules";
import { PreparedHost } from "../provider/hostprep/resource";
import type { HostConnection } from "../lib/ssh/inputs";
import { NodeJoin } from "../provider/kubeadm/resource";
import { parsePublicKey } from "../lib/ssh/logic";
import { nodeNameProblem } from "../model/names";
import { isPlain, rejectIfInvalid, throwIfInvalid } from "./errors";
import { HostedControlPlane } from "./hostedControlPlane";
import { currentStackHosts } from "./hostRegistry";
import { InvalidProperty } from "../model/rules/propertyError";
import { PropertyError, validateWorkerPool, WorkerHostValues, WorkerPoolValues } from "./validation";
import { addressText, defaultNodeName, hostIdentity } from "../model/hosts";
import type { WorkerBastionArgs, WorkerHostArgs, WorkerHostStatus, WorkerPoolArgs } from "./workerPoolArgs";

export { WorkerBastionArgs, WorkerHostArgs, WorkerHostStatus, WorkerPoolArgs } from "./workerPoolArgs";

export { defaultNodeName };

/**
 * A host's or bastion's SSH connection (PreparedHost and NodeJoin make its credentials secret).
 * `recordedHostKey` stands in for a missing hostKey: with trustOnFirstUse, the key the
 * preparation recorded pins the join from the start.
 */
function connectionOf(
    c: WorkerHostArgs | WorkerBastionArgs,
    trustOnFirstUse: boolean | undefined,
    recordedHostKey?: pulumi.Output<string | undefined>,
): HostConnection {
    return {
        address: c.address,
        port: c.port,
        user: c.user,
        privateKey: c.privateKey,
        passphrase: c.privateKeyPassphrase,
        password: c.password,
        hostKey: c.hostKey ?? (recordedHostKey as pulumi.Input<string> | undefined),
        trustOnFirstUse,
    };
}

/** The connection to a host and its bastion; after the preparation, pinned to the keys it recorded. */
function hostConnection(h: WorkerHostArgs, trustOnFirstUse: boolean | undefined, prep?: PreparedHost): HostConnection {
    return {
        ...connectionOf(h, trustOnFirstUse, prep?.hostKey),
        bastion: h.bastion ? connectionOf(h.bastion, trustOnFirstUse, prep?.bastionHostKey) : undefined,
    };
}

/**
 * A host's resource names: from the host's identity only, so renaming the pool, writing the
 * address differently or moving the host to another pool keeps its resources (a move to another
 * tenant is then a replacement, which deletes before it creates). A host belongs to one pool of the
 * stack, so the names are unique. `aliases`: the names before this scheme (`<pool>-<address>-…`),
 * so stacks written then keep their resources.
 * @internal
 */
export function hostResourceName(pool: string, address: string, role: "prep" | "join") {
    const slug = (a: string) => a.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    const name = `host-${slug(hostIdentity(address))}-${role}`;
    const legacy = `${pool}-${slug(addressText(address))}-${role}`;
    return { name, aliases: legacy === name ? [] : [{ name: legacy }] };
}

/**
 * The host's KubeletConfiguration patch: the pool's, the host's over it, and the pool's cgroup driver; undefined when empty.
 * @internal
 */
export function kubeletConfigurationOf(args: WorkerPoolArgs, h: WorkerHostArgs): Record<string, unknown> | undefined {
    const cfg = {
        ...(args.cgroupDriver ? { cgroupDriver: args.cgroupDriver } : {}),
        ...args.kubeletConfiguration,
        ...h.kubeletConfiguration,
    };
    return Object.keys(cfg).length ? cfg : undefined;
}

/**
 * The problem of one OpenSSH host key line, as a reason (the caller names the property).
 * @internal
 */
export function hostKeyProblem(key: string, path: string): string | undefined {
    try {
        parsePublicKey(key, path);
        return undefined;
    } catch (e) {
        if (e instanceof InvalidProperty) return e.reason;
        throw e;
    }
}

/**
 * The plain values the pool rules look at (credentials by presence only).
 * @internal
 */
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

/** The budget every join of a pool shares: at most `maxUnavailable` drained at once (provider/kubeadm/rollout.ts). */
interface Rollout {
    pool: string;
    maxUnavailable: number;
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

        const errors = argumentErrors(name, args);
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
        const rollout: Rollout = { pool: label, maxUnavailable: args.maxUnavailable ?? 1 };
        const joins: NodeJoin[] = [];
        this.joins = {};
        this.preparations = {};
        args.hosts.forEach((h) => {
            const host: PoolHost = { parent: this, pool: name, args, h, version, rollout };
            const prep = preparedHost(host);
            this.preparations[h.address] = prep;
            const join = nodeJoin(host, prep);
            joins.push(join);
            this.joins[h.address] = join;
        });

        this.nodeNames = pulumi.all(joins.map((j) => j.nodeName));
        this.hostStatus = hostStatus(args.hosts, joins);
        this.registerOutputs({ nodeNames: this.nodeNames, hostStatus: this.hostStatus });
    }
}

/** Every rule on the pool's arguments that needs no other pool and no Output, in the order they are read. */
function argumentErrors(name: string, args: WorkerPoolArgs): PropertyError[] {
    const errors: PropertyError[] = [];
    if (!(args.controlPlane instanceof HostedControlPlane))
        errors.push({ propertyPath: "controlPlane", reason: "must be a HostedControlPlane component" });
    errors.push(...validateWorkerPool({ ...workerPoolValues(args), name }, hostKeyProblem));
    if (args.cgroupDriver !== undefined && !CGROUP_DRIVERS.includes(args.cgroupDriver))
        errors.push({
            propertyPath: "cgroupDriver",
            reason: `must be "systemd" (hosts that run systemd) or "cgroupfs" (hosts without systemd); got ${JSON.stringify(args.cgroupDriver)}`,
        });
    errors.push(...booleanErrors(args.resetForeignState, "resetForeignState"));
    (args.hosts ?? []).forEach((h, i) => errors.push(...bastionErrors(h.bastion, `hosts[${i}].bastion`, args)));
    (args.hosts ?? []).forEach((h, i) =>
        errors.push(...booleanErrors(h.resetForeignState, `hosts[${i}].resetForeignState`)),
    );
    if (
        args.containerd?.cgroupDriver !== undefined &&
        args.cgroupDriver !== undefined &&
        args.containerd.cgroupDriver !== args.cgroupDriver
    )
        errors.push({
            propertyPath: "containerd.cgroupDriver",
            reason: `differs from cgroupDriver (${args.cgroupDriver}); set cgroupDriver only, the pool gives it to containerd and the kubelet`,
        });
    errors.push(...kubeletConfigurationErrors(args.kubeletConfiguration, "kubeletConfiguration", args));
    (args.hosts ?? []).forEach((h, i) => {
        errors.push(...kubeletConfigurationErrors(h.kubeletConfiguration, `hosts[${i}].kubeletConfiguration`, args));
        const np = h.nodeName === undefined ? undefined : nodeNameProblem(h.nodeName);
        if (np) errors.push({ propertyPath: `hosts[${i}].nodeName`, reason: np });
    });
    return errors;
}

function booleanErrors(v: unknown, path: string): PropertyError[] {
    if (v !== undefined && typeof v !== "boolean")
        return [{ propertyPath: path, reason: `must be true or false; got ${JSON.stringify(v)}` }];
    return [];
}

/** A host's bastion: an address, and a pinned host key unless the pool trusts on first use. */
function bastionErrors(b: WorkerBastionArgs | undefined, path: string, args: WorkerPoolArgs): PropertyError[] {
    if (!b) return [];
    const errors: PropertyError[] = [];
    if (b.address === undefined || b.address === "")
        errors.push({ propertyPath: `${path}.address`, reason: "required: the jump host's address" });
    if (b.hostKey === undefined && args.trustOnFirstUse !== true)
        errors.push({
            propertyPath: `${path}.hostKey`,
            reason: 'required unless trustOnFirstUse is true: the bastion\'s public key ("ssh-ed25519 AAAA..."), from /etc/ssh/ssh_host_ed25519_key.pub on it or `ssh-keyscan -t ed25519 ADDRESS` over a trusted network',
        });
    else if (typeof b.hostKey === "string") {
        const p = hostKeyProblem(b.hostKey, `${path}.hostKey`);
        if (p) errors.push({ propertyPath: `${path}.hostKey`, reason: p });
    }
    return errors;
}

/** A KubeletConfiguration patch (the pool's or a host's): kubeadm's rules, and the pool's one cgroup driver. */
function kubeletConfigurationErrors(cfg: unknown, path: string, args: WorkerPoolArgs): PropertyError[] {
    const errors: PropertyError[] = kubeletConfigurationProblems(cfg, path);
    const c = cfg as Record<string, unknown> | undefined;
    if (c?.cgroupDriver !== undefined && args.cgroupDriver !== undefined && c.cgroupDriver !== args.cgroupDriver)
        errors.push({
            propertyPath: `${path}.cgroupDriver`,
            reason: `differs from the pool's cgroupDriver (${args.cgroupDriver}): containerd and the kubelet must use one driver; set cgroupDriver only`,
        });
    return errors;
}

/** One host of the pool, with what its preparation and join take from the pool. */
interface PoolHost {
    parent: WorkerPool;
    /** The pool's resource name. */
    pool: string;
    args: WorkerPoolArgs;
    h: WorkerHostArgs;
    /** The Kubernetes version, once the control plane's is known. */
    version: pulumi.Output<string>;
    rollout: Rollout;
}

/** The host's preparation: swap, kernel, containerd, kubelet and kubeadm, before it joins. */
function preparedHost({ parent, pool, args, h, version, rollout }: PoolHost): PreparedHost {
    const { name, aliases } = hostResourceName(pool, h.address, "prep");
    return new PreparedHost(
        name,
        {
            connection: hostConnection(h, args.trustOnFirstUse),
            kubernetesVersion: version,
            containerd:
                args.cgroupDriver === undefined
                    ? args.containerd
                    : { ...args.containerd, cgroupDriver: args.cgroupDriver },
            packageSource: args.packageSource ?? { kind: "apt" },
            reusePolicy: args.reusePolicy,
            // Re-preparing a joined host drains it and counts against the pool's budget.
            node: {
                tenantKubeconfig: args.controlPlane.kubeconfig,
                nodeName: h.nodeName ?? defaultNodeName(h.address),
                rollout,
            },
        },
        { parent, aliases },
    );
}

/** The host's kubeadm join, pinned to the host (and bastion) keys the preparation recorded. */
function nodeJoin({ parent, pool, args, h, version, rollout }: PoolHost, prep: PreparedHost): NodeJoin {
    const cp = args.controlPlane;
    const { name, aliases } = hostResourceName(pool, h.address, "join");
    return new NodeJoin(
        name,
        {
            connection: hostConnection(h, args.trustOnFirstUse, prep),
            tenantKubeconfig: cp.kubeconfig,
            apiEndpoint: args.apiEndpoint ?? cp.endpoint,
            caCertHash: cp.caCertHash,
            kubernetesVersion: version,
            nodeName: h.nodeName ?? defaultNodeName(h.address),
            labels: h.labels,
            taints: h.taints,
            kubeletConfiguration: kubeletConfigurationOf(args, h),
            ignorePreflightErrors: args.ignorePreflightErrors,
            resetForeignState: h.resetForeignState ?? args.resetForeignState,
            rollout,
        },
        { parent, dependsOn: [prep], aliases },
    );
}

/** Per host, in host order: its Node name, kubelet version and the join's outcome. */
function hostStatus(hosts: WorkerHostArgs[], joins: NodeJoin[]): pulumi.Output<WorkerHostStatus[]> {
    return pulumi.all(
        joins.map((j, i) =>
            pulumi.all([j.nodeName, j.kubeletVersion, j.outcome]).apply(([nodeName, kubeletVersion, outcome]) => ({
                address: hosts[i].address,
                nodeName,
                kubeletVersion,
                outcome,
            })),
        ),
    );
}
