/**
 * Validation rules for the components, being moved by concept to model/rules (DataStore
 * endpoints, network ranges, the control plane's arguments; Kubernetes versions: model/version.ts).
 * No Pulumi, no I/O, so every rule is table-tested. Each rule returns {@link PropertyError}s naming
 * the property path, the rule and the fix; the components collect all of them and report them
 * together.
 */
import { canonicalHost, defaultNodeName, hostIdentity } from "../model/hosts";
import { labelKeyProblem, labelValueProblem, selfLabelProblem, taintEffectProblem } from "../model/labels";
import { compareKubernetesVersions, parseKubernetesVersion, versionProblem } from "../model/version";
import { isPort, PropertyError } from "../model/rules/propertyError";

export { PropertyError } from "../model/rules/propertyError";
export { validateEndpoints } from "../model/rules/endpoints";
export { DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR, validateManagementRanges } from "../model/rules/ranges";
export {
    ControlPlaneValues,
    DEFAULT_KUBELET_ADDRESS_TYPES,
    KUBELET_ADDRESS_TYPES,
    KubeletAddressType,
    SERVICE_TYPES,
    ServiceType,
    validateControlPlane,
} from "../model/rules/controlPlane";

// ---------------------------------------------------------------------------------------------
// WorkerPool

export const REUSE_POLICIES = ["retain", "clean"];

/** The plain values of one host that the rules look at (credentials only by presence). */
export interface WorkerHostValues {
    address?: string;
    port?: number;
    user?: string;
    hasPrivateKey?: boolean;
    hasPassword?: boolean;
    /** undefined when it is an Output (not checked here). */
    hostKey?: string;
    hostKeyUnknown?: boolean;
    /** The Node name when set; otherwise {@link defaultNodeName} of the address. */
    nodeName?: string;
    labels?: Record<string, string>;
    taints?: { key?: string; value?: string; effect?: string }[];
}

export interface WorkerPoolValues {
    /** The pool's name, for messages. */
    name?: string;
    hosts?: WorkerHostValues[];
    kubernetesVersion?: string;
    /** The control plane's version, when known, for the kubelet version-skew rule. */
    controlPlaneVersion?: string;
    containerdVersion?: string;
    registryMirrors?: Record<string, string[]>;
    reusePolicy?: string;
    maxUnavailable?: number;
    trustOnFirstUse?: boolean;
    /** The version is an Output or comes from the control plane: checked later, when it resolves. */
    versionDeferred?: boolean;
}

/** A host's Node name as an error message tells it: explicit, or the default with where it came from. */
function nodeNameText(nodeName: string, explicit: boolean, address: string): string {
    return explicit ? `"${nodeName}"` : `"${nodeName}" (the default Node name, from address ${address})`;
}

/**
 * Every rule for a WorkerPool's arguments. `hostKeyProblem` checks one OpenSSH public key line
 * (injected so the SSH layer's parser is the single source of truth).
 */
export function validateWorkerPool(
    v: WorkerPoolValues,
    hostKeyProblem: (key: string, path: string) => string | undefined,
): PropertyError[] {
    const errors: PropertyError[] = [];
    const err = (propertyPath: string, reason: string) => errors.push({ propertyPath, reason });

    if (!Array.isArray(v.hosts))
        err("hosts", 'must be a list of hosts, e.g. [{ address: "192.0.2.11", user: "ops", privateKey, hostKey }]');
    const seen = new Map<string, number>();
    const nodeNames = new Map<string, number>();
    (v.hosts ?? []).forEach((h, i) => {
        const p = `hosts[${i}]`;
        if (typeof h.address !== "string" || h.address.trim() === "") {
            err(`${p}.address`, "is required: the host's IP address or DNS name as reachable over SSH");
        } else {
            const c = canonicalHost(h.address);
            if ("error" in c) err(`${p}.address`, c.error);
            const a = hostIdentity(h.address);
            const first = seen.get(a);
            if (first !== undefined) {
                const same =
                    v.hosts![first].address === h.address ? "" : ` (as ${v.hosts![first].address}, the same host)`;
                err(`${p}.address`, `${h.address} is listed twice (also hosts[${first}]${same}); list each host once`);
            } else {
                seen.set(a, i);
                // Two hosts with one Node name would both register as that one Node.
                const explicit = typeof h.nodeName === "string";
                const nodeName = explicit ? (h.nodeName as string) : defaultNodeName(h.address);
                const other = nodeNames.get(nodeName);
                if (other !== undefined) {
                    const pool = v.name === undefined ? "this pool" : `WorkerPool "${v.name}"`;
                    err(
                        `${p}.nodeName`,
                        `${nodeNameText(nodeName, explicit, h.address)} is also the nodeName of hosts[${other}] in ${pool}; two hosts with one Node name would become one Node: give each host its own nodeName`,
                    );
                } else nodeNames.set(nodeName, i);
            }
        }
        if (h.port !== undefined && !isPort(h.port))
            err(`${p}.port`, `must be a TCP port from 1 to 65535 (default 22); got ${h.port}`);
        if (h.user !== undefined && !/^[a-z_][a-z0-9_-]*\$?$/i.test(h.user))
            err(`${p}.user`, `must be a login name such as "ops" (default "root"); got "${h.user}"`);
        if (!h.hasPrivateKey && !h.hasPassword)
            err(`${p}`, "needs credentials: set privateKey (preferred) or password");
        if (h.hostKey !== undefined) {
            const hk = hostKeyProblem(h.hostKey, `${p}.hostKey`);
            if (hk) err(`${p}.hostKey`, hk);
        } else if (!h.hostKeyUnknown && !v.trustOnFirstUse) {
            err(
                `${p}.hostKey`,
                "is required so the host is authenticated: copy /etc/ssh/ssh_host_ed25519_key.pub from the host (or `ssh-keyscan -t ed25519 HOST`), or set trustOnFirstUse: true to record the key on first contact",
            );
        }
        for (const [k, val] of Object.entries(h.labels ?? {})) {
            const kp = labelKeyProblem(k) ?? selfLabelProblem(k);
            if (kp) err(`${p}.labels`, kp);
            const vp = labelValueProblem(val);
            if (vp) err(`${p}.labels["${k}"]`, vp);
        }
        (h.taints ?? []).forEach((t, j) => {
            const tp = `${p}.taints[${j}]`;
            const kp = labelKeyProblem(t.key);
            if (kp) err(`${tp}.key`, kp);
            const vp = t.value === undefined ? undefined : labelValueProblem(t.value);
            if (vp) err(`${tp}.value`, vp);
            const ep = taintEffectProblem(t.effect);
            if (ep) err(`${tp}.effect`, ep);
        });
    });

    const vp = v.versionDeferred ? undefined : versionProblem(v.kubernetesVersion);
    if (vp) err("kubernetesVersion", vp);
    else if (v.versionDeferred) {
        /* checked when the version resolves */
    } else if (v.controlPlaneVersion && parseKubernetesVersion(v.controlPlaneVersion)) {
        const k = parseKubernetesVersion(v.kubernetesVersion)!;
        const cp = parseKubernetesVersion(v.controlPlaneVersion)!;
        if (compareKubernetesVersions({ ...k, patch: 0 }, { ...cp, patch: 0 }) > 0) {
            err(
                "kubernetesVersion",
                `${v.kubernetesVersion} is newer than the control plane (${v.controlPlaneVersion}); kubelets must not be newer than the API server: upgrade the control plane first`,
            );
        } else if (k.major === cp.major && cp.minor - k.minor > 3) {
            err(
                "kubernetesVersion",
                `${v.kubernetesVersion} is more than 3 minor versions older than the control plane (${v.controlPlaneVersion}), outside Kubernetes' supported skew; upgrade the pool step by step`,
            );
        }
    }
    if (v.containerdVersion !== undefined && !/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.~+]+)?$/.test(v.containerdVersion)) {
        err(
            "containerd.version",
            `must be a containerd release such as "1.7.27" (optionally with a package revision, "1.7.27-4"); got "${v.containerdVersion}"`,
        );
    }
    for (const [registry, mirrors] of Object.entries(v.registryMirrors ?? {})) {
        if (/^[a-z]+:\/\//i.test(registry) || registry.includes("/"))
            err(
                "containerd.registryMirrors",
                `key "${registry}" must be a registry host such as "docker.io", without scheme or path`,
            );
        (mirrors ?? []).forEach((m, i) => {
            if (typeof m !== "string" || !/^https?:\/\/[^\s/]+/.test(m))
                err(
                    `containerd.registryMirrors["${registry}"][${i}]`,
                    `must be a mirror URL such as "https://mirror.example"; got "${m}"`,
                );
        });
    }
    if (v.reusePolicy !== undefined && !REUSE_POLICIES.includes(v.reusePolicy)) {
        err(
            "reusePolicy",
            `must be "retain" (leave the host as it is after removal) or "clean" (remove what preparation installed); got "${v.reusePolicy}"`,
        );
    }
    if (v.maxUnavailable !== undefined && (!Number.isInteger(v.maxUnavailable) || v.maxUnavailable < 1)) {
        err(
            "maxUnavailable",
            `must be a whole number >= 1 (how many hosts may be drained at once during an upgrade); got ${v.maxUnavailable}`,
        );
    } else if (
        v.maxUnavailable !== undefined &&
        Array.isArray(v.hosts) &&
        v.hosts.length > 0 &&
        v.maxUnavailable > v.hosts.length
    ) {
        const n = v.hosts.length;
        err(
            "maxUnavailable",
            `is ${v.maxUnavailable}, more than the pool's ${n} host${n === 1 ? "" : "s"}: at most ${n} can be drained at once; set it to ${n} or less`,
        );
    }
    return errors;
}

/** A host a pool claims: its address and, when it joins as a Node, its Node name. */
export interface HostClaim {
    address: string;
    /** Where the address is set, e.g. `hosts[0].address`. */
    path: string;
    /** The Node name the host registers as (explicit or the default). */
    nodeName?: string;
    /** Where the Node name is set (or would be), e.g. `hosts[0].nodeName`. */
    nodeNamePath?: string;
    /** The Node name is the default, derived from the address. */
    nodeNameDefault?: boolean;
}

/**
 * Hosts claimed by the pools of this program (one program = one stack), keyed by
 * {@link hostIdentity}, and the Node names they register as. A host may belong to one pool only
 * (two pools would fight over it), and a Node name to one host only (two hosts with one Node name
 * become one Node).
 */
export class HostRegistry {
    private readonly owners = new Map<string, string>();
    private readonly nodes = new Map<string, { pool: string; host: string }>();

    /** Claims the hosts for `pool`; returns an error per host or Node name another pool already claimed. */
    claim(pool: string, addresses: HostClaim[]): PropertyError[] {
        const errors: PropertyError[] = [];
        for (const { address, path, nodeName, nodeNamePath, nodeNameDefault } of addresses) {
            const id = hostIdentity(address);
            const owner = this.owners.get(id);
            if (owner !== undefined && owner !== pool) {
                errors.push({
                    propertyPath: path,
                    reason: `${address} already belongs to WorkerPool "${owner}" in this stack; a host can join one pool only: remove it from one of them`,
                });
                continue;
            }
            const node = nodeName === undefined ? undefined : this.nodes.get(nodeName);
            if (node !== undefined && node.pool !== pool) {
                errors.push({
                    propertyPath: nodeNamePath ?? path,
                    reason: `${nodeNameText(nodeName!, !nodeNameDefault, address)} is also the nodeName of ${node.host} in WorkerPool "${node.pool}" in this stack; two hosts with one Node name would become one Node: give each host its own nodeName`,
                });
            }
        }
        if (errors.length === 0)
            for (const { address, path, nodeName, nodeNamePath } of addresses) {
                this.owners.set(hostIdentity(address), pool);
                if (nodeName !== undefined)
                    this.nodes.set(nodeName, {
                        pool,
                        host: (nodeNamePath ?? path).replace(/\.(nodeName|address)$/, ""),
                    });
            }
        return errors;
    }

    /** Claims a pool's hosts as written in its `hosts` (Node names defaulted from the addresses). */
    claimPoolHosts(pool: string, hosts: { address: string; nodeName?: string }[]): PropertyError[] {
        return this.claim(
            pool,
            hosts.map((h, i) => ({
                address: h.address,
                path: `hosts[${i}].address`,
                nodeName: h.nodeName ?? defaultNodeName(h.address),
                nodeNamePath: `hosts[${i}].nodeName`,
                nodeNameDefault: h.nodeName === undefined,
            })),
        );
    }

    release(pool: string): void {
        for (const [k, v] of [...this.owners]) if (v === pool) this.owners.delete(k);
        for (const [k, v] of [...this.nodes]) if (v.pool === pool) this.nodes.delete(k);
    }

    clear(): void {
        this.owners.clear();
        this.nodes.clear();
    }
}

/** The registry shared by every WorkerPool in this program. */
export const stackHosts = new HostRegistry();

const registries = new WeakMap<object, HostRegistry>();

/**
 * The registry of the program run in progress. Automation API inline programs run many times in
 * one process, so the registry belongs to the run's Stack resource, not to the module; without a
 * Stack resource (unit tests with mocks) it is `stackHosts`.
 */
export function currentStackHosts(stackResource: object | undefined): HostRegistry {
    if (!stackResource) return stackHosts;
    let r = registries.get(stackResource);
    if (!r) registries.set(stackResource, (r = new HostRegistry()));
    return r;
}
