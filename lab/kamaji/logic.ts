/**
 * Pure parts of the Kamaji-contract controller: names, defaults, key ranges, the status it
 * reports. Everything follows ../../../shared/reference/kamaji/REFERENCE.md (sections 1.1, 2.1,
 * 2.2); deviations forced by the lab are named where they happen.
 */
import * as crypto from "crypto";

export const GROUP = "kamaji.clastix.io";
export const VERSION = "v1alpha1";
/** The TCP finalizer Kamaji's TenantControlPlaneReconciler uses (internal/controllers, `finalizer`). */
export const TCP_FINALIZER = "finalizer.kamaji.clastix.io";
/** The DataStore finalizer held while TenantControlPlanes use it (api/v1alpha1 DataStoreTCPFinalizer). */
export const DATASTORE_FINALIZER = "kamaji.clastix.io/TenantControlPlane";
export const PAUSED_ANNOTATION = "kamaji.clastix.io/paused";

export type SchemaDefault = "uid" | "namespaced-name";

/**
 * The default for spec.dataStoreSchema / spec.dataStoreUsername when unset. Kamaji's webhook uses
 * the TCP UID since PR #1235; before that (and as the CRD description still says) it was
 * `<namespace>_<name>` with `-` replaced by `_`.
 */
export function defaultSchemaName(
    tcp: { metadata: { namespace: string; name: string; uid: string } },
    mode: SchemaDefault,
): string {
    return mode === "uid" ? tcp.metadata.uid : `${tcp.metadata.namespace}_${tcp.metadata.name}`.replace(/-/g, "_");
}

/** The key prefix Kamaji grants a tenant: "/<schema>/" (the trailing slash keeps /cp-a from covering /cp-aa). */
export function tenantPrefix(schema: string): string {
    if (!schema || schema.includes("/"))
        throw new Error(`dataStoreSchema: "${schema}" must be a non-empty name without "/"`);
    return `/${schema}/`;
}

/** etcd's GetPrefixRangeEnd: the key range end covering every key that starts with `prefix`. */
export function prefixRangeEnd(prefix: string): Buffer {
    const b = Buffer.from(prefix, "utf8");
    for (let i = b.length - 1; i >= 0; i--) {
        if (b[i] < 0xff) {
            const end = Buffer.from(b.subarray(0, i + 1));
            end[i] += 1;
            return end;
        }
    }
    return Buffer.from([0]); // every key
}

/** The tenant's state directory name: stable per object, distinct across delete/re-create. */
export function tenantDirName(ns: string, name: string, uid: string): string {
    return `${ns}__${name}__${uid.slice(0, 8)}`;
}

export function tcpPath(ns: string, name?: string, sub?: string): string {
    return `/apis/${GROUP}/${VERSION}/namespaces/${ns}/tenantcontrolplanes${name ? `/${name}` : ""}${name && sub ? `/${sub}` : ""}`;
}

export function dataStorePath(name?: string, sub?: string): string {
    return `/apis/${GROUP}/${VERSION}/datastores${name ? `/${name}` : ""}${name && sub ? `/${sub}` : ""}`;
}

export const secretPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/secrets${name ? `/${name}` : ""}`;

/** Kamaji's Secret names ([K] utilities.AddTenantPrefix). */
export function secretNames(tcp: string) {
    return {
        adminKubeconfig: `${tcp}-admin-kubeconfig`,
        controllerManagerKubeconfig: `${tcp}-controller-manager-kubeconfig`,
        ca: `${tcp}-ca`,
        sa: `${tcp}-sa-certificate`,
        datastoreCertificate: `${tcp}-datastore-certificate`,
        datastoreConfig: `${tcp}-datastore-config`,
    };
}

export function checksum(data: Record<string, string>): string {
    const h = crypto.createHash("md5");
    for (const k of Object.keys(data).sort()) h.update(k).update("\0").update(data[k]).update("\0");
    return h.digest("hex");
}

export type VersionStatus =
    | "Unknown"
    | "Provisioning"
    | "CertificateAuthorityRotating"
    | "Upgrading"
    | "Migrating"
    | "Ready"
    | "NotReady"
    | "Sleeping"
    | "WriteLimited";

export interface TcpSpecView {
    dataStore?: string;
    dataStoreSchema?: string;
    dataStoreUsername?: string;
    replicas: number;
    version: string;
    address?: string;
    advertiseAddress?: string;
    port: number;
    certSANs: string[];
    serviceCidr: string;
    podCidr: string;
    clusterDomain: string;
    cgroupDriver: "systemd" | "cgroupfs";
    kubeletConfigPatches: any[];
    admissionControllers: string[];
    extraApiServerArgs: string[];
    extraControllerManagerArgs: string[];
    /** spec.addons.kubeProxy is present (addons are enabled by their key). */
    kubeProxy: boolean;
}

/** The parts of a TCP spec the lab acts on, with the CRD's defaults filled in. */
export function specView(tcp: any): TcpSpecView {
    const s = tcp.spec ?? {};
    const np = s.networkProfile ?? {};
    const k = s.kubernetes ?? {};
    const d = s.controlPlane?.deployment ?? {};
    const cgroup = k.kubelet?.cgroupfs === "cgroupfs" ? "cgroupfs" : "systemd";
    return {
        dataStore: s.dataStore || undefined,
        dataStoreSchema: s.dataStoreSchema || undefined,
        dataStoreUsername: s.dataStoreUsername || undefined,
        replicas: typeof d.replicas === "number" ? d.replicas : 2,
        version: String(k.version ?? ""),
        address: np.address || undefined,
        advertiseAddress: np.advertiseAddress || undefined,
        port: typeof np.port === "number" ? np.port : 6443,
        certSANs: Array.isArray(np.certSANs) ? np.certSANs : [],
        serviceCidr: np.serviceCidrs?.[0] ?? np.serviceCidr ?? "10.96.0.0/16",
        podCidr: np.podCidrs?.[0] ?? np.podCidr ?? "10.244.0.0/16",
        clusterDomain: np.clusterDomain ?? "cluster.local",
        cgroupDriver: cgroup,
        kubeletConfigPatches: Array.isArray(k.kubelet?.configurationJSONPatches)
            ? k.kubelet.configurationJSONPatches
            : [],
        admissionControllers: Array.isArray(k.admissionControllers) ? k.admissionControllers : [],
        extraApiServerArgs: Array.isArray(d.extraArgs?.apiServer) ? d.extraArgs.apiServer : [],
        extraControllerManagerArgs: Array.isArray(d.extraArgs?.controllerManager) ? d.extraArgs.controllerManager : [],
        kubeProxy: !!s.addons && typeof s.addons === "object" && "kubeProxy" in s.addons && s.addons.kubeProxy !== null,
    };
}

export interface StatusInputs {
    namespace: string;
    name: string;
    generation: number;
    versionStatus: VersionStatus;
    version?: string;
    endpoint?: string;
    dataStoreName: string;
    schema: string;
    user: string;
    replicas: number;
    readyReplicas: number;
    /** spec.addons.kubeProxy present: its ConfigMap and RBAC exist in the tenant (no DaemonSet in the lab). */
    kubeProxy: boolean;
    checksums: Partial<Record<keyof ReturnType<typeof secretNames>, string>>;
    now: string;
}

/** The status subtree the controller owns (REFERENCE §2.1 and §7). */
export function tcpStatus(i: StatusInputs): Record<string, unknown> {
    const n = secretNames(i.name);
    const ref = (secretName: string, key: keyof typeof n) =>
        i.checksums[key] ? { secretName, checksum: i.checksums[key], lastUpdate: i.now } : undefined;
    return {
        observedGeneration: i.generation,
        controlPlaneEndpoint: i.endpoint ?? "",
        kubernetesResources: {
            version: { status: i.versionStatus, ...(i.version ? { version: i.version } : {}) },
            deployment: {
                name: i.name,
                namespace: i.namespace,
                selector: `kamaji.clastix.io/name=${i.name}`,
                replicas: i.replicas,
                readyReplicas: i.readyReplicas,
                availableReplicas: i.readyReplicas,
                updatedReplicas: i.readyReplicas,
            },
        },
        addons: {
            coreDNS: { enabled: false },
            konnectivity: { enabled: false },
            kubeProxy: { enabled: i.kubeProxy, ...(i.kubeProxy ? { lastUpdate: i.now } : {}) },
        },
        kubeconfig: {
            admin: ref(n.adminKubeconfig, "adminKubeconfig"),
            controllerManager: ref(n.controllerManagerKubeconfig, "controllerManagerKubeconfig"),
        },
        certificates: {
            ca: ref(n.ca, "ca"),
            sa: ref(n.sa, "sa"),
        },
        storage: {
            driver: "etcd",
            dataStoreName: i.dataStoreName,
            setup: { schema: i.schema, user: i.user, lastUpdate: i.now },
            certificate: ref(n.datastoreCertificate, "datastoreCertificate"),
            config: i.checksums.datastoreConfig
                ? { secretName: n.datastoreConfig, checksum: i.checksums.datastoreConfig }
                : undefined,
        },
    };
}

/** Drop undefined members so a merge patch does not send nulls. */
export function prune<T>(v: T): T {
    return JSON.parse(JSON.stringify(v));
}
