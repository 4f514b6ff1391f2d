/**
 * One tenant control plane as processes on this machine: a real kube-apiserver on a DataStore
 * prefix and a real kube-controller-manager, with the tenant PKI, the kubeconfigs Kamaji publishes
 * and the objects `kubeadm join` needs (see ./bootstrap.ts).
 *
 *   startTenantControlPlane(opts)  idempotent: mints what is missing, (re)starts what is not running
 *                                  or runs with other flags, waits for /readyz, applies the bootstrap
 *   stopTenantControlPlane(dir)    stops both processes; leaves the files unless `purge`
 *
 * Everything listens on `bindAddress` (default 127.0.0.1) only.
 */
import * as crypto from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { KubeClient } from "../../provider/kube";
import { CertificateAndKey } from "../../provider/pki";
import { applyTenantBootstrap, JsonPatchOp, normalizeVersion, tenantBootstrapObjects } from "./bootstrap";
import { renderKubeconfig } from "./kubeconfig";
import { CLUSTER_ADMINS_GROUP, clientCertificate, ensureTenantPki, pkiPaths, writeSecretFile } from "./pki";
import { freePort, livePid, portInUse, startDetached, stopPidFile, tail } from "./process";

export { renderKubeconfig } from "./kubeconfig";
export * from "./bootstrap";

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

interface SavedState {
    name: string;
    apiArgsHash?: string;
    kcmArgsHash?: string;
    kcmPort?: number;
    schedulerArgsHash?: string;
    schedulerPort?: number;
    server?: string;
    kubernetesVersion?: string;
}

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const defaultBinDir = () => process.env.HCP_BIN_DIR ?? path.join(repoRoot, "bin");

const statePath = (dir: string) => path.join(dir, "tenant.json");
const apiPidFile = (dir: string) => path.join(dir, "kube-apiserver.pid");
const kcmPidFile = (dir: string) => path.join(dir, "kube-controller-manager.pid");
const schedulerPidFile = (dir: string) => path.join(dir, "kube-scheduler.pid");

function readState(dir: string): SavedState | undefined {
    try {
        return JSON.parse(fs.readFileSync(statePath(dir), "utf8"));
    } catch {
        return undefined;
    }
}

function validate(o: TenantControlPlaneOptions): void {
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

/** User flags minus those whose name the lab already sets. */
export function filterManaged(extra: string[] | undefined, managed: string[]): string[] {
    const names = new Set(managed.map((a) => a.replace(/^--/, "").split("=")[0]));
    return (extra ?? []).filter((a) => !names.has(a.replace(/^--/, "").split("=")[0]));
}

const hash = (args: string[]) => crypto.createHash("sha256").update(JSON.stringify(args)).digest("hex").slice(0, 16);

export function binaryVersion(binDir: string): string {
    const out = execFileSync(path.join(binDir, "kube-apiserver"), ["--version"], { encoding: "utf8" });
    return out.trim().split(/\s+/).pop() ?? "unknown";
}

function httpsGet(url: string, opts: https.RequestOptions): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
        const req = https.get(url, { ...opts, timeout: 3000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => resolve({ status: 0, body: "" }));
    });
}

async function waitHealthy(
    what: string,
    url: string,
    opts: https.RequestOptions,
    pidFile: string,
    binary: string,
    logFile: string,
    timeoutMs: number,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = { status: 0, body: "" };
    for (;;) {
        last = await httpsGet(url, opts);
        if (last.status === 200) return;
        if (livePid(pidFile, binary) === undefined)
            throw new Error(`${what} exited during start-up; last log lines (${logFile}):\n${tail(logFile)}`);
        if (Date.now() > deadline) {
            throw new Error(
                `${what} not healthy after ${Math.round(timeoutMs / 1000)} s (${url}: HTTP ${last.status} ${last.body.slice(0, 300)}); see ${logFile}:\n${tail(logFile)}`,
            );
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

async function ensureKubeconfig(
    file: string,
    server: string,
    name: string,
    ca: CertificateAndKey,
    user: string,
    orgs: string[],
): Promise<string> {
    if (fs.existsSync(file)) {
        const text = fs.readFileSync(file, "utf8");
        if (text.includes(`server: ${server}`) && text.includes(Buffer.from(ca.certPem).toString("base64")))
            return text;
    }
    const cert = await clientCertificate(ca, user, orgs);
    const text = renderKubeconfig({
        clusterName: name,
        server,
        caPem: ca.certPem,
        userName: user,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
    });
    writeSecretFile(file, text);
    return text;
}

export async function startTenantControlPlane(o: TenantControlPlaneOptions): Promise<TenantControlPlane> {
    const t0 = Date.now();
    validate(o);
    const log = o.log ?? (() => undefined);
    const binDir = o.binDir ?? defaultBinDir();
    for (const b of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
        if (!fs.existsSync(path.join(binDir, b)))
            throw new Error(`${path.join(binDir, b)} is missing: run scripts/toolchain first`);
    }
    const dir = path.resolve(o.dir);
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true, mode: 0o700 });
    const bind = o.bindAddress ?? "127.0.0.1";
    const clusterDomain = o.clusterDomain ?? "cluster.local";
    const server = `https://${bind.includes(":") ? `[${bind}]` : bind}:${o.apiPort}`;
    const endpoints = o.etcdEndpoints.map((e) => (/^https?:\/\//.test(e) ? e : `https://${e}`));
    const saved: SavedState = readState(dir) ?? { name: o.name };

    const pki = await ensureTenantPki({
        name: o.name,
        dir,
        serviceCidr: o.serviceCidr,
        clusterDomain,
        addresses: [bind],
        certSans: o.certSans ?? [],
        ca: o.ca,
        etcd: { ca: o.etcdCaPem, cert: o.etcdCertPem, key: o.etcdKeyPem },
    });
    const p = pki.paths;
    const superAdmin = await ensureKubeconfig(
        path.join(dir, "super-admin.conf"),
        server,
        o.name,
        pki.ca,
        "kubernetes-super-admin",
        ["system:masters"],
    );
    const admin = await ensureKubeconfig(path.join(dir, "admin.conf"), server, o.name, pki.ca, "kubernetes-admin", [
        CLUSTER_ADMINS_GROUP,
    ]);
    const kcmConf = await ensureKubeconfig(
        path.join(dir, "controller-manager.conf"),
        server,
        o.name,
        pki.ca,
        "system:kube-controller-manager",
        [],
    );
    const schedulerConfPath = path.join(dir, "scheduler.conf");
    await ensureKubeconfig(schedulerConfPath, server, o.name, pki.ca, "system:kube-scheduler", []);
    const tPki = Date.now();

    // kube-apiserver, with the flags Kamaji sets plus the lab's loopback binding.
    const apiBin = path.join(binDir, "kube-apiserver");
    const apiArgs = [
        `--advertise-address=${bind}`,
        `--bind-address=${bind}`,
        `--secure-port=${o.apiPort}`,
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        `--enable-admission-plugins=${[...new Set([...(o.admissionPlugins ?? []), "NodeRestriction"])].join(",")}`,
        "--enable-bootstrap-token-auth=true",
        `--client-ca-file=${p.caCrt}`,
        `--tls-cert-file=${p.apiserverCrt}`,
        `--tls-private-key-file=${p.apiserverKey}`,
        `--kubelet-client-certificate=${p.kubeletClientCrt}`,
        `--kubelet-client-key=${p.kubeletClientKey}`,
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        `--etcd-servers=${endpoints.join(",")}`,
        `--etcd-prefix=${o.etcdPrefix.replace(/\/+$/, "")}`,
        `--etcd-cafile=${p.etcdCa}`,
        `--etcd-certfile=${p.etcdCrt}`,
        `--etcd-keyfile=${p.etcdKey}`,
        "--etcd-compaction-interval=0",
        `--service-cluster-ip-range=${o.serviceCidr}`,
        `--service-account-issuer=https://kubernetes.default.svc.${clusterDomain}`,
        `--service-account-key-file=${p.saPub}`,
        `--service-account-signing-key-file=${p.saKey}`,
        `--cert-dir=${path.join(dir, "apiserver-certs")}`,
        "--profiling=false",
    ];
    apiArgs.push(...filterManaged(o.extraApiServerArgs, apiArgs));
    const apiLog = path.join(dir, "logs", "kube-apiserver.log");
    const apiHash = hash([apiBin, ...apiArgs]);
    let apiPid = livePid(apiPidFile(dir), apiBin);
    if (apiPid !== undefined && (o.restart || saved.apiArgsHash !== apiHash)) {
        log(`${o.name}: restarting kube-apiserver (${o.restart ? "restart requested" : "flags changed"})`);
        await stopPidFile(kcmPidFile(dir), path.join(binDir, "kube-controller-manager"));
        await stopPidFile(apiPidFile(dir), apiBin);
        apiPid = undefined;
    }
    if (apiPid === undefined) {
        if (await portInUse(o.apiPort, bind))
            throw new Error(`apiPort: ${bind}:${o.apiPort} is already in use by another process; pick a free port`);
        log(`${o.name}: starting kube-apiserver on ${server}`);
        apiPid = startDetached(apiBin, apiArgs, apiPidFile(dir), apiLog);
    }
    saved.apiArgsHash = apiHash;
    saved.server = server;
    saved.kubernetesVersion = o.kubernetesVersion;
    fs.writeFileSync(statePath(dir), JSON.stringify(saved, null, 2));
    const adminTls = {
        ca: pki.ca.certPem,
        cert: undefined as string | undefined,
        key: undefined as string | undefined,
    };
    const su = KubeClient.fromKubeconfig(superAdmin);
    adminTls.cert = su.credentials.clientCertificate;
    adminTls.key = su.credentials.clientKey;
    await waitHealthy(
        "kube-apiserver",
        `${server}/readyz`,
        adminTls,
        apiPidFile(dir),
        apiBin,
        apiLog,
        o.readyTimeoutMs ?? 180_000,
    );
    const tApi = Date.now();

    // kube-controller-manager: signs kubelet CSRs with the tenant CA, runs bootstrapsigner + tokencleaner.
    const kcmBin = path.join(binDir, "kube-controller-manager");
    let kcmPort = saved.kcmPort;
    let kcmPid = livePid(kcmPidFile(dir), kcmBin);
    if (kcmPid === undefined && (kcmPort === undefined || (await portInUse(kcmPort)))) kcmPort = await freePort();
    const kcmConfPath = path.join(dir, "controller-manager.conf");
    const kcmArgs = [
        `--kubeconfig=${kcmConfPath}`,
        `--authentication-kubeconfig=${kcmConfPath}`,
        `--authorization-kubeconfig=${kcmConfPath}`,
        `--bind-address=127.0.0.1`,
        `--secure-port=${kcmPort}`,
        `--cert-dir=${path.join(dir, "controller-manager-certs")}`,
        "--controllers=*,bootstrapsigner,tokencleaner",
        `--cluster-name=${o.name}`,
        `--cluster-signing-cert-file=${p.caCrt}`,
        `--cluster-signing-key-file=${p.caKey}`,
        `--client-ca-file=${p.caCrt}`,
        `--root-ca-file=${p.caCrt}`,
        `--service-account-private-key-file=${p.saKey}`,
        "--use-service-account-credentials=true",
        `--service-cluster-ip-range=${o.serviceCidr}`,
        `--cluster-cidr=${o.podCidr}`,
        "--allocate-node-cidrs=true",
        "--leader-elect=false",
        "--profiling=false",
    ];
    kcmArgs.push(...filterManaged(o.extraControllerManagerArgs, kcmArgs));
    const kcmLog = path.join(dir, "logs", "kube-controller-manager.log");
    const kcmHash = hash([kcmBin, ...kcmArgs]);
    if (kcmPid !== undefined && (o.restart || saved.kcmArgsHash !== kcmHash)) {
        log(`${o.name}: restarting kube-controller-manager`);
        await stopPidFile(kcmPidFile(dir), kcmBin);
        kcmPid = undefined;
    }
    if (kcmPid === undefined) {
        log(`${o.name}: starting kube-controller-manager (health on 127.0.0.1:${kcmPort})`);
        kcmPid = startDetached(kcmBin, kcmArgs, kcmPidFile(dir), kcmLog);
    }
    saved.kcmArgsHash = kcmHash;
    saved.kcmPort = kcmPort;
    fs.writeFileSync(statePath(dir), JSON.stringify(saved, null, 2));

    // The kubeadm objects go in while the controller-manager starts.
    const tBootStart = Date.now();
    await applyTenantBootstrap(
        su,
        tenantBootstrapObjects({
            clusterName: o.name,
            server,
            caPem: pki.ca.certPem,
            kubernetesVersion: o.kubernetesVersion,
            serviceCidr: o.serviceCidr,
            podCidr: o.podCidr,
            clusterDomain,
            etcdEndpoints: endpoints,
            cgroupDriver: o.cgroupDriver ?? "systemd",
            kubeletConfigPatches: o.kubeletConfigPatches,
            kubeProxy: o.kubeProxy,
        }),
    );
    const tBoot = Date.now();
    await waitHealthy(
        "kube-controller-manager",
        `https://127.0.0.1:${kcmPort}/healthz`,
        { rejectUnauthorized: false },
        kcmPidFile(dir),
        kcmBin,
        kcmLog,
        o.readyTimeoutMs ?? 180_000,
    );
    const tKcm = Date.now();

    // kube-scheduler: places the tenant's pods on its nodes (Kamaji runs it in the control-plane pod).
    const schedBin = path.join(binDir, "kube-scheduler");
    let schedPort = saved.schedulerPort;
    let schedPid = livePid(schedulerPidFile(dir), schedBin);
    if (schedPid === undefined && (schedPort === undefined || (await portInUse(schedPort))))
        schedPort = await freePort();
    const schedArgs = [
        `--kubeconfig=${schedulerConfPath}`,
        `--authentication-kubeconfig=${schedulerConfPath}`,
        `--authorization-kubeconfig=${schedulerConfPath}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${schedPort}`,
        "--leader-elect=false",
        "--profiling=false",
    ];
    const schedLog = path.join(dir, "logs", "kube-scheduler.log");
    const schedHash = hash([schedBin, ...schedArgs]);
    if (schedPid !== undefined && (o.restart || saved.schedulerArgsHash !== schedHash)) {
        log(`${o.name}: restarting kube-scheduler`);
        await stopPidFile(schedulerPidFile(dir), schedBin);
        schedPid = undefined;
    }
    if (schedPid === undefined) {
        log(`${o.name}: starting kube-scheduler (health on 127.0.0.1:${schedPort})`);
        schedPid = startDetached(schedBin, schedArgs, schedulerPidFile(dir), schedLog);
    }
    saved.schedulerArgsHash = schedHash;
    saved.schedulerPort = schedPort;
    fs.writeFileSync(statePath(dir), JSON.stringify(saved, null, 2));
    await waitHealthy(
        "kube-scheduler",
        `https://127.0.0.1:${schedPort}/healthz`,
        { rejectUnauthorized: false },
        schedulerPidFile(dir),
        schedBin,
        schedLog,
        o.readyTimeoutMs ?? 180_000,
    );
    return {
        name: o.name,
        dir,
        server,
        endpoint: server.replace(/^https:\/\//, ""),
        adminKubeconfig: admin,
        superAdminKubeconfig: superAdmin,
        controllerManagerKubeconfig: kcmConf,
        ca: pki.ca,
        apiserverPid: apiPid,
        controllerManagerPid: kcmPid,
        schedulerPid: schedPid,
        binaryVersion: binaryVersion(binDir),
        timings: {
            pki: tPki - t0,
            apiserverReady: tApi - tPki,
            bootstrap: tBoot - tBootStart,
            controllerManagerHealthy: tKcm - tApi,
            total: tKcm - t0,
        },
    };
}

export interface TenantProcessStatus {
    dir: string;
    apiserverPid?: number;
    controllerManagerPid?: number;
    schedulerPid?: number;
    server?: string;
}

export function tenantStatus(dir: string, binDir = defaultBinDir()): TenantProcessStatus {
    const d = path.resolve(dir);
    return {
        dir: d,
        apiserverPid: livePid(apiPidFile(d), path.join(binDir, "kube-apiserver")),
        controllerManagerPid: livePid(kcmPidFile(d), path.join(binDir, "kube-controller-manager")),
        schedulerPid: livePid(schedulerPidFile(d), path.join(binDir, "kube-scheduler")),
        server: readState(d)?.server,
    };
}

/** Stops the controller-manager, then the apiserver. With `purge`, removes the state directory too. */
export async function stopTenantControlPlane(
    dir: string,
    opts: { purge?: boolean; binDir?: string } = {},
): Promise<void> {
    const d = path.resolve(dir);
    const binDir = opts.binDir ?? defaultBinDir();
    await stopPidFile(schedulerPidFile(d), path.join(binDir, "kube-scheduler"));
    await stopPidFile(kcmPidFile(d), path.join(binDir, "kube-controller-manager"));
    await stopPidFile(apiPidFile(d), path.join(binDir, "kube-apiserver"));
    if (opts.purge) fs.rmSync(d, { recursive: true, force: true });
}

export { pkiPaths };
