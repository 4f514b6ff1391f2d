/**
 * One tenant control plane as processes on this machine: a real kube-apiserver on a DataStore
 * prefix and a real kube-controller-manager, with the tenant PKI, the kubeconfigs Kamaji publishes
 * and the objects `kubeadm join` needs (see ./bootstrap.ts).
 *
 *   startTenantControlPlane(opts)  idempotent: mints what is missing, (re)starts what is not running
 *                                  or runs with other flags, waits for /readyz, applies the bootstrap
 *   stopTenantControlPlane(dir)    stops both processes; leaves the files unless `purge`
 *
 * Everything listens on `bindAddress` (default 127.0.0.1) only. One file per part: the options
 * (./options.ts), each process's flags and start (./apiServer.ts, ./controllerManager.ts,
 * ./scheduler.ts), the saved state and pid files (./state.ts), the kubeconfig files
 * (./kubeconfigFiles.ts), waiting for health (./health.ts).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KubeClient } from "../../lib/kube";
import { ensureApiServer, apiServerBinary, apiServerLog } from "./apiServer";
import { applyTenantBootstrap, tenantBootstrapObjects } from "./bootstrap";
import { controllerManagerBinary, controllerManagerLog, ensureControllerManager } from "./controllerManager";
import { waitHealthy } from "./health";
import { ensureTenantKubeconfigs } from "./kubeconfigFiles";
import { StartContext, TenantControlPlane, TenantControlPlaneOptions, validate } from "./options";
import { ensureTenantPki, pkiPaths, TenantPki } from "./pki";
import { livePid, stopPidFile } from "./process";
import { ensureScheduler, schedulerBinary, schedulerLog } from "./scheduler";
import { apiPidFile, kcmPidFile, readState, schedulerPidFile } from "./state";

export { renderKubeconfig } from "./kubeconfig";
export * from "./bootstrap";
export { filterManaged } from "./flags";
export { TenantControlPlane, TenantControlPlaneOptions } from "./options";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const defaultBinDir = () => process.env.HCP_BIN_DIR ?? path.join(repoRoot, "bin");

export function binaryVersion(binDir: string): string {
    const out = execFileSync(path.join(binDir, "kube-apiserver"), ["--version"], { encoding: "utf8" });
    return out.trim().split(/\s+/).pop() ?? "unknown";
}

/** Checks the options and the binaries, creates the state directory, and reads the saved state. */
function prepareStart(o: TenantControlPlaneOptions): StartContext {
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
    return {
        o,
        log,
        binDir,
        dir,
        bind,
        clusterDomain: o.clusterDomain ?? "cluster.local",
        server: `https://${bind.includes(":") ? `[${bind}]` : bind}:${o.apiPort}`,
        endpoints: o.etcdEndpoints.map((e) => (/^https?:\/\//.test(e) ? e : `https://${e}`)),
        readyTimeoutMs: o.readyTimeoutMs ?? 180_000,
        saved: readState(dir) ?? { name: o.name },
    };
}

function ensurePki(c: StartContext): Promise<TenantPki> {
    const { o } = c;
    return ensureTenantPki({
        name: o.name,
        dir: c.dir,
        serviceCidr: o.serviceCidr,
        clusterDomain: c.clusterDomain,
        addresses: [c.bind],
        certSans: o.certSans ?? [],
        ca: o.ca,
        etcd: { ca: o.etcdCaPem, cert: o.etcdCertPem, key: o.etcdKeyPem },
    });
}

/** The kubeadm objects `kubeadm join` needs, through the super-admin client. */
function applyBootstrap(c: StartContext, su: KubeClient, caPem: string): Promise<void> {
    const { o } = c;
    return applyTenantBootstrap(
        su,
        tenantBootstrapObjects({
            clusterName: o.name,
            server: c.server,
            caPem,
            kubernetesVersion: o.kubernetesVersion,
            serviceCidr: o.serviceCidr,
            podCidr: o.podCidr,
            clusterDomain: c.clusterDomain,
            etcdEndpoints: c.endpoints,
            cgroupDriver: o.cgroupDriver ?? "systemd",
            kubeletConfigPatches: o.kubeletConfigPatches,
            kubeProxy: o.kubeProxy,
        }),
    );
}

/** A local health endpoint with a self-signed serving certificate (the controller-manager's, the scheduler's). */
const localHealthz = (port: number | undefined) => `https://127.0.0.1:${port}/healthz`;

export async function startTenantControlPlane(o: TenantControlPlaneOptions): Promise<TenantControlPlane> {
    const t0 = Date.now();
    const c = prepareStart(o);
    const { dir } = c;
    const pki = await ensurePki(c);
    const kubeconfigs = await ensureTenantKubeconfigs(dir, c.server, o.name, pki.ca);
    const tPki = Date.now();

    const apiserverPid = await ensureApiServer(c, pki.paths);
    const su = KubeClient.fromKubeconfig(kubeconfigs.superAdmin);
    const adminTls = { ca: pki.ca.certPem, cert: su.credentials.clientCertificate, key: su.credentials.clientKey };
    await waitHealthy(
        "kube-apiserver",
        `${c.server}/readyz`,
        adminTls,
        apiPidFile(dir),
        apiServerBinary(c),
        apiServerLog(c),
        c.readyTimeoutMs,
    );
    const tApi = Date.now();

    const kcm = await ensureControllerManager(c, pki.paths);
    // The kubeadm objects go in while the controller-manager starts.
    const tBootStart = Date.now();
    await applyBootstrap(c, su, pki.ca.certPem);
    const tBoot = Date.now();
    await waitHealthy(
        "kube-controller-manager",
        localHealthz(kcm.port),
        { rejectUnauthorized: false },
        kcmPidFile(dir),
        controllerManagerBinary(c),
        controllerManagerLog(c),
        c.readyTimeoutMs,
    );
    const tKcm = Date.now();

    const scheduler = await ensureScheduler(c);
    await waitHealthy(
        "kube-scheduler",
        localHealthz(scheduler.port),
        { rejectUnauthorized: false },
        schedulerPidFile(dir),
        schedulerBinary(c),
        schedulerLog(c),
        c.readyTimeoutMs,
    );
    return {
        name: o.name,
        dir,
        server: c.server,
        endpoint: c.server.replace(/^https:\/\//, ""),
        adminKubeconfig: kubeconfigs.admin,
        superAdminKubeconfig: kubeconfigs.superAdmin,
        controllerManagerKubeconfig: kubeconfigs.controllerManager,
        ca: pki.ca,
        apiserverPid,
        controllerManagerPid: kcm.pid,
        schedulerPid: scheduler.pid,
        binaryVersion: binaryVersion(c.binDir),
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
