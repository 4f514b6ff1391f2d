// What the tenant bootstrap (./bootstrap.ts) is built from, and the shape of the objects it writes.
import { JsonPatchOp } from "./jsonPatch";

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
