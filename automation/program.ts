/**
 * The Pulumi program a spec describes, built from the components.
 */
import * as pulumi from "@pulumi/pulumi";
import { DataStore } from "../components/dataStore";
import { HostedControlPlane } from "../components/hostedControlPlane";
import { ManagementCluster } from "../components/managementCluster";
import { defaultNodeName, hostResourceName, WorkerPool } from "../components/workerPool";
import { ControlPlaneSpec, DataStoreSpec, HcpSpec, isSecretRef, ManagementClusterSpec, WorkerPoolSpec } from "./spec";

/** The stack outputs the program exports (names are part of the embedding's contract). */
export const OUTPUT_CONTROL_PLANES = "controlPlanes";
export const OUTPUT_KUBECONFIGS = "kubeconfigs";
export const OUTPUT_WORKER_POOLS = "workerPools";

/** A secret field: a config reference (read back as a secret), or a plain value wrapped as one. */
function secretInput(v: unknown): pulumi.Output<string> | undefined {
    if (v === undefined || v === null) return undefined;
    if (isSecretRef(v)) return new pulumi.Config().requireSecret(v.$secretConfig.replace(/^[^:]*:/, ""));
    return pulumi.secret(v as string);
}

/** Registry credentials with their secret fields resolved. */
function credentials(creds: Record<string, unknown> | undefined): Record<string, pulumi.Input<any>> | undefined {
    if (!creds) return undefined;
    const out: Record<string, pulumi.Input<any>> = {};
    for (const [registry, c] of Object.entries(creds)) {
        const entry: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(c as Record<string, unknown>))
            entry[k] = isSecretRef(v) ? secretInput(v) : v;
        out[registry] = pulumi.secret(pulumi.output(entry));
    }
    return out;
}

/**
 * Resource name → host address, for every host of the spec (the WorkerPool's names, see
 * `hostResourceName`), so progress events and reviews can name the host.
 */
export function hostResourceNames(spec: HcpSpec): Map<string, string> {
    const m = new Map<string, string>();
    for (const pool of spec.workerPools ?? [])
        for (const h of pool.hosts)
            for (const role of ["prep", "join"] as const)
                m.set(hostResourceName(pool.name, h.address, role).name, h.address);
    return m;
}

/** The resources of a spec, created inside a running Pulumi program. Returns the stack outputs. */
export function declareSpec(spec: HcpSpec): Record<string, pulumi.Input<unknown>> {
    const mgmt = declareManagementCluster(spec.managementCluster);
    const stores = new Map<string, DataStore>();
    for (const ds of spec.dataStores ?? []) stores.set(ds.name, declareDataStore(ds, mgmt));
    const cps = new Map<string, HostedControlPlane>();
    const cpOutputs: Record<string, pulumi.Input<unknown>> = {};
    const kubeconfigs: Record<string, pulumi.Input<string>> = {};
    for (const c of spec.controlPlanes ?? []) {
        const cp = declareControlPlane(c, mgmt, stores.get(c.dataStore ?? [...stores.keys()][0])!);
        cps.set(c.name, cp);
        cpOutputs[c.name] = {
            tenantName: cp.tenantName,
            namespace: cp.namespace,
            endpoint: cp.endpoint,
            kubernetesVersion: cp.kubernetesVersion,
            caCertHash: cp.caCertHash,
        };
        kubeconfigs[c.name] = cp.kubeconfig;
    }
    const poolOutputs: Record<string, pulumi.Input<unknown>> = {};
    for (const p of spec.workerPools ?? []) {
        const pool = declareWorkerPool(p, cps.get(p.controlPlane)!);
        poolOutputs[p.name] = { controlPlane: p.controlPlane, nodeNames: pool.nodeNames, hosts: pool.hostStatus };
    }
    return {
        [OUTPUT_CONTROL_PLANES]: cpOutputs,
        [OUTPUT_KUBECONFIGS]: pulumi.secret(pulumi.output(kubeconfigs)),
        [OUTPUT_WORKER_POOLS]: poolOutputs,
    };
}

function declareManagementCluster(m: ManagementClusterSpec): ManagementCluster {
    return new ManagementCluster(m.name ?? "mgmt", {
        kubeconfig: secretInput(m.kubeconfig),
        kamajiNamespace: m.kamajiNamespace,
        podCidrs: m.podCidrs,
        serviceCidrs: m.serviceCidrs,
        preflight: m.preflight,
        allowInsecureHttp: m.allowInsecureHttp,
    });
}

function declareDataStore(ds: DataStoreSpec, mgmt: ManagementCluster): DataStore {
    return new DataStore(ds.name, {
        managementCluster: mgmt,
        name: ds.dataStoreName,
        endpoints: ds.endpoints,
        insecure: ds.insecure,
        tls: {
            caCertificate: ds.tls.caCertificate,
            caPrivateKey: secretInput(ds.tls.caPrivateKey)!,
            clientCertificate: ds.tls.clientCertificate,
            clientPrivateKey: secretInput(ds.tls.clientPrivateKey),
        },
        clientCommonName: ds.clientCommonName,
        clientCertificateValidityDays: ds.clientCertificateValidityDays,
        expiryWarningDays: ds.expiryWarningDays,
        rotateBefore: ds.rotateBefore,
        waitForReady: ds.waitForReady,
        healthCheck: ds.healthCheck,
        healthFailOn: ds.healthFailOn,
    });
}

function declareControlPlane(c: ControlPlaneSpec, mgmt: ManagementCluster, store: DataStore): HostedControlPlane {
    // The spec's fields are the component's arguments by the same names; the DataStore's name gives way to the DataStore.
    const { name, tenantName, ...settings } = c;
    return new HostedControlPlane(name, { ...settings, managementCluster: mgmt, dataStore: store, name: tenantName });
}

function declareWorkerPool(p: WorkerPoolSpec, controlPlane: HostedControlPlane): WorkerPool {
    return new WorkerPool(p.name, {
        controlPlane,
        hosts: p.hosts.map((h) => ({
            address: h.address,
            port: h.port,
            user: h.user,
            privateKey: secretInput(h.privateKey),
            privateKeyPassphrase: secretInput(h.privateKeyPassphrase),
            password: secretInput(h.password),
            hostKey: h.hostKey,
            nodeName: h.nodeName,
            labels: h.labels,
            taints: h.taints,
            kubeletConfiguration: h.kubeletConfiguration,
        })),
        kubernetesVersion: p.kubernetesVersion,
        containerd: p.containerd
            ? { ...p.containerd, registryCredentials: credentials(p.containerd.registryCredentials) as never }
            : undefined,
        cgroupDriver: p.cgroupDriver,
        kubeletConfiguration: p.kubeletConfiguration,
        packageSource: p.packageSource,
        reusePolicy: p.reusePolicy,
        maxUnavailable: p.maxUnavailable,
        trustOnFirstUse: p.trustOnFirstUse,
        apiEndpoint: p.apiEndpoint,
        ignorePreflightErrors: p.ignorePreflightErrors,
    });
}

/** An inline program for the Automation API. */
export function programFor(spec: HcpSpec): () => Promise<Record<string, unknown>> {
    return async () => declareSpec(spec) as Record<string, unknown>;
}

/** Node names a spec gives its hosts (for reviews and outputs before anything runs). */
export function nodeNamesOf(spec: HcpSpec): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of spec.workerPools ?? []) out[p.name] = p.hosts.map((h) => h.nodeName ?? defaultNodeName(h.address));
    return out;
}

/** What a review needs to know from the spec: which tenant each pool serves, and host addresses. */
export function reviewContextFor(
    spec: HcpSpec,
    title?: string,
): { pools: Record<string, string>; hosts: Record<string, string>; title?: string } {
    const tenants = new Map((spec.controlPlanes ?? []).map((c) => [c.name, c.tenantName ?? c.name]));
    const pools: Record<string, string> = {};
    for (const p of spec.workerPools ?? []) pools[p.name] = tenants.get(p.controlPlane) ?? p.controlPlane;
    return { pools, hosts: Object.fromEntries(hostResourceNames(spec)), ...(title ? { title } : {}) };
}
