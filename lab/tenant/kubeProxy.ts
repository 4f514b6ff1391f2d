// The kube-proxy addon's configuration objects, as kubeadm's proxy phase writes them (no DaemonSet).
import * as yaml from "js-yaml";
import { BootstrapOptions, KubeObject } from "./bootstrapTypes";
import { clusterRoleBinding, group, NODE_BOOTSTRAP_TOKEN_GROUP, roleAndBinding } from "./rbac";

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
