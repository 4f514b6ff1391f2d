/**
 * The Kamaji-contract reconciler: DataStores and TenantControlPlanes on the management cluster
 * become etcd users/roles and tenant control-plane processes on this machine
 * (REFERENCE.md §1.1, §2.1, §2.2). One pass = list both kinds, reconcile each TCP (concurrently,
 * one in flight per object), update DataStore status and finalizers, stop orphaned processes.
 *
 * Lab deviations from Kamaji (by necessity, see the README section in ./controller.ts):
 * - processes, not a Deployment/Service: the endpoint is <address or 127.0.0.1>:<port>, and the
 *   port is networkProfile.port unless another process already holds it, then a free one;
 * - one Kubernetes build: the requested version is reported, the available binaries run;
 * - the management cluster has no garbage collector, so the Secrets are deleted explicitly.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KubeApiError, KubeClient } from "../../provider/kube";
import { CertificateAndKey, issueCertificate } from "../../provider/pki";
import { renderKubeconfig } from "../tenant/kubeconfig";
import { defaultBinDir, startTenantControlPlane, stopTenantControlPlane, tenantStatus } from "../tenant";
import { pkiPaths } from "../tenant/pki";
import { freePort, portInUse } from "../tenant/process";
import { connect, ensureTenantAccess, removeTenantAccess } from "./etcd";
import {
    checksum,
    DATASTORE_FINALIZER,
    dataStorePath,
    defaultSchemaName,
    GROUP,
    PAUSED_ANNOTATION,
    prune,
    SchemaDefault,
    secretNames,
    secretPath,
    specView,
    TCP_FINALIZER,
    tcpPath,
    tcpStatus,
    tenantDirName,
    tenantPrefix,
    VERSION,
    VersionStatus,
} from "./logic";

/**
 * The binaries for a tenant's version: `<binDir>/kubernetes/<version>/` when the toolchain built
 * that version (so upgrades run the new binaries for real), else `<binDir>`.
 */
export function binDirFor(binDir: string | undefined, version: string): string | undefined {
    const base = binDir ?? defaultBinDir();
    const versioned = path.join(base, "kubernetes", version);
    return fs.existsSync(path.join(versioned, "kube-apiserver")) ? versioned : binDir;
}

export interface ReconcilerOptions {
    stateDir: string;
    /** The DataStore for TCPs that name none (Kamaji's --datastore flag; chart default "default"). */
    defaultDataStore?: string;
    schemaDefault?: SchemaDefault;
    binDir?: string;
    /** Only these namespaces' TCPs (default: all). Lets a test run its own controller beside the lab's. */
    namespaces?: string[];
    /** TCPs in matching namespaces are left alone (they belong to a test's own controller). */
    ignoreNamespaces?: RegExp;
    /** Only these DataStores' status and finalizers (default: all). */
    dataStores?: string[];
    log?: (msg: string) => void;
}

interface TenantState {
    uid: string;
    namespace: string;
    name: string;
    schema: string;
    user: string;
    dataStore: string;
    port: number;
    /** networkProfile.port when `port` was chosen. */
    requestedPort?: number;
    address: string;
    /** generation + version last brought to Ready. */
    readyGeneration?: number;
    readyVersion?: string;
    setupKey?: string;
    timings?: unknown;
}

interface DataStoreAccess {
    name: string;
    endpoints: string[];
    caPem: string;
    caKeyPem: string;
    rootCertPem: string;
    rootKeyPem: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

function localAddresses(): Set<string> {
    const out = new Set<string>(["127.0.0.1"]);
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.add(a.address);
    return out;
}

export class Reconciler {
    private readonly inFlight = new Map<string, Promise<void>>();
    private readonly backoff = new Map<string, { until: number; delay: number }>();
    private readonly log: (m: string) => void;
    private readonly tenantsDir: string;

    constructor(
        private readonly kube: KubeClient,
        private readonly opts: ReconcilerOptions,
    ) {
        this.log = opts.log ?? ((m) => process.stderr.write(`[kamaji] ${new Date().toISOString()} ${m}\n`));
        this.tenantsDir = path.join(opts.stateDir, "tenants");
        fs.mkdirSync(this.tenantsDir, { recursive: true, mode: 0o700 });
    }

    /** One pass. Resolves when the DataStores are reconciled; TCP work continues in the background (see `idle`). */
    async pass(): Promise<void> {
        const nsList = this.opts.namespaces;
        const [allDataStores, tcpLists] = await Promise.all([
            this.kube.list(dataStorePath()),
            nsList && nsList.length > 0
                ? Promise.all(nsList.map((ns) => this.kube.list(tcpPath(ns))))
                : Promise.all([this.kube.list(`/apis/${GROUP}/${VERSION}/tenantcontrolplanes`)]),
        ]);
        const ignore = this.opts.ignoreNamespaces;
        const tcps = tcpLists.flat().filter((t: any) => !ignore || !ignore.test(t.metadata.namespace));
        const dsNames = this.opts.dataStores;
        const dataStores =
            dsNames && dsNames.length > 0
                ? allDataStores.filter((d: any) => dsNames.includes(d.metadata.name))
                : allDataStores;
        for (const tcp of tcps) {
            const key = tcp.metadata.uid as string;
            if (this.inFlight.has(key)) continue;
            const b = this.backoff.get(key);
            if (b && Date.now() < b.until) continue;
            const p = this.reconcileTcp(tcp)
                .then(() => void this.backoff.delete(key))
                .catch((e) => {
                    const delay = Math.min((b?.delay ?? 1000) * 2, 30_000);
                    this.backoff.set(key, { until: Date.now() + delay, delay });
                    this.log(
                        `TenantControlPlane ${tcp.metadata.namespace}/${tcp.metadata.name}: ${(e as Error).message} (retry in ${delay / 1000} s)`,
                    );
                })
                .finally(() => this.inFlight.delete(key));
            this.inFlight.set(key, p);
        }
        for (const ds of dataStores) {
            try {
                await this.reconcileDataStore(ds, tcps);
            } catch (e) {
                this.log(`DataStore ${ds.metadata.name}: ${(e as Error).message}`);
            }
        }
        await this.stopOrphans(new Set(tcps.map((t: any) => t.metadata.uid)));
    }

    /** Waits for every reconcile in flight. */
    async idle(): Promise<void> {
        while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
    }

    // ------------------------------------------------------------------ state

    private dirFor(tcp: any): string {
        return path.join(this.tenantsDir, tenantDirName(tcp.metadata.namespace, tcp.metadata.name, tcp.metadata.uid));
    }
    private loadState(dir: string): TenantState | undefined {
        try {
            return JSON.parse(fs.readFileSync(path.join(dir, "kamaji.json"), "utf8"));
        } catch {
            return undefined;
        }
    }
    private saveState(dir: string, st: TenantState): void {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(path.join(dir, "kamaji.json"), JSON.stringify(st, null, 2));
    }

    /** Tenant directories whose TCP no longer exists (its finalizer was removed by hand): stop their processes. */
    private async stopOrphans(liveUids: Set<string>): Promise<void> {
        for (const d of fs.readdirSync(this.tenantsDir)) {
            const dir = path.join(this.tenantsDir, d);
            const st = this.loadState(dir);
            if (!st || liveUids.has(st.uid) || this.inFlight.has(st.uid)) continue;
            this.log(`tenant ${st.namespace}/${st.name} (uid ${st.uid}) no longer exists: stopping its processes`);
            await stopTenantControlPlane(path.join(dir, "tenant"), { binDir: this.opts.binDir });
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    // ------------------------------------------------------------------ DataStores

    private async contentOf(ref: any, what: string): Promise<string> {
        if (ref?.content) return unb64(ref.content);
        const sr = ref?.secretReference;
        if (sr?.name) {
            const ns = sr.namespace ?? "default";
            const s = await this.kube.get(secretPath(ns, sr.name));
            if (!s) throw new Error(`${what}: Secret ${ns}/${sr.name} does not exist`);
            const v = s.data?.[sr.keyPath];
            if (!v) throw new Error(`${what}: Secret ${ns}/${sr.name} has no key "${sr.keyPath}"`);
            return unb64(v);
        }
        throw new Error(`${what}: set content or secretReference`);
    }

    private async dataStoreAccess(ds: any): Promise<DataStoreAccess> {
        const name = ds.metadata.name;
        if (ds.spec?.driver !== "etcd")
            throw new Error(`DataStore ${name}: driver "${ds.spec?.driver}" is not available in the lab (only etcd)`);
        const tls = ds.spec.tlsConfig ?? {};
        return {
            name,
            endpoints: (ds.spec.endpoints ?? []).map((e: string) => (/^https?:\/\//.test(e) ? e : `https://${e}`)),
            caPem: await this.contentOf(
                tls.certificateAuthority?.certificate,
                `DataStore ${name} spec.tlsConfig.certificateAuthority.certificate`,
            ),
            caKeyPem: await this.contentOf(
                tls.certificateAuthority?.privateKey,
                `DataStore ${name} spec.tlsConfig.certificateAuthority.privateKey`,
            ),
            rootCertPem: await this.contentOf(
                tls.clientCertificate?.certificate,
                `DataStore ${name} spec.tlsConfig.clientCertificate.certificate`,
            ),
            rootKeyPem: await this.contentOf(
                tls.clientCertificate?.privateKey,
                `DataStore ${name} spec.tlsConfig.clientCertificate.privateKey`,
            ),
        };
    }

    private async reconcileDataStore(ds: any, tcps: any[]): Promise<void> {
        const name = ds.metadata.name;
        const def = this.opts.defaultDataStore ?? "default";
        const usedBy = tcps
            .filter((t) => (t.spec?.dataStore || def) === name)
            .map((t) => `${t.metadata.namespace}/${t.metadata.name}`)
            .sort();
        const finalizers: string[] = ds.metadata.finalizers ?? [];
        const path_ = dataStorePath(name);
        if (ds.metadata.deletionTimestamp) {
            if (usedBy.length === 0 && finalizers.includes(DATASTORE_FINALIZER)) {
                await this.kube.patch(path_, {
                    metadata: {
                        resourceVersion: ds.metadata.resourceVersion,
                        finalizers: finalizers.filter((f) => f !== DATASTORE_FINALIZER),
                    },
                });
                this.log(`DataStore ${name}: no TenantControlPlane uses it any more, finalizer removed`);
                return;
            }
        } else if (!finalizers.includes(DATASTORE_FINALIZER)) {
            ds = await this.kube.patch(path_, {
                metadata: {
                    resourceVersion: ds.metadata.resourceVersion,
                    finalizers: [...finalizers, DATASTORE_FINALIZER],
                },
            });
        }
        let valid = true;
        let message = "the DataStore is valid";
        try {
            await this.dataStoreAccess(ds);
        } catch (e) {
            valid = false;
            message = (e as Error).message;
        }
        const old = ds.status ?? {};
        const cond = (type: string, ok: boolean, reason: string, msg: string) => {
            const prev = (old.conditions ?? []).find((c: any) => c.type === type);
            const status = ok ? "True" : "False";
            return {
                type,
                status,
                reason,
                message: msg,
                observedGeneration: ds.metadata.generation,
                lastTransitionTime:
                    prev && prev.status === status
                        ? prev.lastTransitionTime
                        : new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            };
        };
        const status = {
            ready: valid,
            usedBy,
            observedGeneration: ds.metadata.generation,
            conditions: [
                cond(`${GROUP}/DataStoreValidation`, valid, valid ? "DataStoreValid" : "DataStoreInvalid", message),
                cond(
                    `${GROUP}/DataStoreAllowedDeletion`,
                    usedBy.length === 0,
                    usedBy.length === 0 ? "DataStoreUnused" : "DataStoreInUse",
                    usedBy.length === 0 ? "no TenantControlPlane uses this DataStore" : `used by ${usedBy.join(", ")}`,
                ),
            ],
        };
        const same =
            old.ready === status.ready &&
            JSON.stringify(old.usedBy ?? []) === JSON.stringify(usedBy) &&
            old.observedGeneration === status.observedGeneration &&
            JSON.stringify((old.conditions ?? []).map((c: any) => [c.type, c.status, c.message])) ===
                JSON.stringify(status.conditions.map((c) => [c.type, c.status, c.message]));
        if (!same) await this.kube.patch(dataStorePath(name, "status"), { status });
    }

    // ------------------------------------------------------------------ TenantControlPlanes

    private async patchStatus(tcp: any, status: Record<string, unknown>): Promise<void> {
        try {
            await this.kube.patch(tcpPath(tcp.metadata.namespace, tcp.metadata.name, "status"), {
                status: prune(status),
            });
        } catch (e) {
            if (!(e instanceof KubeApiError && e.notFound)) throw e;
        }
    }

    private async setPhase(tcp: any, phase: VersionStatus, version?: string): Promise<void> {
        const cur = tcp.status?.kubernetesResources?.version;
        if (cur?.status === phase && (version === undefined || cur?.version === version)) return;
        await this.patchStatus(tcp, {
            kubernetesResources: { version: { status: phase, ...(version ? { version } : {}) } },
        });
        this.log(`TenantControlPlane ${tcp.metadata.namespace}/${tcp.metadata.name}: ${phase}`);
    }

    async reconcileTcp(tcp: any): Promise<void> {
        const ns = tcp.metadata.namespace as string;
        const name = tcp.metadata.name as string;
        const id = `TenantControlPlane ${ns}/${name}`;
        if (tcp.metadata.annotations && PAUSED_ANNOTATION in tcp.metadata.annotations) return;
        const dir = this.dirFor(tcp);
        const tenantDir = path.join(dir, "tenant");
        if (tcp.metadata.deletionTimestamp) {
            if ((tcp.metadata.finalizers ?? []).includes(TCP_FINALIZER)) await this.finalize(tcp, dir);
            return;
        }
        const finalizers: string[] = tcp.metadata.finalizers ?? [];
        if (!finalizers.includes(TCP_FINALIZER)) {
            tcp = await this.kube.patch(tcpPath(ns, name), {
                metadata: { resourceVersion: tcp.metadata.resourceVersion, finalizers: [...finalizers, TCP_FINALIZER] },
            });
        }
        // What Kamaji's defaulting webhook does on create (the lab has no webhooks).
        const mode = this.opts.schemaDefault ?? "uid";
        const defaults: Record<string, string> = {};
        if (!tcp.spec?.dataStore) defaults.dataStore = this.opts.defaultDataStore ?? "default";
        if (!tcp.spec?.dataStoreSchema) defaults.dataStoreSchema = defaultSchemaName(tcp, mode);
        if (!tcp.spec?.dataStoreUsername) defaults.dataStoreUsername = defaultSchemaName(tcp, mode);
        if (Object.keys(defaults).length > 0) {
            tcp = await this.kube.patch(tcpPath(ns, name), {
                metadata: { resourceVersion: tcp.metadata.resourceVersion },
                spec: defaults,
            });
        }
        const v = specView(tcp);
        const schema = v.dataStoreSchema!;
        const user = v.dataStoreUsername!;
        const dataStore = v.dataStore!;
        let st = this.loadState(dir);
        const procs = tenantStatus(tenantDir, this.opts.binDir);
        const running = procs.apiserverPid !== undefined && procs.controllerManagerPid !== undefined;
        const phase = tcp.status?.kubernetesResources?.version?.status;

        // Nothing to do: same generation brought to Ready, processes alive, status says so.
        if (st && st.readyGeneration === tcp.metadata.generation && st.readyVersion === v.version) {
            if (v.replicas === 0 && phase === "Sleeping") return;
            if (v.replicas > 0 && running && phase === "Ready") return;
        }

        if (v.replicas === 0) {
            await stopTenantControlPlane(tenantDir, { binDir: this.opts.binDir });
            if (st) this.saveState(dir, { ...st, readyGeneration: tcp.metadata.generation, readyVersion: v.version });
            await this.patchStatus(tcp, {
                observedGeneration: tcp.metadata.generation,
                kubernetesResources: {
                    version: { status: "Sleeping", version: v.version },
                    deployment: {
                        name,
                        namespace: ns,
                        selector: `kamaji.clastix.io/name=${name}`,
                        replicas: 0,
                        readyReplicas: 0,
                    },
                },
            });
            this.log(`${id}: Sleeping (replicas 0)`);
            return;
        }

        const upgrading = !!st?.readyVersion && st.readyVersion !== v.version;
        if (upgrading) await this.setPhase(tcp, "Upgrading", st?.readyVersion);
        else if (!st?.readyVersion) await this.setPhase(tcp, "Provisioning");
        else if (!running) await this.setPhase(tcp, "NotReady", st.readyVersion);

        if (st?.dataStore && st.dataStore !== dataStore) {
            // Kamaji would migrate the data with a Job; the lab refuses rather than start empty.
            throw new Error(
                `spec.dataStore changed from "${st.dataStore}" to "${dataStore}": DataStore migration is not available in the lab; set it back or re-create the TenantControlPlane`,
            );
        }
        const dsObj = await this.kube.get(dataStorePath(dataStore));
        if (!dsObj) throw new Error(`DataStore "${dataStore}" does not exist`);
        const ds = await this.dataStoreAccess(dsObj);

        // Listen address: networkProfile.address, else advertiseAddress, when this machine has it; else loopback.
        const local = localAddresses();
        const wanted = v.address ?? v.advertiseAddress;
        if (wanted && !local.has(wanted)) {
            throw new Error(
                `networkProfile.address "${wanted}" is not an address of this machine; in the lab use 127.0.0.1 or the worker bridge address (198.18.N.1, N = HCP_LAB_NET)`,
            );
        }
        const address = wanted ?? "127.0.0.1";
        let port = st?.port;
        if (
            port === undefined ||
            st?.address !== address ||
            st?.requestedPort !== v.port ||
            (!running && (await portInUse(port, address)))
        ) {
            port = v.port;
            if (await portInUse(port, address)) {
                port = await freePort(address);
                this.log(`${id}: ${address}:${v.port} is taken on this machine, using ${address}:${port} instead`);
            }
        }
        st = {
            uid: tcp.metadata.uid,
            namespace: ns,
            name,
            schema,
            user,
            dataStore,
            port,
            requestedPort: v.port,
            address,
            readyGeneration: st?.readyGeneration,
            readyVersion: st?.readyVersion,
            setupKey: st?.setupKey,
        };
        this.saveState(dir, st);

        // etcd: role + user on /<schema>/ (as the DataStore's root user).
        const setupKey = `${dsObj.metadata.uid}/${schema}/${user}`;
        if (st.setupKey !== setupKey) {
            const etcd = connect({
                endpoints: ds.endpoints,
                caPem: ds.caPem,
                certPem: ds.rootCertPem,
                keyPem: ds.rootKeyPem,
            });
            try {
                await ensureTenantAccess(etcd, schema, user);
            } finally {
                etcd.close();
            }
            st.setupKey = setupKey;
            this.saveState(dir, st);
            this.log(`${id}: etcd role and user "${user}" on ${tenantPrefix(schema)} ready`);
        }

        const names = secretNames(name);
        const etcdClient = await this.datastoreClientCertificate(ns, names.datastoreCertificate, ds, user);
        const ca = await this.existingTenantCa(ns, names.ca);

        const tenant = await startTenantControlPlane({
            name,
            dir: tenantDir,
            etcdEndpoints: ds.endpoints,
            etcdPrefix: tenantPrefix(schema),
            etcdCaPem: ds.caPem,
            etcdCertPem: etcdClient.certPem,
            etcdKeyPem: etcdClient.keyPem,
            serviceCidr: v.serviceCidr,
            podCidr: v.podCidr,
            apiPort: port,
            kubernetesVersion: v.version,
            bindAddress: address,
            certSans: [...v.certSANs, name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`],
            clusterDomain: v.clusterDomain,
            cgroupDriver: v.cgroupDriver,
            kubeletConfigPatches: v.kubeletConfigPatches,
            kubeProxy: v.kubeProxy,
            admissionPlugins: v.admissionControllers,
            extraApiServerArgs: v.extraApiServerArgs,
            extraControllerManagerArgs: v.extraControllerManagerArgs,
            ca,
            restart: upgrading,
            binDir: binDirFor(this.opts.binDir, v.version),
            log: (m) => this.log(`${id}: ${m}`),
        });

        // Kamaji's Secrets, owned by the TCP.
        const svcServer = `https://${name}.${ns}.svc:${port}`;
        const p = pkiPaths(tenantDir);
        const superAdmin = tenant.superAdminKubeconfig;
        const checksums: Record<string, string> = {};
        checksums.adminKubeconfig = await this.upsertSecret(tcp, names.adminKubeconfig, {
            "admin.conf": tenant.adminKubeconfig,
            "super-admin.conf": superAdmin,
            "admin.svc": tenant.adminKubeconfig.replace(`server: ${tenant.server}`, `server: ${svcServer}`),
            "super-admin.svc": superAdmin.replace(`server: ${tenant.server}`, `server: ${svcServer}`),
        });
        checksums.controllerManagerKubeconfig = await this.upsertSecret(tcp, names.controllerManagerKubeconfig, {
            "controller-manager.conf": tenant.controllerManagerKubeconfig,
        });
        checksums.ca = await this.upsertSecret(tcp, names.ca, {
            "ca.crt": tenant.ca.certPem,
            "ca.key": tenant.ca.keyPem,
            "tls.crt": tenant.ca.certPem,
            "tls.key": tenant.ca.keyPem,
        });
        checksums.sa = await this.upsertSecret(tcp, names.sa, {
            "sa.pub": fs.readFileSync(p.saPub, "utf8"),
            "sa.key": fs.readFileSync(p.saKey, "utf8"),
        });
        checksums.datastoreCertificate = await this.upsertSecret(tcp, names.datastoreCertificate, {
            "ca.crt": ds.caPem,
            "server.crt": etcdClient.certPem,
            "server.key": etcdClient.keyPem,
        });
        checksums.datastoreConfig = await this.upsertSecret(tcp, names.datastoreConfig, {
            DB_CONNECTION_STRING: ds.endpoints.join(","),
            DB_SCHEMA: schema,
            DB_USER: user,
            DB_PASSWORD: "",
        });

        const endpoint = `${address.includes(":") ? `[${address}]` : address}:${port}`;
        await this.patchStatus(
            tcp,
            tcpStatus({
                namespace: ns,
                name,
                generation: tcp.metadata.generation,
                versionStatus: "Ready",
                version: v.version,
                endpoint,
                dataStoreName: dataStore,
                schema,
                user,
                replicas: 1,
                readyReplicas: 1,
                kubeProxy: v.kubeProxy,
                checksums,
                now: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            }),
        );
        st.readyGeneration = tcp.metadata.generation;
        st.readyVersion = v.version;
        st.timings = tenant.timings;
        this.saveState(dir, st);
        this.log(
            `${id}: Ready at ${endpoint} (version ${v.version}, binaries ${tenant.binaryVersion}, start ${tenant.timings.total} ms)`,
        );
    }

    /** The tenant CA from `<tcp>-ca` when it exists (Kamaji's source of truth survives a lost state dir). */
    private async existingTenantCa(ns: string, secretName: string): Promise<CertificateAndKey | undefined> {
        const s = await this.kube.get(secretPath(ns, secretName));
        if (!s?.data?.["ca.crt"] || !s?.data?.["ca.key"]) return undefined;
        return { certPem: unb64(s.data["ca.crt"]), keyPem: unb64(s.data["ca.key"]) };
    }

    /** The tenant's etcd client certificate (CN = user, O = system:masters, signed by the DataStore CA); reused while valid. */
    private async datastoreClientCertificate(
        ns: string,
        secretName: string,
        ds: DataStoreAccess,
        user: string,
    ): Promise<CertificateAndKey> {
        const s = await this.kube.get(secretPath(ns, secretName));
        if (s?.data?.["server.crt"] && s?.data?.["server.key"]) {
            try {
                const certPem = unb64(s.data["server.crt"]);
                const c = new crypto.X509Certificate(certPem);
                const ca = new crypto.X509Certificate(ds.caPem);
                const cn = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1];
                if (c.verify(ca.publicKey) && cn === user && new Date(c.validTo).getTime() > Date.now() + 86_400_000) {
                    return { certPem, keyPem: unb64(s.data["server.key"]) };
                }
            } catch {
                /* re-issue */
            }
        }
        return issueCertificate(
            { certPem: ds.caPem, keyPem: ds.caKeyPem },
            { commonName: user, organizations: ["system:masters"], usages: ["client"], validity: 3650 },
        );
    }

    private async upsertSecret(tcp: any, name: string, data: Record<string, string>): Promise<string> {
        const ns = tcp.metadata.namespace;
        const body: any = {
            apiVersion: "v1",
            kind: "Secret",
            type: "Opaque",
            metadata: {
                name,
                namespace: ns,
                labels: { "kamaji.clastix.io/name": tcp.metadata.name, "kamaji.clastix.io/project": "kamaji" },
                ownerReferences: [
                    {
                        apiVersion: `${GROUP}/${VERSION}`,
                        kind: "TenantControlPlane",
                        name: tcp.metadata.name,
                        uid: tcp.metadata.uid,
                        controller: true,
                        blockOwnerDeletion: true,
                    },
                ],
            },
            data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
        };
        const existing = await this.kube.get(secretPath(ns, name));
        if (!existing) {
            await this.kube.create(secretPath(ns), body);
        } else if (
            JSON.stringify(existing.data ?? {}) !== JSON.stringify(body.data) ||
            existing.metadata.ownerReferences?.[0]?.uid !== tcp.metadata.uid
        ) {
            body.metadata.resourceVersion = existing.metadata.resourceVersion;
            await this.kube.replace(secretPath(ns, name), body);
        }
        return checksum(data);
    }

    /** TCP deletion: stop processes, remove the prefix, the user and the role, the Secrets, then the finalizer. */
    private async finalize(tcp: any, dir: string): Promise<void> {
        const ns = tcp.metadata.namespace;
        const name = tcp.metadata.name;
        const id = `TenantControlPlane ${ns}/${name}`;
        const st = this.loadState(dir);
        await stopTenantControlPlane(path.join(dir, "tenant"), { binDir: this.opts.binDir });
        const schema = st?.schema ?? tcp.spec?.dataStoreSchema;
        const user = st?.user ?? tcp.spec?.dataStoreUsername;
        const dsName = st?.dataStore ?? tcp.spec?.dataStore ?? this.opts.defaultDataStore ?? "default";
        if (schema && user) {
            const dsObj = await this.kube.get(dataStorePath(dsName));
            if (!dsObj) {
                this.log(
                    `${id}: DataStore ${dsName} is gone; cannot clean ${tenantPrefix(schema)} (keys, user and role are left on it)`,
                );
            } else {
                const ds = await this.dataStoreAccess(dsObj);
                const etcd = connect({
                    endpoints: ds.endpoints,
                    caPem: ds.caPem,
                    certPem: ds.rootCertPem,
                    keyPem: ds.rootKeyPem,
                });
                try {
                    const n = await removeTenantAccess(etcd, schema, user);
                    this.log(
                        `${id}: deleted ${n} keys under ${tenantPrefix(schema)}, etcd user "${user}" and role "${schema}"`,
                    );
                } finally {
                    etcd.close();
                }
            }
        }
        for (const secret of Object.values(secretNames(name))) {
            const s = await this.kube.get(secretPath(ns, secret));
            if (s && (s.metadata.ownerReferences ?? []).some((o: any) => o.uid === tcp.metadata.uid))
                await this.kube.delete(secretPath(ns, secret));
        }
        fs.rmSync(dir, { recursive: true, force: true });
        const fin = (tcp.metadata.finalizers ?? []).filter((f: string) => f !== TCP_FINALIZER);
        await this.kube.patch(tcpPath(ns, name), {
            metadata: { resourceVersion: tcp.metadata.resourceVersion, finalizers: fin },
        });
        this.log(`${id}: finalized`);
    }

    /** Stops every tenant process this controller started (lab down); etcd data and objects stay. */
    async stopAllTenants(): Promise<number> {
        let n = 0;
        for (const d of fs.readdirSync(this.tenantsDir)) {
            await stopTenantControlPlane(path.join(this.tenantsDir, d, "tenant"), { binDir: this.opts.binDir });
            n++;
        }
        return n;
    }
}

export { renderKubeconfig };
