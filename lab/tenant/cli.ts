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
import * as fs from "fs";
import * as path from "path";
import { startTenantControlPlane, stopTenantControlPlane, tenantStatus } from "./index";

function parse(argv: string[]): { cmd: string; flags: Map<string, string[]> } {
    const [cmd, ...rest] = argv;
    const flags = new Map<string, string[]>();
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"`);
        const eq = a.indexOf("=");
        let key: string;
        let val: string;
        if (eq > 0) {
            key = a.slice(2, eq);
            val = a.slice(eq + 1);
        } else if (i + 1 < rest.length && !rest[i + 1].startsWith("--")) {
            key = a.slice(2);
            val = rest[++i];
        } else {
            key = a.slice(2);
            val = "true";
        }
        flags.set(key, [...(flags.get(key) ?? []), val]);
    }
    return { cmd: cmd ?? "", flags };
}

async function main(): Promise<number> {
    const { cmd, flags } = parse(process.argv.slice(2));
    const one = (k: string, def?: string): string => {
        const v = flags.get(k)?.at(-1) ?? def;
        if (v === undefined) throw new Error(`--${k} is required`);
        return v;
    };
    const file = (k: string) => fs.readFileSync(one(k), "utf8");
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
                serviceCidr: one("service-cidr", "10.96.0.0/16"),
                podCidr: one("pod-cidr", "10.244.0.0/16"),
                kubernetesVersion: one("version", "v1.34.4"),
                bindAddress: one("bind-address", "127.0.0.1"),
                certSans: flags.get("cert-san") ?? [],
                restart: flags.has("restart"),
                kubeProxy: flags.has("kube-proxy"),
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
            await stopTenantControlPlane(one("dir"), { purge: flags.has("purge") });
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
