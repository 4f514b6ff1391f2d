// One tenant with three workers. The etcd client certificate is minted from the CA (and reused on
// later runs), so only the CA goes into config.
import * as pulumi from "@pulumi/pulumi";
import * as hcp from "pulumi-hosted-control-plane";

const cfg = new pulumi.Config();

const mgmt = new hcp.ManagementCluster("mgmt", {
    kubeconfig: cfg.requireSecret("mgmtKubeconfig"),
    // The management cluster's own ranges: tenant ranges that overlap them are refused at preview.
    podCidrs: ["10.1.0.0/16"],
    serviceCidrs: ["10.2.0.0/16"],
});

const store = new hcp.DataStore("etcd", {
    managementCluster: mgmt,
    endpoints: ["etcd-0.example:2379", "etcd-1.example:2379", "etcd-2.example:2379"],
    tls: { caCertificate: cfg.require("etcdCaCertificate"), caPrivateKey: cfg.requireSecret("etcdCaKey") },
});

const cp = new hcp.HostedControlPlane("team-a", {
    managementCluster: mgmt,
    dataStore: store,
    kubernetesVersion: "v1.33.4",
    replicas: 2,
    serviceType: "LoadBalancer",
    network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16" },
    addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { agentMode: "DaemonSet" } },
});

const privateKey = cfg.requireSecret("sshPrivateKey");
const hostKeys: Record<string, string> = {
    "192.0.2.11": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "192.0.2.12": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "192.0.2.13": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
};
const pool = new hcp.WorkerPool("team-a-workers", {
    controlPlane: cp,
    hosts: Object.entries(hostKeys).map(([address, hostKey]) => ({ address, user: "ops", privateKey, hostKey })),
    containerd: { version: "1.7.27", registryMirrors: { "docker.io": ["https://mirror.example"] } },
    maxUnavailable: 1,
    reusePolicy: "clean",
});

export const endpoint = cp.endpoint;
export const kubeconfig = cp.kubeconfig; // secret
export const caCertHash = cp.caCertHash;
export const nodes = pool.nodeNames;
