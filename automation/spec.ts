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
import { z } from "zod";
import {
    PropertyError,
    validateControlPlane,
    validateEndpoints,
    validateManagementRanges,
    validateWorkerPool,
} from "../components/validation";
import { HostRegistry } from "../components/hostRegistry";
import { addressText } from "../model/hosts";
import { dnsSubdomainProblem } from "../model/names";
import { parseWith, withoutNulls } from "../model/problems";
import {
    controlPlaneSpec,
    dataStoreSpec,
    hcpSpec,
    managementClusterSpec,
    workerHostSpec,
    workerPoolSpec,
} from "../model/schemas";
import { versionProblem } from "../model/version";
import { hostKeyProblem, workerPoolValues } from "../components/workerPool";

export type ManagementClusterSpec = z.infer<typeof managementClusterSpec>;
export type DataStoreSpec = z.infer<typeof dataStoreSpec>;
export type ControlPlaneSpec = z.infer<typeof controlPlaneSpec>;
export type WorkerHostSpec = z.infer<typeof workerHostSpec>;
export type WorkerPoolSpec = z.infer<typeof workerPoolSpec>;
/** A whole stack. */
export type HcpSpec = z.infer<typeof hcpSpec>;

/** One problem of a spec: where (`workerPools[0].hosts[1].address`), and what to do. */
export type SpecProblem = PropertyError;

/** Thrown by {@link assertValidSpec}: every problem at once. */
export class SpecValidationError extends Error {
    constructor(
        readonly problems: SpecProblem[],
        source = "spec",
    ) {
        super(
            `Invalid ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n"),
        );
        this.name = "SpecValidationError";
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

function uniqueNames(list: { name?: unknown }[], path: string, out: SpecProblem[]): void {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
        if (typeof x?.name !== "string") return;
        if (x.name.trim() === "") out.push({ propertyPath: `${path}[${i}].name`, reason: "must not be empty" });
        const j = seen.get(x.name);
        if (j !== undefined)
            out.push({
                propertyPath: `${path}[${i}].name`,
                reason: `"${x.name}" is already used by ${path}[${j}]; names must be unique`,
            });
        else seen.set(x.name, i);
    });
}

function componentProblems(prefix: string, errors: PropertyError[], out: SpecProblem[]): void {
    for (const e of errors) out.push({ propertyPath: `${prefix}.${e.propertyPath}`, reason: e.reason });
}

const listOf = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** What the rules of one section need to know of the whole spec. */
interface SpecContext {
    mgmt: ManagementClusterSpec | undefined;
    /** Whether an entry (a path like "controlPlanes[0]") passed its schema: the rules assume it did. */
    sound(path: string): boolean;
    out: SpecProblem[];
}

/**
 * Every problem of a spec read from a file or built by a caller, before anything is touched: the
 * structure (the schemas of model/schemas: types, required fields, unknown fields), references
 * between entries, and the rules the components apply to plain values (CIDRs, versions,
 * endpoints, hosts, host keys). Those rules run on the entries whose structure is sound.
 */
export function validateSpec(input: unknown): SpecProblem[] {
    const structural = parseWith(hcpSpec, input).problems;
    const out: SpecProblem[] = [...structural];
    if (input === null || typeof input !== "object" || Array.isArray(input)) return out;
    const spec = withoutNulls(input) as Record<string, unknown>;
    const ctx: SpecContext = {
        mgmt: spec.managementCluster as ManagementClusterSpec | undefined,
        sound: (path) =>
            !structural.some(
                (p) =>
                    p.propertyPath === path ||
                    p.propertyPath.startsWith(`${path}.`) ||
                    p.propertyPath.startsWith(`${path}[`),
            ),
        out,
    };
    const dataStores = listOf<DataStoreSpec>(spec.dataStores);
    const controlPlanes = listOf<ControlPlaneSpec>(spec.controlPlanes);
    const pools = listOf<WorkerPoolSpec>(spec.workerPools);
    uniqueNames(dataStores, "dataStores", out);
    uniqueNames(controlPlanes, "controlPlanes", out);
    uniqueNames(pools, "workerPools", out);

    managementClusterProblems(ctx);
    dataStores.forEach((ds, i) => dataStoreProblems(ds, `dataStores[${i}]`, ctx));
    const dsNames = namesOf(dataStores);
    const cpVersions = new Map<string, string>();
    controlPlanes.forEach((cp, i) => controlPlaneProblems(cp, `controlPlanes[${i}]`, dsNames, cpVersions, ctx));
    const cpNames = namesOf(controlPlanes);
    const hosts = new HostRegistry();
    pools.forEach((pool, i) => workerPoolProblems(pool, `workerPools[${i}]`, cpNames, cpVersions, hosts, ctx));
    return inSpecOrder(out);
}

const namesOf = (list: { name?: unknown }[]) =>
    list.map((x) => x?.name).filter((n): n is string => typeof n === "string");
const quotedList = (names: string[]) => names.map((n) => `"${n}"`).join(", ");

function managementClusterProblems({ mgmt, sound, out }: SpecContext): void {
    if (mgmt === undefined || !sound("managementCluster")) return;
    componentProblems("managementCluster", validateManagementRanges(mgmt.podCidrs, mgmt.serviceCidrs), out);
    if (!/\bclusters\s*:/.test(mgmt.kubeconfig) && !/"clusters"/.test(mgmt.kubeconfig))
        out.push({
            propertyPath: "managementCluster.kubeconfig",
            reason: "must be the contents of a kubeconfig (with clusters, users and contexts), not a path to one",
        });
}

function dataStoreProblems(ds: DataStoreSpec, p: string, { sound, out }: SpecContext): void {
    if (!sound(p)) return;
    componentProblems(p, validateEndpoints(ds.endpoints, ds.insecure === true).errors, out);
    const dsName = ds.dataStoreName ?? ds.name;
    const nameProblem = dnsSubdomainProblem(dsName);
    if (nameProblem)
        out.push({ propertyPath: `${p}.${ds.dataStoreName ? "dataStoreName" : "name"}`, reason: nameProblem });
    if ((ds.tls.clientCertificate === undefined) !== (ds.tls.clientPrivateKey === undefined))
        out.push({
            propertyPath: `${p}.tls.${ds.tls.clientCertificate === undefined ? "clientCertificate" : "clientPrivateKey"}`,
            reason: "clientCertificate and clientPrivateKey go together: give both, or neither to have one minted from the CA",
        });
}

/** The DataStore it names (or the only one), its version, and the control plane's own rules. */
function controlPlaneProblems(
    cp: ControlPlaneSpec,
    p: string,
    dsNames: string[],
    cpVersions: Map<string, string>,
    { mgmt, sound, out }: SpecContext,
): void {
    if (cp === null || typeof cp !== "object") return;
    if (cp.dataStore === undefined) {
        if (dsNames.length !== 1)
            out.push({
                propertyPath: `${p}.dataStore`,
                reason:
                    dsNames.length === 0
                        ? "needs a DataStore: add one under dataStores"
                        : `is required when there are several DataStores; one of ${quotedList(dsNames)}`,
            });
    } else if (typeof cp.dataStore === "string" && !dsNames.includes(cp.dataStore)) {
        out.push({
            propertyPath: `${p}.dataStore`,
            reason: `names no DataStore of this spec ("${cp.dataStore}"); known: ${quotedList(dsNames) || "none"}`,
        });
    }
    if (!sound(p)) return;
    const vp = versionProblem(cp.kubernetesVersion);
    if (vp) return void out.push({ propertyPath: `${p}.kubernetesVersion`, reason: vp });
    cpVersions.set(cp.name, cp.kubernetesVersion);
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
}

/** The control plane it names, its hosts (each in one pool only), and the pool's own rules. */
function workerPoolProblems(
    pool: WorkerPoolSpec,
    p: string,
    cpNames: string[],
    cpVersions: Map<string, string>,
    hosts: HostRegistry,
    { sound, out }: SpecContext,
): void {
    if (pool === null || typeof pool !== "object") return;
    if (typeof pool.controlPlane === "string" && !cpNames.includes(pool.controlPlane))
        out.push({
            propertyPath: `${p}.controlPlane`,
            reason: `names no control plane of this spec ("${pool.controlPlane}"); known: ${quotedList(cpNames) || "none"}`,
        });
    if (!sound(p)) return;
    componentProblems(p, hosts.claimPoolHosts(pool.name, pool.hosts), out);
    componentProblems(
        p,
        validateWorkerPool(workerPoolValues(pool as never, cpVersions.get(pool.controlPlane)), hostKeyProblem),
        out,
    );
}

const SECTIONS = ["managementCluster", "dataStores", "controlPlanes", "workerPools"];

/** Problems grouped by section and entry, as a reader walks the spec; found order within one entry. */
function inSpecOrder(problems: SpecProblem[]): SpecProblem[] {
    const rank = (p: SpecProblem): [number, number] => {
        const m = /^([A-Za-z]+)(?:\[(\d+)\])?/.exec(p.propertyPath);
        const section = m ? SECTIONS.indexOf(m[1]) : -1;
        return [section === -1 ? SECTIONS.length : section, m?.[2] ? Number(m[2]) : -1];
    };
    return problems
        .map((p, i) => ({ p, i, r: rank(p) }))
        .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.i - b.i)
        .map((x) => x.p);
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
