// The groups and RBAC objects kubeadm's phases bind joining nodes and bootstrap tokens with.
import { KubeObject } from "./bootstrapTypes";

export const NODE_BOOTSTRAP_TOKEN_GROUP = "system:bootstrappers:kubeadm:default-node-token";
export const NODES_GROUP = "system:nodes";
export const RBAC = "rbac.authorization.k8s.io";

export const group = (name: string) => ({ kind: "Group", apiGroup: RBAC, name });

export function clusterRoleBinding(name: string, role: string, subjects: object[]): KubeObject {
    return {
        apiVersion: `${RBAC}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name },
        roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: role },
        subjects,
    };
}

export function roleAndBinding(namespace: string, name: string, configMap: string, subjects: object[]): KubeObject[] {
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
