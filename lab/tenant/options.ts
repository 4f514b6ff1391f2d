// What startTenantControlPlane takes and returns, and what one start derives from the options.
import { CertificateAndKey } from "../../lib/pki";
import { JsonPatchOp, normalizeVersion } from "./bootstrap";
import { SavedState } from "./state";

export interface TenantControlPlaneOptions {
    name: string;
    /** State directory (PKI, kubeconfigs, logs, pid files). */
    dir: string;
    /** etcd endpoints, "https://host:port" (a bare host:port gets https://). */
    etcdEndpoints: string[];
    /** Key prefix on the DataStore, "/<schema>/". */
    etcdPrefix: string;
    /** PEM: the DataStore CA, and the client certificate/key the apiserver uses (CN = etcd user). */
    etcdCaPem: string;
    etcdCertPem: string;
    etcdKeyPem: string;
    serviceCidr: string;
    podCidr: string;
    apiPort: number;
    /** The requested version (recorded in kubeadm-config); the lab runs the binaries in `binDir`. */
    kubernetesVersion: string;
    /** Address the apiserver listens on and advertises; must be a local address. Default 127.0.0.1. */
    bindAddress?: string;
    certSans?: string[];
    clusterDomain?: string;
    cgroupDriver?: "systemd" | "cgroupfs";
    kubeletConfigPatches?: JsonPatchOp[];
    /** Write the kube-proxy addon's ConfigMap and RBAC (no DaemonSet). */
    kubeProxy?: boolean;
    /** Reuse this CA (e.g. from `<tcp>-ca`). */
    ca?: CertificateAndKey;
    /** --enable-admission-plugins; NodeRestriction is always added. Default: NodeRestriction only (plus the apiserver's defaults). */
    admissionPlugins?: string[];
    /** User flags; a flag the lab manages (same name) is dropped, as Kamaji's managed flags win. */
    extraApiServerArgs?: string[];
    extraControllerManagerArgs?: string[];
    binDir?: string;
    /** Force a restart of both processes even when their flags are unchanged. */
    restart?: boolean;
    readyTimeoutMs?: number;
    log?: (msg: string) => void;
}

export interface TenantControlPlane {
    name: string;
    dir: string;
    /** https://<bindAddress>:<apiPort> */
    server: string;
    endpoint: string;
    adminKubeconfig: string;
    superAdminKubeconfig: string;
    controllerManagerKubeconfig: string;
    ca: CertificateAndKey;
    apiserverPid: number;
    controllerManagerPid: number;
    schedulerPid: number;
    /** What the binaries report, e.g. "v1.34.4". */
    binaryVersion: string;
    /** Milliseconds spent in each step of this call. */
    timings: {
        pki: number;
        apiserverReady: number;
        controllerManagerHealthy: number;
        bootstrap: number;
        total: number;
    };
}

/** One start's options with their defaults applied, and the state the previous start saved. */
export interface StartContext {
    o: TenantControlPlaneOptions;
    log: (msg: string) => void;
    binDir: string;
    /** The state directory, absolute. */
    dir: string;
    bind: string;
    clusterDomain: string;
    /** https://<bindAddress>:<apiPort> */
    server: string;
    /** The etcd endpoints, each with its scheme. */
    endpoints: string[];
    readyTimeoutMs: number;
    /** Updated, and written to tenant.json, as each process is started. */
    saved: SavedState;
}

export function validate(o: TenantControlPlaneOptions): void {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.name))
        throw new Error(`name: "${o.name}" must be a DNS label such as "tenant-a"`);
    if (!o.dir) throw new Error("dir: is required (the tenant's state directory)");
    if (!Array.isArray(o.etcdEndpoints) || o.etcdEndpoints.length === 0)
        throw new Error('etcdEndpoints: list at least one endpoint, e.g. ["https://127.0.0.1:2379"]');
    if (!/^\/[^/]+\/?$/.test(o.etcdPrefix))
        throw new Error(`etcdPrefix: "${o.etcdPrefix}" must look like "/<schema>/"`);
    if (!Number.isInteger(o.apiPort) || o.apiPort < 1 || o.apiPort > 65535)
        throw new Error(`apiPort: ${o.apiPort} must be a TCP port (1-65535)`);
    for (const k of ["etcdCaPem", "etcdCertPem", "etcdKeyPem"] as const) {
        if (typeof o[k] !== "string" || !o[k].includes("-----BEGIN"))
            throw new Error(`${k}: must be PEM text ("-----BEGIN ...")`);
    }
    normalizeVersion(o.kubernetesVersion);
}
