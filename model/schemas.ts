/**
 * The shapes of plain input, once: the stack spec (YAML, JSON, or an object given to the Automation
 * API) is composed from these, and its TypeScript types are inferred from them. Each schema checks
 * structure only (types, required and unknown fields, allowed words); the rules between values
 * (CIDRs, versions, hosts) live in the model's rule modules and run on what a schema accepted.
 */
import { z } from "zod";
import type { ContainerdArgs, PackageSource } from "../provider/hostprep/logic";
import type { Taint } from "./labels";
import { fields } from "./problems";

/** An object whose fields a later rule checks (kept as its TypeScript type). */
const objectOf = <T>() => z.record(z.string(), z.unknown()) as unknown as z.ZodType<T>;
const stringMap = z.record(z.string(), z.string());
const strings = z.array(z.string());

export const SERVICE_TYPES = ["LoadBalancer", "NodePort", "ClusterIP"] as const;
export const CGROUP_DRIVER_WORDS = ["systemd", "cgroupfs"] as const;
export const REUSE_POLICIES = ["retain", "clean"] as const;
export const HEALTH_FAIL_ON = ["error", "warning", "never"] as const;

export const managementClusterSpec = fields({
    /** Component name. Defaults to "mgmt". */
    name: z.string().optional(),
    /** The management cluster's admin kubeconfig (contents; secret). */
    kubeconfig: z.string(),
    /** Defaults to "kamaji-system". */
    kamajiNamespace: z.string().optional(),
    podCidrs: strings.optional(),
    serviceCidrs: strings.optional(),
    /** Defaults to true. */
    preflight: z.boolean().optional(),
    /** Accept an http:// API server in `kubeconfig` (credentials in clear; labs only). Defaults to false. */
    allowInsecureHttp: z.boolean().optional(),
});

export const dataStoreTlsSpec = fields({
    caCertificate: z.string(),
    /** secret */
    caPrivateKey: z.string(),
    clientCertificate: z.string().optional(),
    /** secret */
    clientPrivateKey: z.string().optional(),
});

export const dataStoreSpec = fields({
    /** Component name; control planes refer to it. */
    name: z.string(),
    /** The DataStore object's name. Defaults to `name`. */
    dataStoreName: z.string().optional(),
    endpoints: strings,
    insecure: z.boolean().optional(),
    tls: dataStoreTlsSpec,
    clientCommonName: z.string().optional(),
    clientCertificateValidityDays: z.number().optional(),
    expiryWarningDays: z.number().optional(),
    rotateBefore: z.string().optional(),
    waitForReady: z.boolean().optional(),
    healthCheck: z.boolean().optional(),
    healthFailOn: z.enum(HEALTH_FAIL_ON).optional(),
});

const imageSpec = fields({ imageRepository: z.string().optional(), imageTag: z.string().optional() });

export const controlPlaneSpec = fields({
    /** Component name; pools refer to it. */
    name: z.string(),
    /** The DataStore (its spec `name`). Defaults to the only DataStore when there is one. */
    dataStore: z.string().optional(),
    /** The TenantControlPlane's name. Defaults to `name`. */
    tenantName: z.string().optional(),
    namespace: z.string().optional(),
    kubernetesVersion: z.string(),
    replicas: z.number().optional(),
    serviceType: z.enum(SERVICE_TYPES).optional(),
    address: z.string().optional(),
    port: z.number().optional(),
    advertiseAddress: z.string().optional(),
    certSANs: strings.optional(),
    serviceLabels: stringMap.optional(),
    serviceAnnotations: stringMap.optional(),
    network: fields({
        podCidr: z.string().optional(),
        serviceCidr: z.string().optional(),
        dnsServiceIPs: strings.optional(),
        clusterDomain: z.string().optional(),
    }).optional(),
    addons: fields({
        coreDNS: imageSpec.optional(),
        kubeProxy: imageSpec.optional(),
        konnectivity: fields({
            serverPort: z.number().optional(),
            agentMode: z.enum(["DaemonSet", "Deployment"]).optional(),
            agentReplicas: z.number().optional(),
            agentHostNetwork: z.boolean().optional(),
            version: z.string().optional(),
        }).optional(),
    }).optional(),
    kubeletCgroupDriver: z.enum(CGROUP_DRIVER_WORDS).optional(),
    cniManifest: z.string().optional(),
    readyTimeoutSeconds: z.number().optional(),
    expiryWarningDays: z.number().optional(),
});

export const workerHostSpec = fields({
    address: z.string(),
    port: z.number().optional(),
    user: z.string().optional(),
    /** secret */
    privateKey: z.string().optional(),
    /** secret */
    privateKeyPassphrase: z.string().optional(),
    /** secret */
    password: z.string().optional(),
    hostKey: z.string().optional(),
    nodeName: z.string().optional(),
    labels: stringMap.optional(),
    taints: z.array(objectOf<Taint>()).optional(),
    kubeletConfiguration: z.record(z.string(), z.unknown()).optional(),
});

export const workerPoolSpec = fields({
    /** Component name. */
    name: z.string(),
    /** The control plane (its spec `name`). */
    controlPlane: z.string(),
    hosts: z.array(workerHostSpec),
    kubernetesVersion: z.string().optional(),
    /** `registryCredentials` are secret. */
    containerd: objectOf<ContainerdArgs>().optional(),
    cgroupDriver: z.enum(CGROUP_DRIVER_WORDS).optional(),
    kubeletConfiguration: z.record(z.string(), z.unknown()).optional(),
    packageSource: objectOf<PackageSource>().optional(),
    reusePolicy: z.enum(REUSE_POLICIES).optional(),
    maxUnavailable: z.number().optional(),
    trustOnFirstUse: z.boolean().optional(),
    apiEndpoint: z.string().optional(),
    ignorePreflightErrors: strings.optional(),
});

/** A whole stack. */
export const hcpSpec = fields({
    managementCluster: managementClusterSpec,
    dataStores: z.array(dataStoreSpec).optional(),
    controlPlanes: z.array(controlPlaneSpec).optional(),
    workerPools: z.array(workerPoolSpec).optional(),
});
