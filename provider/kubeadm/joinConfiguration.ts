/** The kubeadm JoinConfiguration of a node, and the kubeletConfiguration patch beside it. */
import * as yaml from "js-yaml";
import type { Taint } from "../../model/labels";
import { parseKubernetesVersion } from "../../model/version";
import { PATCHES_DIR } from "./hostPaths";

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

export const DEFAULT_CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";

/** kubeadm's config API for a Kubernetes version: v1beta4 from 1.31, v1beta3 below. */
export function kubeadmApiVersion(kubernetesVersion: string): "kubeadm.k8s.io/v1beta4" | "kubeadm.k8s.io/v1beta3" {
    const v = parseKubernetesVersion(kubernetesVersion);
    if (!v) throw new Error(`kubernetesVersion: must look like v1.34.4 (got ${JSON.stringify(kubernetesVersion)})`);
    return v.major > 1 || v.minor >= 31 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

/** The kubelet flags kubeadm passes through: labels become --node-labels. */
export function kubeletArgs(spec: Pick<JoinSpec, "labels" | "kubeletExtraArgs">): Record<string, string> {
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
