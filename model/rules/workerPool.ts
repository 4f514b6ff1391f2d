/**
 * The rules for a WorkerPool's arguments: per host, its address (each host and Node name once),
 * SSH connection, labels and taints; for the pool, the kubelet version against the control
 * plane's, containerd, and how hosts are removed and upgraded.
 */
import { canonicalHost, defaultNodeName, hostIdentity } from "../hosts";
import { labelKeyProblem, labelValueProblem, selfLabelProblem, taintEffectProblem } from "../labels";
import { compareKubernetesVersions, parseKubernetesVersion, versionProblem } from "../version";
import { containerdVersionProblem, registryMirrorRules, reusePolicyProblem } from "./containerd";
import { errorList, isPort, PropertyError, Report } from "./propertyError";

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

/** Checks one OpenSSH public key line; injected so the SSH layer's parser is the single source of truth. */
export type HostKeyProblem = (key: string, path: string) => string | undefined;

/** A host's Node name as an error message tells it: explicit, or the default with where it came from. */
export function nodeNameText(nodeName: string, explicit: boolean, address: string): string {
    return explicit ? `"${nodeName}"` : `"${nodeName}" (the default Node name, from address ${address})`;
}

/**
 * Every rule for a WorkerPool's arguments. `hostKeyProblem` checks one OpenSSH public key line
 * (injected so the SSH layer's parser is the single source of truth).
 */
export function validateWorkerPool(v: WorkerPoolValues, hostKeyProblem: HostKeyProblem): PropertyError[] {
    const { errors, err } = errorList();
    if (!Array.isArray(v.hosts))
        err("hosts", 'must be a list of hosts, e.g. [{ address: "192.0.2.11", user: "ops", privateKey, hostKey }]');
    const seen: SeenHosts = { addresses: new Map(), nodeNames: new Map() };
    (v.hosts ?? []).forEach((h, i) => {
        const p = `hosts[${i}]`;
        hostAddressRules(v, h, i, seen, err);
        connectionRules(h, p, v.trustOnFirstUse, hostKeyProblem, err);
        nodeLabelRules(h, p, err);
    });
    kubeletVersionRules(v, err);
    containerdRules(v, err);
    removalAndUpgradeRules(v, err);
    return errors;
}

/** The hosts (by {@link hostIdentity}) and Node names met so far in the pool, with their index. */
interface SeenHosts {
    addresses: Map<string, number>;
    nodeNames: Map<string, number>;
}

/** The address is a host, listed once, and its Node name is no other host's. */
function hostAddressRules(v: WorkerPoolValues, h: WorkerHostValues, i: number, seen: SeenHosts, err: Report): void {
    const p = `hosts[${i}]`;
    if (typeof h.address !== "string" || h.address.trim() === "") {
        err(`${p}.address`, "is required: the host's IP address or DNS name as reachable over SSH");
        return;
    }
    const c = canonicalHost(h.address);
    if ("error" in c) err(`${p}.address`, c.error);
    const a = hostIdentity(h.address);
    const first = seen.addresses.get(a);
    if (first !== undefined) {
        const same = v.hosts![first].address === h.address ? "" : ` (as ${v.hosts![first].address}, the same host)`;
        err(`${p}.address`, `${h.address} is listed twice (also hosts[${first}]${same}); list each host once`);
        return;
    }
    seen.addresses.set(a, i);
    // Two hosts with one Node name would both register as that one Node.
    const explicit = typeof h.nodeName === "string";
    const nodeName = explicit ? (h.nodeName as string) : defaultNodeName(h.address);
    const other = seen.nodeNames.get(nodeName);
    if (other !== undefined) {
        const pool = v.name === undefined ? "this pool" : `WorkerPool "${v.name}"`;
        err(
            `${p}.nodeName`,
            `${nodeNameText(nodeName, explicit, h.address)} is also the nodeName of hosts[${other}] in ${pool}; two hosts with one Node name would become one Node: give each host its own nodeName`,
        );
    } else seen.nodeNames.set(nodeName, i);
}

/** The SSH port, user, credentials and pinned host key. */
function connectionRules(
    h: WorkerHostValues,
    p: string,
    trustOnFirstUse: boolean | undefined,
    hostKeyProblem: HostKeyProblem,
    err: Report,
): void {
    if (h.port !== undefined && !isPort(h.port))
        err(`${p}.port`, `must be a TCP port from 1 to 65535 (default 22); got ${h.port}`);
    if (h.user !== undefined && !/^[a-z_][a-z0-9_-]*\$?$/i.test(h.user))
        err(`${p}.user`, `must be a login name such as "ops" (default "root"); got "${h.user}"`);
    if (!h.hasPrivateKey && !h.hasPassword) err(`${p}`, "needs credentials: set privateKey (preferred) or password");
    if (h.hostKey !== undefined) {
        const hk = hostKeyProblem(h.hostKey, `${p}.hostKey`);
        if (hk) err(`${p}.hostKey`, hk);
    } else if (!h.hostKeyUnknown && !trustOnFirstUse) {
        err(
            `${p}.hostKey`,
            "is required so the host is authenticated: copy /etc/ssh/ssh_host_ed25519_key.pub from the host (or `ssh-keyscan -t ed25519 HOST`), or set trustOnFirstUse: true to record the key on first contact",
        );
    }
}

/** The Node's labels and taints, as the kubelet may set them. */
function nodeLabelRules(h: WorkerHostValues, p: string, err: Report): void {
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
}

/** The kubelet version: a release, not newer than the control plane and at most 3 minors older. */
function kubeletVersionRules(v: WorkerPoolValues, err: Report): void {
    if (v.versionDeferred) return; // checked when the version resolves
    const vp = versionProblem(v.kubernetesVersion);
    if (vp) return err("kubernetesVersion", vp);
    if (!v.controlPlaneVersion || !parseKubernetesVersion(v.controlPlaneVersion)) return;
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

/** The containerd release and the registry mirrors (the rules: ./containerd.ts). */
function containerdRules(v: WorkerPoolValues, err: Report): void {
    const version = v.containerdVersion === undefined ? undefined : containerdVersionProblem(v.containerdVersion);
    if (version) err("containerd.version", version);
    registryMirrorRules(v.registryMirrors, err);
}

/** What removal leaves on a host, and how many hosts an upgrade may drain at once. */
function removalAndUpgradeRules(v: WorkerPoolValues, err: Report): void {
    const reuse = reusePolicyProblem(v.reusePolicy);
    if (reuse) err("reusePolicy", reuse);
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
}
