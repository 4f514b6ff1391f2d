#!/usr/bin/env node
/**
 * The lab's Kamaji-contract controller (the Kamaji operator itself needs a container runtime).
 *
 *   node dist/lab/kamaji/controller.js --kubeconfig MGMT_KUBECONFIG --state-dir DIR
 *        [--interval-ms 1000] [--datastore default] [--schema-default uid|namespaced-name]
 *        [--bin-dir <repo>/bin] [--namespaces ns1,ns2] [--ignore-namespaces REGEX] [--datastores ds1,ds2] [--once]
 *   node dist/lab/kamaji/controller.js stop-tenants --state-dir DIR
 *
 * It polls DataStores and TenantControlPlanes (kamaji.clastix.io/v1alpha1) and, per TCP, does what
 * Kamaji promises (../../../shared/reference/kamaji/REFERENCE.md): an etcd role + certificate-only
 * user on "/<schema>/" with a client certificate signed by the DataStore CA; a real tenant
 * kube-apiserver + kube-controller-manager on that prefix; the Secrets `<tcp>-admin-kubeconfig`
 * (admin.conf, super-admin.conf, admin.svc, super-admin.svc), `<tcp>-ca` (ca.crt, ca.key, tls.crt,
 * tls.key), `<tcp>-controller-manager-kubeconfig`, `<tcp>-sa-certificate`,
 * `<tcp>-datastore-certificate`, `<tcp>-datastore-config`; cluster-info and the bootstrap-token RBAC
 * in the tenant; status Ready + version + controlPlaneEndpoint. With the finalizer
 * `finalizer.kamaji.clastix.io`, deleting a TCP stops its processes, deletes every key under its
 * prefix, drops its etcd user and role and its Secrets. DataStores get status.ready/usedBy and the
 * finalizer `kamaji.clastix.io/TenantControlPlane` (removed once no TCP uses them).
 *
 * --namespaces / --datastores limit what this controller touches (tests run their own beside the lab's);
 * --ignore-namespaces leaves the matching namespaces to those test controllers.
 *
 * The state directory keeps each tenant's PKI, pid files and logs, so a restarted controller adopts
 * the running processes instead of starting new ones. SIGTERM stops the controller, not the tenants;
 * `stop-tenants` stops the tenants (lab down).
 */
import * as fs from "fs";
import * as path from "path";
import { KubeClient } from "../../provider/kube";
import { SchemaDefault } from "./logic";
import { Reconciler } from "./reconciler";

function flags(argv: string[]): { cmd?: string; f: Map<string, string> } {
    const f = new Map<string, string>();
    let cmd: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) {
            if (cmd) throw new Error(`unexpected argument "${a}"`);
            cmd = a;
            continue;
        }
        const eq = a.indexOf("=");
        if (eq > 0) f.set(a.slice(2, eq), a.slice(eq + 1));
        else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) f.set(a.slice(2), argv[++i]);
        else f.set(a.slice(2), "true");
    }
    return { cmd, f };
}

const log = (m: string) => process.stderr.write(`[kamaji] ${new Date().toISOString()} ${m}\n`);

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("controller.js");
    } catch {
        return false;
    }
}

async function main(): Promise<number> {
    const { cmd, f } = flags(process.argv.slice(2));
    const stateDir = path.resolve(f.get("state-dir") ?? "");
    if (!f.get("state-dir")) throw new Error("--state-dir is required");
    const schemaDefault = (f.get("schema-default") ?? "uid") as SchemaDefault;
    if (schemaDefault !== "uid" && schemaDefault !== "namespaced-name")
        throw new Error('--schema-default: use "uid" (Kamaji today) or "namespaced-name" (Kamaji before PR #1235)');
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });

    if (cmd === "stop-tenants") {
        const r = new Reconciler(undefined as unknown as KubeClient, { stateDir, binDir: f.get("bin-dir"), log });
        log(`stopped the processes of ${await r.stopAllTenants()} tenant(s)`);
        return 0;
    }
    if (cmd) throw new Error(`unknown command "${cmd}" (use stop-tenants, or no command to run the controller)`);

    const kubeconfigFile = f.get("kubeconfig");
    if (!kubeconfigFile) throw new Error("--kubeconfig is required (the management cluster's admin kubeconfig)");
    const kube = KubeClient.fromKubeconfig(fs.readFileSync(kubeconfigFile, "utf8"));
    const interval = Number(f.get("interval-ms") ?? 1000);

    const pidFile = path.join(stateDir, "controller.pid");
    const other = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").trim() : NaN);
    if (Number.isInteger(other) && other !== process.pid && pidAlive(other)) {
        throw new Error(`another controller (pid ${other}) already uses --state-dir ${stateDir}; stop it first`);
    }
    fs.writeFileSync(pidFile, `${process.pid}\n`);

    const list = (k: string) => (f.get(k) ? f.get(k)!.split(",").filter(Boolean) : undefined);
    const r = new Reconciler(kube, {
        stateDir,
        defaultDataStore: f.get("datastore") ?? "default",
        schemaDefault,
        binDir: f.get("bin-dir"),
        namespaces: list("namespaces"),
        ignoreNamespaces: f.get("ignore-namespaces") ? new RegExp(f.get("ignore-namespaces")!) : undefined,
        dataStores: list("datastores"),
        log,
    });
    let stopping = false;
    let wake: (() => void) | undefined;
    const stop = () => {
        stopping = true;
        wake?.();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    log(`watching DataStores and TenantControlPlanes on ${kube.credentials.server} (state ${stateDir})`);
    try {
        while (!stopping) {
            try {
                await r.pass();
            } catch (e) {
                log(`pass failed: ${(e as Error).message}`);
            }
            if (f.has("once")) {
                await r.idle();
                await r.pass().catch(() => undefined); // DataStore status after the TCPs settled
                break;
            }
            await new Promise<void>((res) => {
                wake = res;
                setTimeout(res, interval);
            });
        }
        await r.idle();
    } finally {
        const cur = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").trim() : "";
        if (cur === String(process.pid)) fs.rmSync(pidFile, { force: true });
    }
    log("controller stopped (tenant processes keep running)");
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        log(`ERROR: ${(e as Error).message}`);
        process.exit(1);
    },
);
