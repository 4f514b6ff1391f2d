/**
 * The one typed object that describes a whole hosted-control-plane stack: the management cluster,
 * its DataStores, the tenant control planes and their worker pools. The shapes are the components'
 * argument shapes, with component references replaced by names (`dataStore: "etcd"`,
 * `controlPlane: "team-a"`) so the spec can live in a YAML or JSON file.
 *
 * Secret fields (kubeconfig, private keys, passwords, registry credentials) are plain strings in
 * the spec; the embedding stores them as secret stack configuration and the program reads them
 * back as secrets (see {@link splitSecrets}).
 */
import type { CgroupDriver, ContainerdArgs, PackageSource, ReusePolicy } from "../provider/hostprep/logic";
import type { Taint } from "../provider/kubeadm/logic";
import {
    HostRegistry,
    PropertyError,
    validateControlPlane,
    validateEndpoints,
    validateManagementRanges,
    validateWorkerPool,
} from "../components/validation";
import { addressText } from "../model/hosts";
import { dnsSubdomainProblem } from "../model/names";
import { versionProblem } from "../model/version";
import { hostKeyProblem, workerPoolValues } from "../components/workerPool";

export interface ManagementClusterSpec {
    /** Component name. Defaults to "mgmt". */
    name?: string;
    /** The management cluster's admin kubeconfig (contents; secret). */
    kubeconfig: string;
    /** Defaults to "kamaji-system". */
    kamajiNamespace?: string;
    podCidrs?: string[];
    serviceCidrs?: string[];
    /** Defaults to true. */
    preflight?: boolean;
    /** Accept an http:// API server in `kubeconfig` (credentials in clear; labs only). Defaults to false. */
    allowInsecureHttp?: boolean;
}

export interface DataStoreSpec {
    /** Component name; control planes refer to it. */
    name: string;
    /** The DataStore object's name. Defaults to `name`. */
    dataStoreName?: string;
    endpoints: string[];
    insecure?: boolean;
    tls: {
        caCertificate: string;
        /** secret */
        caPrivateKey: string;
        clientCertificate?: string;
        /** secret */
        clientPrivateKey?: string;
    };
    clientCommonName?: string;
    clientCertificateValidityDays?: number;
    waitForReady?: boolean;
    healthCheck?: boolean;
    healthFailOn?: "error" | "warning" | "never";
}

export interface ControlPlaneSpec {
    /** Component name; pools refer to it. */
    name: string;
    /** The DataStore (its spec `name`). Defaults to the only DataStore when there is one. */
    dataStore?: string;
    /** The TenantControlPlane's name. Defaults to `name`. */
    tenantName?: string;
    namespace?: string;
    kubernetesVersion: string;
    replicas?: number;
    serviceType?: "LoadBalancer" | "NodePort" | "ClusterIP";
    address?: string;
    port?: number;
    advertiseAddress?: string;
    certSANs?: string[];
    serviceLabels?: Record<string, string>;
    serviceAnnotations?: Record<string, string>;
    network?: { podCidr?: string; serviceCidr?: string; dnsServiceIPs?: string[]; clusterDomain?: string };
    addons?: {
        coreDNS?: { imageRepository?: string; imageTag?: string };
        kubeProxy?: { imageRepository?: string; imageTag?: string };
        konnectivity?: {
            serverPort?: number;
            agentMode?: "DaemonSet" | "Deployment";
            agentReplicas?: number;
            agentHostNetwork?: boolean;
            version?: string;
        };
    };
    kubeletCgroupDriver?: "systemd" | "cgroupfs";
    cniManifest?: string;
    readyTimeoutSeconds?: number;
}

export interface WorkerHostSpec {
    address: string;
    port?: number;
    user?: string;
    /** secret */
    privateKey?: string;
    /** secret */
    privateKeyPassphrase?: string;
    /** secret */
    password?: string;
    hostKey?: string;
    nodeName?: string;
    labels?: Record<string, string>;
    taints?: Taint[];
    kubeletConfiguration?: Record<string, unknown>;
}

export interface WorkerPoolSpec {
    /** Component name. */
    name: string;
    /** The control plane (its spec `name`). */
    controlPlane: string;
    hosts: WorkerHostSpec[];
    kubernetesVersion?: string;
    /** `registryCredentials` are secret. */
    containerd?: ContainerdArgs;
    cgroupDriver?: CgroupDriver;
    kubeletConfiguration?: Record<string, unknown>;
    packageSource?: PackageSource;
    reusePolicy?: ReusePolicy;
    maxUnavailable?: number;
    trustOnFirstUse?: boolean;
    apiEndpoint?: string;
    ignorePreflightErrors?: string[];
}

/** A whole stack. */
export interface HcpSpec {
    managementCluster: ManagementClusterSpec;
    dataStores?: DataStoreSpec[];
    controlPlanes?: ControlPlaneSpec[];
    workerPools?: WorkerPoolSpec[];
}

/** One problem of a spec: where, and what to do. */
export interface SpecProblem {
    /** e.g. "workerPools[0].hosts[1].address" */
    path: string;
    message: string;
}

/** Thrown by {@link assertValidSpec}: every problem at once. */
export class SpecValidationError extends Error {
    constructor(
        readonly problems: SpecProblem[],
        source = "spec",
    ) {
        super(
            `Invalid ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n"),
        );
        this.name = "SpecValidationError";
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

type Kind = "string" | "number" | "boolean" | "object" | "array" | "string[]" | "record";

interface Field {
    kind: Kind;
    required?: boolean;
    /** allowed values */
    oneOf?: readonly string[];
}

const MGMT_FIELDS: Record<string, Field> = {
    name: { kind: "string" },
    kubeconfig: { kind: "string", required: true },
    kamajiNamespace: { kind: "string" },
    podCidrs: { kind: "string[]" },
    serviceCidrs: { kind: "string[]" },
    preflight: { kind: "boolean" },
    allowInsecureHttp: { kind: "boolean" },
};
const DS_FIELDS: Record<string, Field> = {
    name: { kind: "string", required: true },
    dataStoreName: { kind: "string" },
    endpoints: { kind: "string[]", required: true },
    insecure: { kind: "boolean" },
    tls: { kind: "object", required: true },
    clientCommonName: { kind: "string" },
    clientCertificateValidityDays: { kind: "number" },
    waitForReady: { kind: "boolean" },
    healthCheck: { kind: "boolean" },
    healthFailOn: { kind: "string", oneOf: ["error", "warning", "never"] },
};
const TLS_FIELDS: Record<string, Field> = {
    caCertificate: { kind: "string", required: true },
    caPrivateKey: { kind: "string", required: true },
    clientCertificate: { kind: "string" },
    clientPrivateKey: { kind: "string" },
};
const CP_FIELDS: Record<string, Field> = {
    name: { kind: "string", required: true },
    dataStore: { kind: "string" },
    tenantName: { kind: "string" },
    namespace: { kind: "string" },
    kubernetesVersion: { kind: "string", required: true },
    replicas: { kind: "number" },
    serviceType: { kind: "string", oneOf: ["LoadBalancer", "NodePort", "ClusterIP"] },
    address: { kind: "string" },
    port: { kind: "number" },
    advertiseAddress: { kind: "string" },
    certSANs: { kind: "string[]" },
    serviceLabels: { kind: "record" },
    serviceAnnotations: { kind: "record" },
    network: { kind: "object" },
    addons: { kind: "object" },
    kubeletCgroupDriver: { kind: "string", oneOf: ["systemd", "cgroupfs"] },
    cniManifest: { kind: "string" },
    readyTimeoutSeconds: { kind: "number" },
};
const POOL_FIELDS: Record<string, Field> = {
    name: { kind: "string", required: true },
    controlPlane: { kind: "string", required: true },
    hosts: { kind: "array", required: true },
    kubernetesVersion: { kind: "string" },
    containerd: { kind: "object" },
    cgroupDriver: { kind: "string", oneOf: ["systemd", "cgroupfs"] },
    kubeletConfiguration: { kind: "object" },
    packageSource: { kind: "object" },
    reusePolicy: { kind: "string", oneOf: ["retain", "clean"] },
    maxUnavailable: { kind: "number" },
    trustOnFirstUse: { kind: "boolean" },
    apiEndpoint: { kind: "string" },
    ignorePreflightErrors: { kind: "string[]" },
};
const HOST_FIELDS: Record<string, Field> = {
    address: { kind: "string", required: true },
    port: { kind: "number" },
    user: { kind: "string" },
    privateKey: { kind: "string" },
    privateKeyPassphrase: { kind: "string" },
    password: { kind: "string" },
    hostKey: { kind: "string" },
    nodeName: { kind: "string" },
    labels: { kind: "record" },
    taints: { kind: "array" },
    kubeletConfiguration: { kind: "object" },
};
const TOP_FIELDS: Record<string, Field> = {
    managementCluster: { kind: "object", required: true },
    dataStores: { kind: "array" },
    controlPlanes: { kind: "array" },
    workerPools: { kind: "array" },
};

function kindOf(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "an object";
    return `a ${typeof v}`;
}

function checkFields(
    v: unknown,
    path: string,
    fields: Record<string, Field>,
    out: SpecProblem[],
): v is Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
        out.push({ path: path || "(top level)", message: `must be an object; got ${kindOf(v)}` });
        return false;
    }
    const o = v as Record<string, unknown>;
    const at = (k: string) => (path ? `${path}.${k}` : k);
    for (const k of Object.keys(o)) {
        if (!(k in fields)) {
            out.push({
                path: at(k),
                message: `is not a known field; known fields here: ${Object.keys(fields).join(", ")}`,
            });
        }
    }
    for (const [k, f] of Object.entries(fields)) {
        const x = o[k];
        if (x === undefined || x === null) {
            if (f.required) out.push({ path: at(k), message: "is required" });
            continue;
        }
        const bad = (want: string) => out.push({ path: at(k), message: `must be ${want}; got ${kindOf(x)}` });
        switch (f.kind) {
            case "string":
                if (typeof x !== "string") bad("a string");
                else if (f.oneOf && !f.oneOf.includes(x))
                    out.push({
                        path: at(k),
                        message: `must be one of ${f.oneOf.map((s) => `"${s}"`).join(", ")}; got "${x}"`,
                    });
                break;
            case "number":
                if (typeof x !== "number" || !Number.isFinite(x)) bad("a number");
                break;
            case "boolean":
                if (typeof x !== "boolean") bad("true or false");
                break;
            case "object":
                if (typeof x !== "object" || Array.isArray(x)) bad("an object");
                break;
            case "array":
                if (!Array.isArray(x)) bad("a list");
                break;
            case "string[]":
                if (!Array.isArray(x) || x.some((s) => typeof s !== "string")) bad("a list of strings");
                break;
            case "record":
                if (
                    typeof x !== "object" ||
                    Array.isArray(x) ||
                    Object.values(x as object).some((s) => typeof s !== "string")
                )
                    bad("a map of strings to strings");
                break;
        }
    }
    return true;
}

function uniqueNames(list: { name?: unknown }[], path: string, out: SpecProblem[]): void {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
        if (typeof x?.name !== "string") return;
        if (x.name.trim() === "") out.push({ path: `${path}[${i}].name`, message: "must not be empty" });
        const j = seen.get(x.name);
        if (j !== undefined)
            out.push({
                path: `${path}[${i}].name`,
                message: `"${x.name}" is already used by ${path}[${j}]; names must be unique`,
            });
        else seen.set(x.name, i);
    });
}

function componentProblems(prefix: string, errors: PropertyError[], out: SpecProblem[]): void {
    for (const e of errors) out.push({ path: `${prefix}.${e.propertyPath}`, message: e.reason });
}

/**
 * Every problem of a spec read from a file or built by a caller, before anything is touched: the
 * structure (types, required fields, unknown fields), references between entries, and the rules
 * the components apply to plain values (CIDRs, versions, endpoints, hosts, host keys).
 */
export function validateSpec(input: unknown): SpecProblem[] {
    const out: SpecProblem[] = [];
    if (!checkFields(input, "", TOP_FIELDS, out)) return out;
    const spec = input as unknown as HcpSpec;

    const mgmt = spec.managementCluster;
    const mgmtOk = mgmt !== null && typeof mgmt === "object" && !Array.isArray(mgmt);
    if (mgmtOk && checkFields(mgmt, "managementCluster", MGMT_FIELDS, out)) {
        componentProblems("managementCluster", validateManagementRanges(mgmt.podCidrs, mgmt.serviceCidrs), out);
        if (
            typeof mgmt.kubeconfig === "string" &&
            !/\bclusters\s*:/.test(mgmt.kubeconfig) &&
            !/"clusters"/.test(mgmt.kubeconfig)
        )
            out.push({
                path: "managementCluster.kubeconfig",
                message: "must be the contents of a kubeconfig (with clusters, users and contexts), not a path to one",
            });
    }

    const dataStores = Array.isArray(spec.dataStores) ? spec.dataStores : [];
    const controlPlanes = Array.isArray(spec.controlPlanes) ? spec.controlPlanes : [];
    const pools = Array.isArray(spec.workerPools) ? spec.workerPools : [];
    uniqueNames(dataStores, "dataStores", out);
    uniqueNames(controlPlanes, "controlPlanes", out);
    uniqueNames(pools, "workerPools", out);

    dataStores.forEach((ds, i) => {
        const p = `dataStores[${i}]`;
        const before = out.length;
        if (!checkFields(ds, p, DS_FIELDS, out)) return;
        if (ds.tls && typeof ds.tls === "object") checkFields(ds.tls, `${p}.tls`, TLS_FIELDS, out);
        // The components' rules only make sense on well-typed values.
        if (out.length > before) return;
        if (Array.isArray(ds.endpoints) && ds.endpoints.every((e) => typeof e === "string"))
            componentProblems(p, validateEndpoints(ds.endpoints, ds.insecure === true).errors, out);
        const dsName = ds.dataStoreName ?? ds.name;
        if (typeof dsName === "string" && dnsSubdomainProblem(dsName))
            out.push({
                path: `${p}.${ds.dataStoreName ? "dataStoreName" : "name"}`,
                message: dnsSubdomainProblem(dsName)!,
            });
        if (ds.tls && (ds.tls.clientCertificate === undefined) !== (ds.tls.clientPrivateKey === undefined))
            out.push({
                path: `${p}.tls.${ds.tls.clientCertificate === undefined ? "clientCertificate" : "clientPrivateKey"}`,
                message:
                    "clientCertificate and clientPrivateKey go together: give both, or neither to have one minted from the CA",
            });
    });

    const dsNames = dataStores.map((d) => d?.name).filter((n): n is string => typeof n === "string");
    const cpVersions = new Map<string, string>();
    controlPlanes.forEach((cp, i) => {
        const p = `controlPlanes[${i}]`;
        const before = out.length;
        if (!checkFields(cp, p, CP_FIELDS, out)) return;
        const typed = out.length === before;
        if (cp.dataStore === undefined) {
            if (dsNames.length !== 1)
                out.push({
                    path: `${p}.dataStore`,
                    message:
                        dsNames.length === 0
                            ? "needs a DataStore: add one under dataStores"
                            : `is required when there are several DataStores; one of ${dsNames.map((n) => `"${n}"`).join(", ")}`,
                });
        } else if (typeof cp.dataStore === "string" && !dsNames.includes(cp.dataStore)) {
            out.push({
                path: `${p}.dataStore`,
                message: `names no DataStore of this spec ("${cp.dataStore}"); known: ${dsNames.map((n) => `"${n}"`).join(", ") || "none"}`,
            });
        }
        if (typeof cp.kubernetesVersion === "string") {
            const vp = versionProblem(cp.kubernetesVersion);
            if (vp) out.push({ path: `${p}.kubernetesVersion`, message: vp });
            else if (typeof cp.name === "string") cpVersions.set(cp.name, cp.kubernetesVersion);
            if (vp) return;
        } else return;
        if (!typed) return;
        componentProblems(
            p,
            validateControlPlane({
                name: cp.tenantName ?? cp.name,
                kubernetesVersion: cp.kubernetesVersion,
                replicas: cp.replicas,
                serviceType: cp.serviceType,
                address: cp.address,
                port: cp.port,
                advertiseAddress: cp.advertiseAddress,
                certSANs: cp.certSANs,
                network: cp.network,
                addons: cp.addons,
                kubeletCgroupDriver: cp.kubeletCgroupDriver,
                managementPodCidrs: mgmt?.podCidrs,
                managementServiceCidrs: mgmt?.serviceCidrs,
            }),
            out,
        );
    });

    const cpNames = controlPlanes.map((c) => c?.name).filter((n): n is string => typeof n === "string");
    const hosts = new HostRegistry();
    pools.forEach((pool, i) => {
        const p = `workerPools[${i}]`;
        const before = out.length;
        if (!checkFields(pool, p, POOL_FIELDS, out)) return;
        if (typeof pool.controlPlane === "string" && !cpNames.includes(pool.controlPlane))
            out.push({
                path: `${p}.controlPlane`,
                message: `names no control plane of this spec ("${pool.controlPlane}"); known: ${cpNames.map((n) => `"${n}"`).join(", ") || "none"}`,
            });
        if (!Array.isArray(pool.hosts)) return;
        let hostsOk = true;
        pool.hosts.forEach((h, j) => {
            if (!checkFields(h, `${p}.hosts[${j}]`, HOST_FIELDS, out)) hostsOk = false;
        });
        if (!hostsOk || out.length > before) return;
        componentProblems(p, hosts.claimPoolHosts(pool.name, pool.hosts), out);
        componentProblems(
            p,
            validateWorkerPool(workerPoolValues(pool as never, cpVersions.get(pool.controlPlane)), hostKeyProblem),
            out,
        );
    });
    return out;
}

/** Returns the spec typed, or throws a {@link SpecValidationError} listing every problem. */
export function assertValidSpec(input: unknown, source = "spec"): HcpSpec {
    const problems = validateSpec(input);
    if (problems.length > 0) throw new SpecValidationError(problems, source);
    return input as HcpSpec;
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** A secret field of the spec moved into stack configuration under `key`. */
export interface SecretRef {
    $secretConfig: string;
}

export function isSecretRef(v: unknown): v is SecretRef {
    return typeof v === "object" && v !== null && typeof (v as SecretRef).$secretConfig === "string";
}

/** The config key prefix of secrets the embedding stores. */
export const SECRET_KEY_PREFIX = "hcp-secret.";

function keyPart(s: string): string {
    return s.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

/** Where a secret of the spec goes in configuration: stable across reorderings (by names and addresses). */
export function secretKeys(spec: HcpSpec): { path: string; key: string; value: string; set: (v: unknown) => void }[] {
    const out: { path: string; key: string; value: string; set: (v: unknown) => void }[] = [];
    const add = (obj: Record<string, unknown> | undefined, field: string, path: string, key: string) => {
        if (obj && typeof obj[field] === "string")
            out.push({ path, key: SECRET_KEY_PREFIX + key, value: obj[field] as string, set: (v) => (obj[field] = v) });
    };
    add(spec.managementCluster as never, "kubeconfig", "managementCluster.kubeconfig", "mgmt.kubeconfig");
    (spec.dataStores ?? []).forEach((ds, i) => {
        const k = `datastore.${keyPart(ds.name)}`;
        add(ds.tls as never, "caPrivateKey", `dataStores[${i}].tls.caPrivateKey`, `${k}.caPrivateKey`);
        add(ds.tls as never, "clientPrivateKey", `dataStores[${i}].tls.clientPrivateKey`, `${k}.clientPrivateKey`);
    });
    (spec.workerPools ?? []).forEach((pool, i) => {
        const k = `pool.${keyPart(pool.name)}`;
        pool.hosts.forEach((h, j) => {
            const hk = `${k}.host.${keyPart(addressText(h.address))}`;
            for (const f of ["privateKey", "privateKeyPassphrase", "password"])
                add(h as never, f, `workerPools[${i}].hosts[${j}].${f}`, `${hk}.${f}`);
        });
        for (const [registry, cred] of Object.entries(pool.containerd?.registryCredentials ?? {})) {
            for (const f of ["password", "auth", "identityToken"])
                add(
                    cred as never,
                    f,
                    `workerPools[${i}].containerd.registryCredentials["${registry}"].${f}`,
                    `${k}.registry.${keyPart(registry)}.${f}`,
                );
        }
    });
    return out;
}

/**
 * Splits a spec into a copy whose secret fields are {@link SecretRef}s and the secret values by
 * configuration key. The copy is safe to log or keep; the values go into secret configuration.
 */
export function splitSecrets(spec: HcpSpec): { spec: HcpSpec; secrets: Record<string, string> } {
    const copy = JSON.parse(JSON.stringify(spec)) as HcpSpec;
    const secrets: Record<string, string> = {};
    for (const s of secretKeys(copy)) {
        secrets[s.key] = s.value;
        s.set({ $secretConfig: s.key } satisfies SecretRef);
    }
    return { spec: copy, secrets };
}
