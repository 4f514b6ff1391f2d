// Two tenants on one DataStore. Each tenant has its own ranges (disjoint from the management
// cluster's); Kamaji isolates their data under separate etcd prefixes.
import * as pulumi from "@pulumi/pulumi";
import * as hcp from "pulumi-hosted-control-plane";

const cfg = new pulumi.Config();

const mgmt = new hcp.ManagementCluster("mgmt", {
    kubeconfig: cfg.requireSecret("mgmtKubeconfig"),
    podCidrs: ["10.1.0.0/16"],
    serviceCidrs: ["10.2.0.0/16"],
});

const store = new hcp.DataStore("shared-etcd", {
    managementCluster: mgmt,
    endpoints: ["etcd-0.example:2379", "etcd-1.example:2379", "etcd-2.example:2379"],
    tls: { caCertificate: cfg.require("etcdCaCertificate"), caPrivateKey: cfg.requireSecret("etcdCaKey") },
});

const tenants = {
    "team-a": { version: "v1.33.4", podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16" },
    "team-b": { version: "v1.34.1", podCidr: "10.30.0.0/16", serviceCidr: "10.31.0.0/16" },
};

const planes = Object.entries(tenants).map(
    ([name, t]) =>
        new hcp.HostedControlPlane(name, {
            managementCluster: mgmt,
            dataStore: store,
            namespace: "tenants",
            kubernetesVersion: t.version,
            network: { podCidr: t.podCidr, serviceCidr: t.serviceCidr },
        }),
);

export const endpoints = Object.fromEntries(planes.map((p) => [p.tenantName, p.endpoint]));
export const kubeconfigs = Object.fromEntries(planes.map((p) => [p.tenantName, p.kubeconfig])); // secrets
