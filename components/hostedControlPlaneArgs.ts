/**
 * The arguments of a `HostedControlPlane` (./hostedControlPlane.ts), apart so that file reads as
 * the component's construction.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KubeletAddressType, ServiceType } from "../model/rules/controlPlane";
import type { DataStore } from "./dataStore";
import type { ManagementCluster } from "./managementCluster";

/** The tenant's network ranges (`spec.networkProfile`). */
export interface HostedControlPlaneNetworkArgs {
    /**
     * The tenant's pod range. Defaults to "10.244.0.0/16". Must not overlap `serviceCidr` nor the
     * management cluster's ranges. Changing it after nodes joined is not supported by Kubernetes.
     */
    podCidr?: pulumi.Input<string>;
    /** The tenant's service range. Defaults to "10.96.0.0/16". Same rules as `podCidr`. */
    serviceCidr?: pulumi.Input<string>;
    /** The cluster DNS Service IPs (at most 8), inside `serviceCidr`. Defaults to the 10th address of `serviceCidr`. */
    dnsServiceIPs?: pulumi.Input<pulumi.Input<string>[]>;
    /** The cluster domain. Kamaji v1.0.0 has no such field: only "cluster.local" is accepted. */
    clusterDomain?: pulumi.Input<string>;
}

export interface ImageAddonArgs {
    /** The image registry (the image name is fixed: `coredns`, `kube-proxy`). Defaults to "registry.k8s.io". */
    imageRepository?: pulumi.Input<string>;
    /**
     * The image tag. Defaults to Kamaji's choice: the tenant's version for kube-proxy, kubeadm
     * v1.30's v1.11.1 for CoreDNS. (Kamaji v1.0.0 ignores a CoreDNS tag without a repository, so
     * the package then writes the default repository too.)
     */
    imageTag?: pulumi.Input<string>;
}

export interface KonnectivityAddonArgs {
    /** The port the konnectivity server listens on for agents (a port of the tenant's Service). Defaults to 8132. */
    serverPort?: pulumi.Input<number>;
    /** How agents run in the tenant. Kamaji v1.0.0 knows only "DaemonSet" (one per node), the default. */
    agentMode?: pulumi.Input<"DaemonSet" | "Deployment">;
    /** Not supported by Kamaji v1.0.0 (refused at preview): its agents are a DaemonSet. */
    agentReplicas?: pulumi.Input<number>;
    /** Not supported by Kamaji v1.0.0 (refused at preview when true): its agents run on the pod network. */
    agentHostNetwork?: pulumi.Input<boolean>;
    /**
     * Konnectivity image tag for server and agent (`server.version`, `agent.version`), e.g.
     * "v0.30.3". Defaults to Kamaji v1.0.0's "v0.0.32".
     */
    version?: pulumi.Input<string>;
}

/** Tenant addons Kamaji installs and keeps reconciled. Each one is on when its key is present. */
export interface HostedControlPlaneAddonsArgs {
    coreDNS?: ImageAddonArgs;
    kubeProxy?: ImageAddonArgs;
    /** Konnectivity: the API server reaches kubelets through agents (needed when workers sit on another network). */
    konnectivity?: KonnectivityAddonArgs;
}

export interface HostedControlPlaneArgs {
    /** The management cluster that runs Kamaji. */
    managementCluster: ManagementCluster;
    /** The DataStore holding this tenant's state. Changing it to another etcd DataStore makes Kamaji migrate the data live. */
    dataStore: DataStore;
    /**
     * The TenantControlPlane's name: also the name of its Service and the prefix of its Secrets
     * (`<name>-admin-kubeconfig`, `<name>-ca`). Defaults to the component name. Changing it replaces
     * the control plane (a new cluster).
     */
    name?: string;
    /** The management-cluster namespace the control plane lives in; must exist. Defaults to "default". Changing it replaces the control plane. */
    namespace?: string;
    /**
     * Kubernetes version, "vMAJOR.MINOR.PATCH" (e.g. "v1.33.4"). Updated in place; only upgrades
     * of at most one minor version are accepted (checked at preview against the live object).
     */
    kubernetesVersion: pulumi.Input<string>;
    /** Control plane pod replicas. Defaults to 2. 0 puts the control plane to sleep. Updated in place. */
    replicas?: pulumi.Input<number>;
    /**
     * How the API server is exposed on the management cluster: "LoadBalancer", "NodePort" or
     * "ClusterIP". Defaults to "LoadBalancer" (needs e.g. MetalLB; the preflight warns when nothing
     * hands out addresses). NodePort and ClusterIP need `address`.
     */
    serviceType?: pulumi.Input<ServiceType>;
    /** The address workers and clients use to reach the API server. Optional with LoadBalancer (the LB address is used). */
    address?: pulumi.Input<string>;
    /** The API server port. Defaults to 6443. */
    port?: pulumi.Input<number>;
    /** Not supported by Kamaji v1.0.0 (refused at preview): it advertises `address`. */
    advertiseAddress?: pulumi.Input<string>;
    /** Extra subject alternative names for the API server certificate: host names or IPs, never host:port. */
    certSANs?: pulumi.Input<pulumi.Input<string>[]>;
    /** Labels for the control plane's Service (e.g. for an LB pool selector). */
    serviceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Annotations for the control plane's Service (e.g. `metallb.io/loadBalancerIPs`). */
    serviceAnnotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Network ranges; see {@link HostedControlPlaneNetworkArgs}. */
    network?: HostedControlPlaneNetworkArgs;
    /** Addons. Defaults to CoreDNS, kube-proxy and Konnectivity, all on. Pass `{}` for none. */
    addons?: HostedControlPlaneAddonsArgs;
    /** The kubelet cgroup driver written into the tenant's kubelet config. Defaults to "systemd" (what containerd is set up with). */
    kubeletCgroupDriver?: pulumi.Input<"systemd" | "cgroupfs">;
    /**
     * The node address types the API server tries, in order, to reach kubelets (logs, exec,
     * port-forward): `spec.kubernetes.kubelet.preferredAddressTypes`. Defaults to
     * ["InternalIP", "ExternalIP", "Hostname"]: Kamaji's default tries Hostname first, which fails
     * on machines whose names are not in DNS. Each of Hostname, InternalIP, ExternalIP,
     * InternalDNS, ExternalDNS at most once. Updated in place.
     */
    kubeletPreferredAddressTypes?: pulumi.Input<pulumi.Input<KubeletAddressType>[]>;
    /**
     * A CNI manifest (multi-document YAML, e.g. Calico's) applied to the tenant once it is ready.
     * Defaults to none: nodes stay NotReady until a CNI is installed.
     */
    cniManifest?: pulumi.Input<string>;
    /** How long to wait for Kamaji to report the control plane Ready, in seconds. Defaults to 1200. */
    readyTimeoutSeconds?: number;
    /**
     * A preview warns when the tenant CA expires within this many days (1 to 3650), and
     * `hcp-review` gates on it. Defaults to 30.
     */
    expiryWarningDays?: number;
}
