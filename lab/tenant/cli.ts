#!/usr/bin/env node
/**
 * node dist/lab/tenant/cli.js up --name NAME --dir DIR --api-port PORT --etcd-endpoints https://127.0.0.1:2379[,...]
 *                                --etcd-prefix /SCHEMA/ --etcd-ca FILE --etcd-cert FILE --etcd-key FILE
 *                                [--service-cidr 10.96.0.0/16] [--pod-cidr 10.244.0.0/16] [--version v1.34.4]
 *                                [--bind-address 127.0.0.1] [--cert-san NAME]... [--kube-proxy] [--restart]
 * node dist/lab/tenant/cli.js down --dir DIR [--purge]
 * node dist/lab/tenant/cli.js status --dir DIR
 *
 * `up` prints one JSON line (server, kubeconfig paths, pids, timings; no key material).
 */
import { ParseArgsOptionsConfig } from "node:util";
import { parseCommandLine } from "../../lib/commandLine";
import * as fs from "fs";
import * as path from "path";
import { startTenantControlPlane, stopTenantControlPlane, tenantStatus } from "./index";

const OPTIONS = {
    dir: { type: "string" },
    name: { type: "string" },
    "api-port": { type: "string" },
    "etcd-endpoints": { type: "string" },
    "etcd-prefix": { type: "string" },
    "etcd-ca": { type: "string" },
    "etcd-cert": { type: "string" },
    "etcd-key": { type: "string" },
    "service-cidr": { type: "string", default: "10.96.0.0/16" },
    "pod-cidr": { type: "string", default: "10.244.0.0/16" },
    version: { type: "string", default: "v1.34.4" },
    "bind-address": { type: "string", default: "127.0.0.1" },
    "cert-san": { type: "string", multiple: true, default: [] as string[] },
    restart: { type: "boolean", default: false },
    "kube-proxy": { type: "boolean", default: false },
    purge: { type: "boolean", default: false },
} satisfies ParseArgsOptionsConfig;

async function main(): Promise<number> {
    const { positionals, values } = parseCommandLine(process.argv.slice(2), OPTIONS, true);
    const cmd = positionals[0] ?? "";
    const one = (k: keyof typeof OPTIONS): string => {
        const v = values[k];
        if (typeof v !== "string") throw new Error(`--${k} is required`);
        return v;
    };
    const file = (k: keyof typeof OPTIONS) => fs.readFileSync(one(k), "utf8");
    switch (cmd) {
        case "up": {
            const dir = path.resolve(one("dir"));
            const t = await startTenantControlPlane({
                name: one("name"),
                dir,
                apiPort: Number(one("api-port")),
                etcdEndpoints: one("etcd-endpoints").split(","),
                etcdPrefix: one("etcd-prefix"),
                etcdCaPem: file("etcd-ca"),
                etcdCertPem: file("etcd-cert"),
                etcdKeyPem: file("etcd-key"),
                serviceCidr: one("service-cidr"),
                podCidr: one("pod-cidr"),
                kubernetesVersion: one("version"),
                bindAddress: one("bind-address"),
                certSans: values["cert-san"],
                restart: values.restart,
                kubeProxy: values["kube-proxy"],
                log: (m) => process.stderr.write(`[tenant] ${m}\n`),
            });
            process.stdout.write(
                JSON.stringify({
                    name: t.name,
                    server: t.server,
                    endpoint: t.endpoint,
                    adminKubeconfig: path.join(dir, "admin.conf"),
                    superAdminKubeconfig: path.join(dir, "super-admin.conf"),
                    apiserverPid: t.apiserverPid,
                    controllerManagerPid: t.controllerManagerPid,
                    binaryVersion: t.binaryVersion,
                    timings: t.timings,
                }) + "\n",
            );
            return 0;
        }
        case "down":
            await stopTenantControlPlane(one("dir"), { purge: values.purge });
            return 0;
        case "status": {
            const s = tenantStatus(one("dir"));
            process.stdout.write(JSON.stringify(s) + "\n");
            return s.apiserverPid && s.controllerManagerPid ? 0 : 1;
        }
        default:
            process.stderr.write("usage: cli.js up|down|status --dir DIR ... (see the header of lab/tenant/cli.ts)\n");
            return 2;
    }
}

main().then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`[tenant] ERROR: ${(e as Error).message}\n`);
        process.exit(1);
    },
);
