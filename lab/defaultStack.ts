/**
 * The default stack: what `pulumi up` in the repository root deploys onto the local lab
 * (lab/lab up writes the lab's description to .lab/lab.json). One DataStore on the lab's etcd, and
 * per tenant a HostedControlPlane with a WorkerPool of lab hosts prepared from the lab's offline
 * package bundle. The end-to-end tests run this same program through the Automation API with other
 * tenant lists (scale, remove a host, upgrade, a second tenant).
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { DataStore, HostedControlPlane, ManagementCluster, WorkerPool } from "../components";
import { labHostKubeletConfiguration, labPoolSettings } from "./nodeSettings";
import { podNetworkManifest } from "./podnet";
import { workloadObjects } from "./workload";

export interface LabDescription {
    managementKubeconfig: string;
    dataStore: {
        endpoints: string;
        caCertificate: string;
        caPrivateKey: string;
        clientCertificate: string;
        clientPrivateKey: string;
    };
    tenantAddress: string;
    /** The lab instance's worker network (HCP_LAB_NET). */
    network: { net: number; subnet: string; bridge: string; bridgeIp: string };
    /** The registry every node pulls from: "host:port" on the worker bridge, plain HTTP. */
    registry: string;
    /** Images the lab built and pushed there, by role: pull names as nodes use them. */
    images: { podnet: string; workload: string };
    sshPrivateKey: string;
    /** cgroupRoot: the host's own cgroup (all hosts share the machine's cgroup file systems). */
    hosts: { name: string; address: string; hostKey: string; cgroupRoot: string }[];
    bundles: Record<string, string>;
    /** The tenants' version (what the real Kamaji v1.0.0 accepts), and the ones they upgrade to. */
    kubernetesVersion: string;
    upgradeVersions: string[];
    /** The version of the tenant API server the v1beta4 join tests start directly (not through Kamaji). */
    directTenantVersion: string;
    /** Addresses the lab's LoadBalancer controller hands out, "FIRST-LAST". */
    loadBalancerPool: string;
}

/** The pool address for tenant slot `i`: fixed, so the pod network agent knows the API before it exists. */
export function tenantLoadBalancerAddress(lab: LabDescription, slot: number): string {
    const [first, last] = lab.loadBalancerPool.split("-");
    const base = first.split(".").map(Number);
    const ip = [...base.slice(0, 3), base[3] + slot].join(".");
    if (base[3] + slot > Number(last.split(".")[3]))
        throw new Error(`tenants: slot ${slot} is beyond the lab's LoadBalancer pool ${lab.loadBalancerPool}`);
    return ip;
}

/** CoreDNS and Konnectivity at the versions the lab registry has (Kamaji's defaults are older builds). */
export const LAB_ADDONS = {
    coreDNS: { imageTag: "v1.11.3" },
    kubeProxy: {},
    konnectivity: { version: "v0.30.3" },
};

export interface LabTenant {
    name: string;
    /** The control plane's version; default the lab's. */
    kubernetesVersion?: string;
    /** The pool's kubelet version; default the control plane's. */
    poolVersion?: string;
    /** Lab host names (worker-1 …) in the pool; none = no pool. */
    hosts: string[];
    /**
     * Picks the tenant's LoadBalancer address (the pool's first + slot) and networks
     * (10.(200+2·slot).0.0/16 pods, 10.(201+2·slot).0.0/16 services). Default: the tenant's
     * position in the list. Give it when tenants come and go, so a remaining tenant keeps its endpoint.
     */
    slot?: number;
    maxUnavailable?: number;
    /** Run the lab's workload (3 echo pods, a PodDisruptionBudget keeping 2, a Service) on the pool. */
    workload?: boolean;
    /** The WorkerPool's name; default `<name>-workers`. */
    poolName?: string;
    /** containerd's pause image; default the one kubeadm expects. */
    pauseImage?: string;
}

export const repoRoot = path.resolve(__dirname, "..", "..");
export const defaultLabFile = path.join(process.env.HCP_LAB_DIR ?? path.join(repoRoot, ".lab"), "lab.json");

export { LAB_IGNORED_PREFLIGHT } from "./nodeSettings";

export function readLab(file = defaultLabFile): LabDescription {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist: bring the lab up first (bash lab/lab up)`);
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

const read = (p: string) => fs.readFileSync(p, "utf8");

/**
 * The etcd client identity Kamaji uses as root, minted with `@pulumi/tls` from the lab's etcd CA as
 * a Pulumi user would: a key, a request (CN root, O system:masters, as kamaji-etcd names it) and a
 * certificate the CA signs, renewed in a previewed replace 30 days before its end. The CA itself
 * stays the lab's: etcd must trust it before any stack runs, and etcd reads its trusted CAs once,
 * at start.
 */
function labEtcdClient(name: string, caCertificate: string, caPrivateKey: pulumi.Output<string>) {
    const key = new tls.PrivateKey(`${name}-client-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = new tls.CertRequest(`${name}-client-request`, {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: "root", organization: "system:masters" },
    });
    const cert = new tls.LocallySignedCert(`${name}-client-cert`, {
        certRequestPem: request.certRequestPem,
        caCertPem: caCertificate,
        caPrivateKeyPem: caPrivateKey,
        validityPeriodHours: 365 * 24,
        earlyRenewalHours: 30 * 24,
        allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
    });
    return { clientCertificate: cert.certPem, clientPrivateKey: key.privateKeyPem };
}

/**
 * The lab's management cluster, and a DataStore on the lab's etcd (by default the one every tenant
 * shares, with a client certificate from `@pulumi/tls`; `clientCommonName` has the component mint
 * one of its own instead).
 */
export function labManagement(
    lab: LabDescription,
    store: { name?: string; clientCommonName?: string } = {},
): { mgmt: ManagementCluster; store: DataStore } {
    const mgmt = new ManagementCluster("mgmt", {
        kubeconfig: pulumi.secret(read(lab.managementKubeconfig)),
        // The lab management cluster's own ranges (lab/management-cluster.sh).
        podCidrs: ["10.244.0.0/16"],
        serviceCidrs: ["10.96.0.0/16"],
    });
    const name = store.name ?? "lab-etcd";
    const caCertificate = read(lab.dataStore.caCertificate);
    const caPrivateKey = pulumi.secret(read(lab.dataStore.caPrivateKey));
    const dataStore = new DataStore(name, {
        managementCluster: mgmt,
        endpoints: lab.dataStore.endpoints.split(",").map((e) => e.replace(/^https:\/\//, "")),
        tls: {
            caCertificate,
            caPrivateKey,
            ...(store.clientCommonName === undefined ? labEtcdClient(name, caCertificate, caPrivateKey) : {}),
        },
        ...(store.clientCommonName !== undefined ? { clientCommonName: store.clientCommonName } : {}),
    });
    return { mgmt, store: dataStore };
}

/** The tenant's control plane at its slot's LoadBalancer address and networks. */
function tenantControlPlane(
    lab: LabDescription,
    t: LabTenant,
    slot: number,
    mgmt: ManagementCluster,
    store: DataStore,
): HostedControlPlane {
    const address = tenantLoadBalancerAddress(lab, slot);
    return new HostedControlPlane(t.name, {
        managementCluster: mgmt,
        dataStore: store,
        kubernetesVersion: t.kubernetesVersion ?? lab.kubernetesVersion,
        // Two API server pods, behind a LoadBalancer Service whose address the lab hands out.
        replicas: 2,
        serviceType: "LoadBalancer",
        address,
        port: 6443,
        network: { podCidr: `10.${200 + 2 * slot}.0.0/16`, serviceCidr: `10.${201 + 2 * slot}.0.0/16` },
        addons: LAB_ADDONS,
        kubeletPreferredAddressTypes: ["InternalIP"],
        cniManifest: podNetworkManifest({ image: lab.images.podnet, apiEndpoint: `${address}:6443` }),
    });
}

/** The tenant's pool of lab hosts, prepared from the lab's package bundle for its version. */
function tenantWorkerPool(
    lab: LabDescription,
    t: LabTenant,
    cp: HostedControlPlane,
    privateKey: pulumi.Output<string>,
): WorkerPool {
    const poolVersion = t.poolVersion ?? t.kubernetesVersion ?? lab.kubernetesVersion;
    const bundle = lab.bundles[poolVersion];
    if (!bundle)
        throw new Error(
            `tenants: no lab package bundle for ${poolVersion}; the lab has ${Object.keys(lab.bundles).join(", ")}`,
        );
    const hostsByName = new Map(lab.hosts.map((h) => [h.name, h]));
    const settings = labPoolSettings(lab.registry);
    return new WorkerPool(t.poolName ?? `${t.name}-workers`, {
        controlPlane: cp,
        kubernetesVersion: poolVersion,
        hosts: t.hosts.map((name) => {
            const h = hostsByName.get(name);
            if (!h)
                throw new Error(
                    `tenants: ${t.name} names host ${name}, which the lab does not have (${[...hostsByName.keys()].join(", ")})`,
                );
            return {
                address: h.address,
                nodeName: h.name,
                privateKey,
                hostKey: h.hostKey,
                labels: { "example.com/tenant": t.name },
                kubeletConfiguration: labHostKubeletConfiguration(h.cgroupRoot),
            };
        }),
        ...settings,
        containerd: { ...settings.containerd, pauseImage: t.pauseImage },
        packageSource: { kind: "bundle", path: bundle },
        reusePolicy: "clean",
        maxUnavailable: t.maxUnavailable ?? 1,
    });
}

/** Declares the lab stack's resources and returns its outputs. */
export function labStack(lab: LabDescription, tenants: LabTenant[]) {
    const { mgmt, store } = labManagement(lab);
    const privateKey = pulumi.secret(read(lab.sshPrivateKey));
    const outputs: Record<string, pulumi.Output<any>> = {};
    tenants.forEach((t, index) => {
        const cp = tenantControlPlane(lab, t, t.slot ?? index, mgmt, store);
        outputs[`${t.name}Endpoint`] = cp.endpoint;
        outputs[`${t.name}Kubeconfig`] = cp.kubeconfig;
        if (t.hosts.length === 0) return;
        const pool = tenantWorkerPool(lab, t, cp, privateKey);
        outputs[`${t.name}Nodes`] = pool.nodeNames;
        if (t.workload) {
            new k8s.yaml.v2.ConfigGroup(
                `${t.name}-workload`,
                { objs: workloadObjects("default", "echo", lab.images.workload) },
                { provider: cp.provider, dependsOn: [pool] },
            );
        }
    });
    return outputs;
}

/** The tenants of the stack's config (`tenants`, JSON), or one tenant "team-a" on worker-1..3. */
export function configuredTenants(cfg: pulumi.Config, lab: LabDescription): LabTenant[] {
    return (
        cfg.getObject<LabTenant[]>("tenants") ?? [
            {
                name: "team-a",
                kubernetesVersion: lab.kubernetesVersion,
                hosts: ["worker-1", "worker-2", "worker-3"],
                workload: true,
            },
        ]
    );
}
