/**
 * What `kubeadm init` leaves in a cluster for `kubeadm join`, and what Kamaji's tenant-side phases
 * (UploadConfigKubeadm, UploadConfigKubelet, BootstrapToken, ClusterAdminRBAC) create. Names and
 * contents follow kubeadm v1.34 (cmd/kubeadm/app/phases/{bootstraptoken/clusterinfo,
 * bootstraptoken/node, uploadconfig, kubelet} and constants); written here from that reference.
 *
 * `tenantBootstrapObjects` is pure; `applyTenantBootstrap` (./applyObjects.ts) creates or updates
 * the objects. The kubeadm configuration documents are in ./kubeadmConfig.ts, the kube-proxy addon's
 * objects in ./kubeProxy.ts, the RBAC builders in ./rbac.ts, the JSON Patch in ./jsonPatch.ts.
 */
import * as crypto from "crypto";
import * as yaml from "js-yaml";
import { BootstrapOptions, KubeObject } from "./bootstrapTypes";
import { clusterConfigurationYaml, kubeletConfiguration } from "./kubeadmConfig";
import { renderClusterInfoKubeconfig } from "./kubeconfig";
import { kubeProxyObjects } from "./kubeProxy";
import { CLUSTER_ADMINS_GROUP } from "./pki";
import { clusterRoleBinding, group, NODE_BOOTSTRAP_TOKEN_GROUP, NODES_GROUP, RBAC, roleAndBinding } from "./rbac";

export { applyTenantBootstrap, objectPath } from "./applyObjects";
export { BootstrapOptions, KubeObject } from "./bootstrapTypes";
export { applyJsonPatch, JsonPatchOp } from "./jsonPatch";
export { clusterConfigurationYaml, kubeletConfiguration, normalizeVersion } from "./kubeadmConfig";
export { kubeProxyObjects } from "./kubeProxy";
export { NODE_BOOTSTRAP_TOKEN_GROUP, NODES_GROUP } from "./rbac";

/** kubeadm's ChecksumForConfigMap: sha256 over the values of data (sorted by key), then binaryData. */
export function configMapChecksum(data: Record<string, string>): string {
    const h = crypto.createHash("sha256");
    for (const k of Object.keys(data).sort()) h.update(data[k]);
    return `sha256:${h.digest("hex")}`;
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
