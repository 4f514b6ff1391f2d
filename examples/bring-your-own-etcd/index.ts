// An existing etcd (e.g. run by another team or by kamaji-etcd) with its own root client
// certificate: all PEM comes from config (it could as well come from files or @pulumi/tls outputs).
// Exposed as NodePort, which needs the address workers use to reach the API server.
import * as pulumi from "@pulumi/pulumi";
import * as hcp from "pulumi-hosted-control-plane";

const cfg = new pulumi.Config();

const mgmt = new hcp.ManagementCluster("mgmt", {
    kubeconfig: cfg.requireSecret("mgmtKubeconfig"),
    kamajiNamespace: "kamaji-system",
    podCidrs: ["10.244.0.0/16"],
    serviceCidrs: ["10.96.0.0/12"],
});

const store = new hcp.DataStore("byo-etcd", {
    managementCluster: mgmt,
    name: "byo-etcd",
    endpoints: cfg.requireObject<string[]>("etcdEndpoints"), // e.g. ["10.0.0.5:2379", "10.0.0.6:2379", "10.0.0.7:2379"]
    tls: {
        caCertificate: cfg.require("etcdCaCertificate"),
        caPrivateKey: cfg.requireSecret("etcdCaKey"),
        clientCertificate: cfg.require("etcdClientCertificate"),
        clientPrivateKey: cfg.requireSecret("etcdClientKey"),
    },
});

const cp = new hcp.HostedControlPlane("edge", {
    managementCluster: mgmt,
    dataStore: store,
    kubernetesVersion: "v1.33.4",
    serviceType: "NodePort",
    address: cfg.require("nodeAddress"),
    port: 31443,
    certSANs: ["edge-api.example.com"],
    network: { podCidr: "172.20.0.0/16", serviceCidr: "172.21.0.0/16", dnsServiceIPs: ["172.21.0.10"] },
    addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { serverPort: 31132 } },
});

export const endpoint = cp.endpoint;
export const kubeconfig = cp.kubeconfig; // secret
export const caCertHash = cp.caCertHash;
