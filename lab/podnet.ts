/**
 * The lab's pod network, applied into a tenant through HostedControlPlane's `cniManifest` as a user
 * would apply their CNI: the real `bridge`, `host-local`, `loopback` and `portmap` plugins (installed on
 * the hosts by PreparedHost from the bundle), configured on each node by a small agent
 * (lab/images/podnet) that writes the node's conflist from its `spec.podCIDR` and routes every other
 * node's pod range to that node's address. The hosts share one bridge, so direct routes suffice.
 * Why not Calico or flannel: Calico cannot be built from the module proxy (real-lab.md); this needs
 * no VXLAN and no image beyond the agent's.
 */
import * as yaml from "js-yaml";

export interface PodNetworkOptions {
    /** The agent's image, as the nodes pull it (through the registry mirror). */
    image: string;
    /** The tenant API as the nodes reach it, host:port (the agent starts before any Service works). */
    apiEndpoint: string;
}

export function podNetworkManifest(o: PodNetworkOptions): string {
    const [host, port] = o.apiEndpoint.split(/:(?=\d+$)/);
    const name = "hcp-lab-podnet";
    const ns = "kube-system";
    const docs = [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name },
            rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
            subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
        },
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name, namespace: ns, labels: { app: name } },
            spec: {
                selector: { matchLabels: { app: name } },
                template: {
                    metadata: { labels: { app: name } },
                    spec: {
                        serviceAccountName: name,
                        hostNetwork: true,
                        priorityClassName: "system-node-critical",
                        tolerations: [{ operator: "Exists" }],
                        containers: [
                            {
                                name: "podnet",
                                image: o.image,
                                env: [
                                    { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                                    { name: "KUBERNETES_SERVICE_HOST", value: host },
                                    { name: "KUBERNETES_SERVICE_PORT", value: port },
                                ],
                                securityContext: { privileged: true },
                                volumeMounts: [{ name: "cni-conf", mountPath: "/host/etc/cni/net.d" }],
                            },
                        ],
                        volumes: [
                            { name: "cni-conf", hostPath: { path: "/etc/cni/net.d", type: "DirectoryOrCreate" } },
                        ],
                    },
                },
            },
        },
    ];
    return docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join("---\n");
}
