/**
 * What `kubeadm init` leaves in a cluster for `kubeadm join`, and what Kamaji's tenant-side phases
 * (UploadConfigKubeadm, UploadConfigKubelet, BootstrapToken, ClusterAdminRBAC) create. Names and
 * contents follow kubeadm v1.34 (cmd/kubeadm/app/phases/{bootstraptoken/clusterinfo,
 * bootstraptoken/node, uploadconfig, kubelet} and constants); written here from that reference.
 *
 * `tenantBootstrapObjects` is pure; `applyTenantBootstrap` creates or updates the objects.
 */
import * as crypto from "crypto";
import * as yaml from "js-yaml";
import { parseRecordedVersion } from "../../model/version";
import { KubeApiError, KubeClient } from "../../provider/kube";
import { renderClusterInfoKubeconfig } from "./kubeconfig";
import { CLUSTER_ADMINS_GROUP, nthIp } from "./pki";

export const NODE_BOOTSTRAP_TOKEN_GROUP = "system:bootstrappers:kubeadm:default-node-token";
export const NODES_GROUP = "system:nodes";
const RBAC = "rbac.authorization.k8s.io";

export interface JsonPatchOp {
    op: "add" | "remove" | "replace" | "move" | "copy" | "test";
    path: string;
    value?: unknown;
    from?: string;
}

export interface BootstrapOptions {
    clusterName: string;
    /** https://host:port, what cluster-info and the kubeconfigs point at. */
    server: string;
    caPem: string;
    kubernetesVersion: string;
    serviceCidr: string;
    podCidr: string;
    clusterDomain: string;
    etcdEndpoints: string[];
    cgroupDriver: "systemd" | "cgroupfs";
    /** RFC 6902 patches applied to the uploaded KubeletConfiguration (TCP spec.kubernetes.kubelet.configurationJSONPatches). */
    kubeletConfigPatches?: JsonPatchOp[];
    /**
     * The kube-proxy addon's configuration objects (ConfigMap, ServiceAccount, RBAC), as kubeadm's
     * proxy phase writes them, so `kubeadm join` finds them. No DaemonSet: the lab runs no pods.
     */
    kubeProxy?: boolean;
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        annotations?: Record<string, string>;
        labels?: Record<string, string>;
    };
    [k: string]: unknown;
}

/** "v1.34.4" for "1.34.4" or "v1.34.4". */
export function normalizeVersion(v: string): string {
    const p = parseRecordedVersion(v.trim());
    if (!p) throw new Error(`kubernetesVersion: "${v}" must look like v1.34.4`);
    return `v${p.major}.${p.minor}.${p.patch}`;
}

export function clusterConfigurationYaml(o: BootstrapOptions): string {
    const u = new URL(o.server);
    return yaml.dump(
        {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "ClusterConfiguration",
            apiServer: {},
            caCertificateValidityPeriod: "87600h0m0s",
            certificateValidityPeriod: "8760h0m0s",
            certificatesDir: "/etc/kubernetes/pki",
            clusterName: o.clusterName,
            controlPlaneEndpoint: u.host,
            controllerManager: {},
            dns: {},
            encryptionAlgorithm: "RSA-2048",
            etcd: {
                external: {
                    endpoints: o.etcdEndpoints,
                    caFile: "/etc/kubernetes/pki/etcd/ca.crt",
                    certFile: "/etc/kubernetes/pki/etcd/server.crt",
                    keyFile: "/etc/kubernetes/pki/etcd/server.key",
                },
            },
            imageRepository: "registry.k8s.io",
            kubernetesVersion: normalizeVersion(o.kubernetesVersion),
            networking: { dnsDomain: o.clusterDomain, podSubnet: o.podCidr, serviceSubnet: o.serviceCidr },
            proxy: {},
            scheduler: {},
        },
        { lineWidth: -1, sortKeys: false },
    );
}

/** kubeadm's default KubeletConfiguration for joining nodes, with the TCP's cgroup driver and patches. */
export function kubeletConfiguration(o: BootstrapOptions): Record<string, unknown> {
    const cfg: Record<string, unknown> = {
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        authentication: {
            anonymous: { enabled: false },
            webhook: { cacheTTL: "0s", enabled: true },
            x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
        },
        authorization: { mode: "Webhook", webhook: { cacheAuthorizedTTL: "0s", cacheUnauthorizedTTL: "0s" } },
        cgroupDriver: o.cgroupDriver,
        clusterDNS: [nthIp(o.serviceCidr, 10)],
        clusterDomain: o.clusterDomain,
        containerRuntimeEndpoint: "",
        cpuManagerReconcilePeriod: "0s",
        evictionPressureTransitionPeriod: "0s",
        fileCheckFrequency: "0s",
        healthzBindAddress: "127.0.0.1",
        healthzPort: 10248,
        httpCheckFrequency: "0s",
        imageMaximumGCAge: "0s",
        imageMinimumGCAge: "0s",
        logging: {
            flushFrequency: 0,
            options: { json: { infoBufferSize: "0" }, text: { infoBufferSize: "0" } },
            verbosity: 0,
        },
        memorySwap: {},
        nodeStatusReportFrequency: "0s",
        nodeStatusUpdateFrequency: "0s",
        rotateCertificates: true,
        runtimeRequestTimeout: "0s",
        shutdownGracePeriod: "0s",
        shutdownGracePeriodCriticalPods: "0s",
        staticPodPath: "/etc/kubernetes/manifests",
        streamingConnectionIdleTimeout: "0s",
        syncFrequency: "0s",
        volumeStatsAggPeriod: "0s",
    };
    return applyJsonPatch(cfg, o.kubeletConfigPatches ?? [], "kubeletConfigPatches");
}

function decodePointer(p: string, property: string): string[] {
    if (p === "") return [];
    if (!p.startsWith("/")) throw new Error(`${property}: path "${p}" must be a JSON pointer starting with "/"`);
    return p
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A small RFC 6902 implementation (add, remove, replace, move, copy, test) over plain JSON values. */
export function applyJsonPatch<T>(doc: T, ops: JsonPatchOp[], property = "patch"): T {
    let root: any = JSON.parse(JSON.stringify(doc));
    const parentOf = (tokens: string[]) => {
        let cur = root;
        for (const t of tokens.slice(0, -1)) {
            if (cur === null || typeof cur !== "object" || !(t in cur))
                throw new Error(`${property}: path /${tokens.join("/")} does not exist`);
            cur = cur[t];
        }
        return cur;
    };
    const get = (tokens: string[]) => {
        let cur = root;
        for (const t of tokens) {
            if (cur === null || typeof cur !== "object" || !(t in cur))
                throw new Error(`${property}: path /${tokens.join("/")} does not exist`);
            cur = cur[t];
        }
        return cur;
    };
    const remove = (tokens: string[]) => {
        const parent = parentOf(tokens);
        const last = tokens[tokens.length - 1];
        const v = get(tokens);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        return v;
    };
    const add = (tokens: string[], value: unknown) => {
        if (tokens.length === 0) {
            root = value;
            return;
        }
        const parent = parentOf(tokens);
        const last = tokens[tokens.length - 1];
        if (Array.isArray(parent)) {
            if (last === "-") parent.push(value);
            else parent.splice(Number(last), 0, value);
        } else parent[last] = value;
    };
    for (const [i, op] of ops.entries()) {
        const where = `${property}[${i}]`;
        const tokens = decodePointer(op.path, where);
        switch (op.op) {
            case "add":
                add(tokens, op.value);
                break;
            case "remove":
                remove(tokens);
                break;
            case "replace":
                get(tokens);
                remove(tokens);
                add(tokens, op.value);
                break;
            case "move":
                add(tokens, remove(decodePointer(op.from ?? "", where)));
                break;
            case "copy":
                add(tokens, JSON.parse(JSON.stringify(get(decodePointer(op.from ?? "", where)))));
                break;
            case "test":
                if (JSON.stringify(get(tokens)) !== JSON.stringify(op.value))
                    throw new Error(`${where}: test of ${op.path} failed`);
                break;
            default:
                throw new Error(
                    `${where}: op "${(op as JsonPatchOp).op}" is not one of add, remove, replace, move, copy, test`,
                );
        }
    }
    return root as T;
}

/** kubeadm's ChecksumForConfigMap: sha256 over the values of data (sorted by key), then binaryData. */
export function configMapChecksum(data: Record<string, string>): string {
    const h = crypto.createHash("sha256");
    for (const k of Object.keys(data).sort()) h.update(data[k]);
    return `sha256:${h.digest("hex")}`;
}

const group = (name: string) => ({ kind: "Group", apiGroup: RBAC, name });

function clusterRoleBinding(name: string, role: string, subjects: object[]): KubeObject {
    return {
        apiVersion: `${RBAC}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name },
        roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: role },
        subjects,
    };
}

function roleAndBinding(namespace: string, name: string, configMap: string, subjects: object[]): KubeObject[] {
    return [
        {
            apiVersion: `${RBAC}/v1`,
            kind: "Role",
            metadata: { name, namespace },
            rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [configMap], verbs: ["get"] }],
        },
        {
            apiVersion: `${RBAC}/v1`,
            kind: "RoleBinding",
            metadata: { name, namespace },
            roleRef: { apiGroup: RBAC, kind: "Role", name },
            subjects,
        },
    ];
}

/** kube-system/kube-proxy and its RBAC (kubeadm phases/addons/proxy), without the DaemonSet. */
export function kubeProxyObjects(o: BootstrapOptions): KubeObject[] {
    const config = yaml.dump(
        {
            apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
            kind: "KubeProxyConfiguration",
            bindAddress: "0.0.0.0",
            clientConnection: { kubeconfig: "/var/lib/kube-proxy/kubeconfig.conf" },
            clusterCIDR: o.podCidr,
            mode: "",
        },
        { lineWidth: -1 },
    );
    const kubeconfig = yaml.dump(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    cluster: {
                        "certificate-authority": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                        server: o.server,
                    },
                    name: "default",
                },
            ],
            contexts: [{ context: { cluster: "default", namespace: "default", user: "default" }, name: "default" }],
            "current-context": "default",
            users: [{ name: "default", user: { tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" } }],
        },
        { lineWidth: -1 },
    );
    return [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "kube-proxy", namespace: "kube-system", labels: { app: "kube-proxy" } },
            data: { "config.conf": config, "kubeconfig.conf": kubeconfig },
        },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kube-proxy", namespace: "kube-system" } },
        clusterRoleBinding("kubeadm:node-proxier", "system:node-proxier", [
            { kind: "ServiceAccount", name: "kube-proxy", namespace: "kube-system" },
        ]),
        ...roleAndBinding("kube-system", "kube-proxy", "kube-proxy", [group(NODE_BOOTSTRAP_TOKEN_GROUP)]),
    ];
}

/** Every object, in creation order. */
export function tenantBootstrapObjects(o: BootstrapOptions): KubeObject[] {
    const kubeletData = { kubelet: yaml.dump(kubeletConfiguration(o), { lineWidth: -1 }) };
    return [
        // ClusterAdminRBAC: kubeadm >= 1.29 puts admin.conf in kubeadm:cluster-admins, bound to cluster-admin.
        clusterRoleBinding(CLUSTER_ADMINS_GROUP, "cluster-admin", [group(CLUSTER_ADMINS_GROUP)]),
        // UploadConfig (kubeadm-config) and its RBAC for joining nodes.
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "kubeadm-config", namespace: "kube-system" },
            data: { ClusterConfiguration: clusterConfigurationYaml(o) },
        },
        ...roleAndBinding("kube-system", "kubeadm:nodes-kubeadm-config", "kubeadm-config", [
            group(NODE_BOOTSTRAP_TOKEN_GROUP),
            group(NODES_GROUP),
        ]),
        // UploadConfigKubelet (kubelet-config), signed as kubeadm signs a non-user-supplied config.
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: {
                name: "kubelet-config",
                namespace: "kube-system",
                annotations: { "kubeadm.kubernetes.io/component-config.hash": configMapChecksum(kubeletData) },
            },
            data: kubeletData,
        },
        ...roleAndBinding("kube-system", "kubeadm:kubelet-config", "kubelet-config", [
            group(NODES_GROUP),
            group(NODE_BOOTSTRAP_TOKEN_GROUP),
        ]),
        // BootstrapToken phase: node RBAC.
        {
            apiVersion: `${RBAC}/v1`,
            kind: "ClusterRole",
            metadata: { name: "kubeadm:get-nodes" },
            rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
        },
        clusterRoleBinding("kubeadm:get-nodes", "kubeadm:get-nodes", [group(NODE_BOOTSTRAP_TOKEN_GROUP)]),
        clusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", [
            group(NODE_BOOTSTRAP_TOKEN_GROUP),
        ]),
        clusterRoleBinding(
            "kubeadm:node-autoapprove-bootstrap",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            [group(NODE_BOOTSTRAP_TOKEN_GROUP)],
        ),
        clusterRoleBinding(
            "kubeadm:node-autoapprove-certificate-rotation",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            [group(NODES_GROUP)],
        ),
        // BootstrapToken phase: cluster-info and its anonymous read access.
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "cluster-info", namespace: "kube-public" },
            data: { kubeconfig: renderClusterInfoKubeconfig(o.server, o.caPem) },
        },
        ...roleAndBinding("kube-public", "kubeadm:bootstrap-signer-clusterinfo", "cluster-info", [
            { kind: "User", apiGroup: RBAC, name: "system:anonymous" },
        ]),
        ...(o.kubeProxy ? kubeProxyObjects(o) : []),
    ];
}

const PLURALS: Record<string, string> = {
    ServiceAccount: "serviceaccounts",
    ConfigMap: "configmaps",
    Role: "roles",
    RoleBinding: "rolebindings",
    ClusterRole: "clusterroles",
    ClusterRoleBinding: "clusterrolebindings",
};

export function objectPath(o: KubeObject, withName = true): string {
    const [g, v] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    const base = g ? `/apis/${g}/${v}` : `/api/${v}`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${PLURALS[o.kind]}${withName ? `/${o.metadata.name}` : ""}`;
}

/**
 * Creates each object, or merge-patches it when it exists (so keys other writers add, such as
 * bootstrapsigner's `jws-kubeconfig-<id>` in cluster-info, are kept). Retries 403/404 briefly:
 * right after start-up the RBAC caches and the namespace controller may lag a few seconds.
 */
export async function applyTenantBootstrap(
    client: KubeClient,
    objects: KubeObject[],
    deadlineMs = 60_000,
): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (const obj of objects) {
        for (;;) {
            try {
                try {
                    await client.create(objectPath(obj, false), obj);
                } catch (e) {
                    if (!(e instanceof KubeApiError && e.conflict)) throw e;
                    const { metadata, ...rest } = obj;
                    await client.patch(
                        objectPath(obj),
                        { metadata: { annotations: metadata.annotations, labels: metadata.labels }, ...rest },
                        "merge",
                    );
                }
                break;
            } catch (e) {
                const transient =
                    e instanceof KubeApiError &&
                    (e.status === 0 || e.status === 403 || e.status === 404 || e.status === 429 || e.status >= 500);
                if (!transient || Date.now() > deadline) throw e;
                await new Promise((r) => setTimeout(r, 500));
            }
        }
    }
}
