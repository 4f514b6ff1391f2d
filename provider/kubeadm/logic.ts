/**
 * Pure logic for NodeJoin: kubeadm JoinConfiguration rendering, input rules, diff rules and the
 * remote command sequences. No I/O here.
 */
import * as yaml from "js-yaml";
import {
    labelKeyProblem,
    labelValueProblem,
    selfLabelProblem,
    TaintEffect,
    taintEffectProblem,
} from "../../model/labels";
import { nodeNameProblem } from "../../model/names";
import { parseKubernetesVersion } from "../../model/version";
import { parsePublicKey, pinRecordedHostKey } from "../../lib/ssh/logic";

export interface JoinSpec {
    kubernetesVersion: string;
    /** host:port of the tenant API server, no scheme. */
    apiEndpoint: string;
    token: string;
    caCertHash: string;
    nodeName: string;
    criSocket?: string;
    labels?: Record<string, string>;
    taints?: Taint[];
    kubeletExtraArgs?: Record<string, string>;
    /** Fields of the kubelet's KubeletConfiguration for this node, merged over the cluster's (a kubeadm patch). */
    kubeletConfiguration?: Record<string, unknown>;
    ignorePreflightErrors?: string[];
}

export interface Taint {
    key: string;
    value?: string;
    effect: TaintEffect;
}

export const DEFAULT_CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";
export const KUBELET_CONF = "/etc/kubernetes/kubelet.conf";
export const JOIN_CONFIG_PATH = "/etc/kubernetes/hcp-join-configuration.yaml";
/**
 * Written before `kubeadm join` runs and removed once it succeeded: files kubeadm left beside it
 * are from a join of this package that was cut short, and may be reset without asking.
 */
export const JOIN_MARKER = "/etc/kubernetes/hcp-join-started";
/** What kubeadm leaves on a host that joined (or began to join) a cluster, kubelet.conf aside. */
export const NODE_STATE_FILES = [
    "/etc/kubernetes/bootstrap-kubelet.conf",
    "/etc/kubernetes/pki/ca.crt",
    "/var/lib/kubelet/config.yaml",
];

/**
 * The refusal for a host holding node state that no join of this package left: it may be a node of
 * another cluster, and `kubeadm reset -f` would take it out of that cluster.
 */
export function foreignStateProblem(address: string, found: string[]): string {
    return (
        `host ${address} holds Kubernetes node state (${found.join(", ")}) but no ${KUBELET_CONF} and no sign of an ` +
        `interrupted join by this package: it may be a node of another cluster, so it was left as it is and not joined. ` +
        `If the host may be wiped, set resetForeignState: true for it (WorkerPool: hosts[i].resetForeignState or the ` +
        `pool's resetForeignState) and run again: the join then runs \`kubeadm reset -f\` first; otherwise take the ` +
        `host out of the pool`
    );
}
/** kubeadm's patches directory for this node: the kubeletConfiguration patch lives there. */
export const PATCHES_DIR = "/etc/kubernetes/hcp-patches";
/** kubeadm reads <target>+<patchtype>.<extension>: a JSON merge patch of the KubeletConfiguration. */
export const KUBELET_PATCH_PATH = `${PATCHES_DIR}/kubeletconfiguration+merge.json`;
/** Which NodeJoin owns the host (provider/ownership.ts). kubeadm reset leaves it; delete removes it. */
export const OWNER_PATH = "/etc/kubernetes/hcp-owner.json";
/** Where kubeadm writes the kubelet's flags (KUBELET_KUBEADM_ARGS), read by the kubelet unit's drop-in. */
export const KUBELET_FLAGS_ENV = "/var/lib/kubelet/kubeadm-flags.env";

/** kubeadm's config API for a Kubernetes version: v1beta4 from 1.31, v1beta3 below. */
export function kubeadmApiVersion(kubernetesVersion: string): "kubeadm.k8s.io/v1beta4" | "kubeadm.k8s.io/v1beta3" {
    const v = parseKubernetesVersion(kubernetesVersion);
    if (!v) throw new Error(`kubernetesVersion: must look like v1.34.4 (got ${JSON.stringify(kubernetesVersion)})`);
    return v.major > 1 || v.minor >= 31 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

/** The kubelet flags kubeadm passes through: labels become --node-labels. */
function kubeletArgs(spec: Pick<JoinSpec, "labels" | "kubeletExtraArgs">): Record<string, string> {
    const args: Record<string, string> = { ...(spec.kubeletExtraArgs ?? {}) };
    const labels = Object.entries(spec.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    if (labels.length) args["node-labels"] = labels.join(",");
    return args;
}

/** The JoinConfiguration YAML for `kubeadm join --config`. It holds the token: upload it 0600. */
export function renderJoinConfiguration(spec: JoinSpec): string {
    const apiVersion = kubeadmApiVersion(spec.kubernetesVersion);
    const args = kubeletArgs(spec);
    const v4 = apiVersion.endsWith("v1beta4");
    const nodeRegistration: any = {
        name: spec.nodeName,
        criSocket: spec.criSocket ?? DEFAULT_CRI_SOCKET,
        taints: (spec.taints ?? []).map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : t)),
        kubeletExtraArgs: v4 ? Object.entries(args).map(([name, value]) => ({ name, value })) : args,
    };
    if (spec.ignorePreflightErrors?.length) nodeRegistration.ignorePreflightErrors = spec.ignorePreflightErrors;
    const patched = Object.keys(spec.kubeletConfiguration ?? {}).length > 0;
    const doc: any = {
        apiVersion,
        kind: "JoinConfiguration",
        discovery: {
            bootstrapToken: { apiServerEndpoint: spec.apiEndpoint, token: spec.token, caCertHashes: [spec.caCertHash] },
            tlsBootstrapToken: spec.token,
        },
        nodeRegistration,
        ...(patched ? { patches: { directory: PATCHES_DIR } } : {}),
    };
    return yaml.dump(doc, { lineWidth: -1 });
}

/** The kubeletConfiguration patch file (JSON merge patch), or undefined when there is none. */
export function renderKubeletPatch(cfg: Record<string, unknown> | undefined): string | undefined {
    return cfg && Object.keys(cfg).length ? JSON.stringify(cfg, null, 2) + "\n" : undefined;
}

// ------------------------------------------------------------------ input rules

const CA_HASH = /^sha256:[0-9a-f]{64}$/;
export interface Failure {
    property: string;
    reason: string;
}

/** The labels' problems, each on `property.key` (the rules: model/labels.ts). */
export function labelProblems(labels: Record<string, string> | undefined, property = "labels"): Failure[] {
    const out: Failure[] = [];
    for (const [k, v] of Object.entries(labels ?? {})) {
        const kp = labelKeyProblem(k) ?? selfLabelProblem(k);
        if (kp) out.push({ property: `${property}.${k}`, reason: kp });
        const vp = labelValueProblem(v);
        if (vp) out.push({ property: `${property}.${k}`, reason: vp });
    }
    return out;
}

/** The taints' problems, each on `property[i].key|value|effect` (the rules: model/labels.ts). */
export function taintProblems(taints: Taint[] | undefined, property = "taints"): Failure[] {
    const out: Failure[] = [];
    (taints ?? []).forEach((t, i) => {
        const problems = {
            key: labelKeyProblem(t?.key),
            value: t?.value === undefined ? undefined : labelValueProblem(t.value),
            effect: taintEffectProblem(t?.effect),
        };
        for (const [field, reason] of Object.entries(problems))
            if (reason) out.push({ property: `${property}[${i}].${field}`, reason });
    });
    return out;
}

const KUBELET_FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Characters a shell or systemd would read as more than a value (newlines are refused as whitespace). */
const KUBELET_FLAG_METACHARACTERS = /[$`\\"';&|<>(){}]/;

export function kubeletExtraArgProblems(args: unknown, property = "kubeletExtraArgs"): Failure[] {
    if (args === undefined || args === null) return [];
    if (typeof args !== "object" || Array.isArray(args)) {
        return [{ property, reason: 'must be a map of kubelet flag names to values, e.g. { "max-pods": "50" }' }];
    }
    const out: Failure[] = [];
    for (const [k, v] of Object.entries(args)) {
        if (!KUBELET_FLAG_NAME.test(k)) {
            out.push({
                property: `${property}.${k}`,
                reason: "must be a kubelet flag name without the leading dashes, e.g. max-pods",
            });
        } else if (k === "node-labels") {
            out.push({
                property: `${property}.${k}`,
                reason: "set labels instead: they become --node-labels and are kept in sync on the Node",
            });
        }
        // systemd splits KUBELET_KUBEADM_ARGS at whitespace, so such a value would become two arguments.
        if (typeof v !== "string" || /[\s\x00-\x1f\x7f]/.test(v)) {
            out.push({
                property: `${property}.${k}`,
                reason:
                    `must be a string without spaces or control characters (got ${JSON.stringify(v)}); the kubelet's flags ` +
                    `are split at whitespace. For a list use the flag's own separator, e.g. "cpu=500m,memory=1Gi"`,
            });
        } else if (KUBELET_FLAG_METACHARACTERS.test(v)) {
            out.push({
                property: `${property}.${k}`,
                reason:
                    `must not contain any of $ \` \\ " ' ; & | < > ( ) { } (got ${JSON.stringify(v)}): kubeadm writes the value into ` +
                    `${KUBELET_FLAGS_ENV}, which must hold plain flag values; set such a setting in kubeletConfiguration instead ` +
                    `(e.g. evictionHard: { "memory.available": "100Mi" })`,
            });
        }
    }
    return out;
}

const KUBELET_CONFIG_FIELD = /^[a-z][A-Za-z0-9]*$/;

/** kubeletConfiguration: a map of KubeletConfiguration fields (camelCase), merged over the cluster's. */
export function kubeletConfigurationProblems(cfg: unknown, property = "kubeletConfiguration"): Failure[] {
    if (cfg === undefined || cfg === null) return [];
    if (typeof cfg !== "object" || Array.isArray(cfg)) {
        return [
            {
                property,
                reason: 'must be a map of KubeletConfiguration fields, e.g. { maxPods: 50, cgroupDriver: "cgroupfs" }',
            },
        ];
    }
    const out: Failure[] = [];
    for (const k of Object.keys(cfg)) {
        if (k === "apiVersion" || k === "kind") {
            out.push({ property: `${property}.${k}`, reason: "is set by kubeadm; give only the fields to change" });
        } else if (!KUBELET_CONFIG_FIELD.test(k)) {
            out.push({
                property: `${property}.${k}`,
                reason: "must be a KubeletConfiguration field name in camelCase, e.g. maxPods (kubelet flags go in kubeletExtraArgs)",
            });
        }
    }
    return out;
}

/** Problems of the inputs; inputs not known yet (preview) are left to the next check. */
export function joinProblems(inputs: any, unknown: (key: string) => boolean = () => false): Failure[] {
    const out: Failure[] = [];
    for (const key of ["tenantKubeconfig", "apiEndpoint", "caCertHash", "kubernetesVersion", "nodeName"]) {
        if (!unknown(key) && (typeof inputs[key] !== "string" || inputs[key] === "")) {
            out.push({ property: key, reason: "is required" });
        }
    }
    if (
        !unknown("kubernetesVersion") &&
        typeof inputs.kubernetesVersion === "string" &&
        !parseKubernetesVersion(inputs.kubernetesVersion)
    ) {
        out.push({
            property: "kubernetesVersion",
            reason: `must look like v1.34.4 (got ${JSON.stringify(inputs.kubernetesVersion)}); use the tenant control plane's version`,
        });
    }
    if (!unknown("nodeName") && typeof inputs.nodeName === "string" && nodeNameProblem(inputs.nodeName)) {
        out.push({ property: "nodeName", reason: nodeNameProblem(inputs.nodeName)! });
    }
    if (
        !unknown("apiEndpoint") &&
        typeof inputs.apiEndpoint === "string" &&
        !/^[^/:\s]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(inputs.apiEndpoint)
    ) {
        out.push({
            property: "apiEndpoint",
            reason: `must be host:port without a scheme, e.g. 10.0.0.10:6443 (got ${JSON.stringify(inputs.apiEndpoint)})`,
        });
    }
    if (!unknown("caCertHash") && typeof inputs.caCertHash === "string" && !CA_HASH.test(inputs.caCertHash)) {
        out.push({
            property: "caCertHash",
            reason: "must be sha256:<64 hex> of the tenant CA's public key (kubeadm's --discovery-token-ca-cert-hash); take HostedControlPlane.caCertHash",
        });
    }
    if (!unknown("labels")) out.push(...labelProblems(inputs.labels));
    if (!unknown("taints")) out.push(...taintProblems(inputs.taints));
    if (!unknown("kubeletExtraArgs")) out.push(...kubeletExtraArgProblems(inputs.kubeletExtraArgs));
    if (!unknown("kubeletConfiguration")) out.push(...kubeletConfigurationProblems(inputs.kubeletConfiguration));
    if (
        inputs.drainTimeoutSeconds !== undefined &&
        !(Number.isInteger(inputs.drainTimeoutSeconds) && inputs.drainTimeoutSeconds > 0)
    ) {
        out.push({ property: "drainTimeoutSeconds", reason: "must be a positive whole number of seconds, e.g. 300" });
    }
    return out;
}

// ------------------------------------------------------------------ diff rules

/** Inputs whose change means the node must leave and join again. */
export const REPLACE_KEYS = ["address", "port", "nodeName", "apiEndpoint", "caCertHash", "criSocket"];
/**
 * Inputs changed in place: version (an upgrade), labels/taints (patched on the Node) and
 * kubeletExtraArgs (kubeadm-flags.env rewritten, kubelet restarted).
 */
export const UPDATE_KEYS = ["kubernetesVersion", "labels", "taints", "kubeletExtraArgs", "kubeletConfiguration"];

export function changedKeys(olds: any, news: any, keys: string[]): string[] {
    return keys.filter((k) => JSON.stringify(olds?.[k] ?? null) !== JSON.stringify(news?.[k] ?? null));
}

/**
 * The host key a connection pins, as "type base64": its hostKey, else the key recorded at creation
 * (trust on first use). Unparsable keys are returned as they are (check reports them).
 */
export function pinnedHostKey(connection: { hostKey?: string } | undefined, recorded?: string): string | undefined {
    const key = pinRecordedHostKey(connection ?? {}, recorded).hostKey;
    try {
        return key ? parsePublicKey(key).line : undefined;
    } catch {
        return key;
    }
}

// ------------------------------------------------------------------ node operations (pure parts)

/** Pods that a drain evicts: not mirror pods, not DaemonSet pods, not already finished. */
export function podsToEvict(pods: any[]): any[] {
    return pods.filter((p) => {
        const owners: any[] = p.metadata?.ownerReferences ?? [];
        if (p.metadata?.annotations?.["kubernetes.io/config.mirror"]) return false;
        if (owners.some((o) => o.kind === "DaemonSet")) return false;
        return !["Succeeded", "Failed"].includes(p.status?.phase);
    });
}

/** The Node's taints with `desired` managed ones in place of `previous` managed ones. */
export function mergeTaints(current: Taint[], previous: Taint[], desired: Taint[]): Taint[] {
    const key = (t: Taint) => `${t.key}:${t.effect}`;
    const prev = new Set(previous.map(key));
    return [...current.filter((t) => !prev.has(key(t))), ...desired];
}

// ------------------------------------------------------------------ kubelet flags (kubeadm-flags.env)

const FLAGS_VAR = "KUBELET_KUBEADM_ARGS";
const FLAGS_LINE = new RegExp(`^\\s*(export\\s+)?${FLAGS_VAR}=(.*)$`);

/** A value as sh and systemd's EnvironmentFile read it: "double" (with \\ escapes), 'single' or bare. */
function unquote(raw: string): string {
    let out = "";
    let i = 0;
    while (i < raw.length) {
        const c = raw[i];
        if (c === '"') {
            i++;
            while (i < raw.length && raw[i] !== '"') {
                if (raw[i] === "\\" && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1])) i++;
                out += raw[i++];
            }
            if (i >= raw.length) throw new Error(`${KUBELET_FLAGS_ENV}: ${FLAGS_VAR} has an unterminated double quote`);
            i++;
        } else if (c === "'") {
            const end = raw.indexOf("'", i + 1);
            if (end < 0) throw new Error(`${KUBELET_FLAGS_ENV}: ${FLAGS_VAR} has an unterminated single quote`);
            out += raw.slice(i + 1, end);
            i = end + 1;
        } else if (c === "\\" && i + 1 < raw.length) {
            out += raw[i + 1];
            i += 2;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

/** The kubelet's arguments in kubeadm-flags.env, split at whitespace as systemd splits $KUBELET_KUBEADM_ARGS. */
export function parseKubeletFlagsEnv(content: string): string[] {
    const line = content
        .split("\n")
        .map((l) => FLAGS_LINE.exec(l))
        .filter((m) => m)
        .pop();
    return line ? unquote(line[2].trim()).split(/\s+/).filter(Boolean) : [];
}

/** kubeadm-flags.env with KUBELET_KUBEADM_ARGS set to `args`, double-quoted as kubeadm writes it; other lines kept. */
export function renderKubeletFlagsEnv(content: string, args: string[]): string {
    const line = `${FLAGS_VAR}="${args.join(" ").replace(/["\\$`]/g, "\\$&")}"`;
    const lines = content.replace(/\n$/, "").split("\n");
    let last = -1;
    lines.forEach((l, i) => {
        if (FLAGS_LINE.test(l)) last = i;
    });
    if (last >= 0) lines[last] = line;
    else if (lines.length === 1 && lines[0] === "") lines[0] = line;
    else lines.push(line);
    return lines.join("\n") + "\n";
}

/** "--name=value" or "--name" → name; anything else (kubeadm writes no such word) → undefined. */
function flagName(arg: string): string | undefined {
    return /^--([^=]+)/.exec(arg)?.[1];
}

/**
 * The kubelet's arguments after a kubeletExtraArgs change: the previous extra flags dropped, the
 * new ones set (in place when kubeadm wrote that flag too, else appended), --node-labels as the
 * labels define it; kubeadm's own flags kept as they are.
 */
export function kubeletFlagsAfter(
    current: string[],
    previousExtraArgs: Record<string, string> | undefined,
    desired: Pick<JoinSpec, "labels" | "kubeletExtraArgs">,
): string[] {
    const want = kubeletArgs(desired);
    const drop = new Set([...Object.keys(previousExtraArgs ?? {}), "node-labels"]);
    const placed = new Set<string>();
    const out: string[] = [];
    for (const arg of current) {
        const name = flagName(arg);
        if (name !== undefined && name in want) {
            if (!placed.has(name)) out.push(`--${name}=${want[name]}`);
            placed.add(name);
        } else if (name === undefined || !drop.has(name)) {
            out.push(arg);
        }
    }
    for (const name of Object.keys(want).sort()) if (!placed.has(name)) out.push(`--${name}=${want[name]}`);
    return out;
}

/** kubeadm-flags.env rewritten for the new kubeletExtraArgs and labels (see kubeletFlagsAfter). */
export function rewriteKubeletFlagsEnv(
    content: string,
    previousExtraArgs: Record<string, string> | undefined,
    desired: Pick<JoinSpec, "labels" | "kubeletExtraArgs">,
): string {
    return renderKubeletFlagsEnv(content, kubeletFlagsAfter(parseKubeletFlagsEnv(content), previousExtraArgs, desired));
}
