/**
 * A real etcd cluster for integration tests: N members on loopback with mutual TLS for clients and
 * peers, driven by lab/etcd-cluster.sh in a private lab directory. For mocha hooks:
 *
 *   let etcd: EtcdTestCluster;
 *   before(async function () { this.timeout(60_000); etcd = await startEtcdCluster(); });
 *   after(async () => etcd?.down());
 *
 * The etcd binary is the lab script's choice: $ETCD_BIN, else <repo>/bin/etcd, else etcd on PATH.
 * Private keys are generated at run time in a temporary directory and removed by down().
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

const run = promisify(execFile);

export const REPO = path.resolve(__dirname, "..", "..", "..");
const SCRIPT = path.join(REPO, "lab", "etcd-cluster.sh");

export interface EtcdTestCluster {
    name: string;
    /** The lab directory (HCP_LAB_DIR) holding this cluster's state. */
    labDir: string;
    members: number;
    basePort: number;
    /** "127.0.0.1:port", as in a Kamaji DataStore spec. */
    endpoints: string[];
    /** "https://127.0.0.1:port". */
    urls: string[];
    caCertificate: string;
    caPrivateKey: string;
    /** The root client certificate (CN=root, O=system:masters). */
    clientCertificate: string;
    clientPrivateKey: string;
    etcdVersion: string;
    /** Wall time of `etcd-cluster.sh up`, in ms. */
    startMs: number;
    /** Run lab/etcd-cluster.sh with this cluster's lab directory. */
    script(...args: string[]): Promise<{ stdout: string; stderr: string }>;
    stopMember(i: number): Promise<void>;
    /** Start member i again (waits for health when a quorum runs); extra etcd flags optional. */
    startMember(i: number, extraEtcdFlags?: string[]): Promise<void>;
    /**
     * Raise a real NOSPACE alarm: restart member i with --quota-backend-bytes=1 and write through it
     * until etcd refuses the write with "database space exceeded". Resolves to the member ID (hex).
     */
    raiseNoSpaceAlarm(i: number): Promise<string>;
    /** Restart members started with a tiny quota normally and disarm every alarm. */
    clearAlarms(): Promise<void>;
    /** The raised alarms as [memberIdHex, alarm]. */
    listAlarms(): Promise<[string, string][]>;
    /** Stop every member and delete the lab directory. Idempotent. */
    down(): Promise<void>;
}

/** Runs `fn` with the given members stopped, and starts them again in that order however it ends. */
export async function withMembersStopped<T>(
    etcd: EtcdTestCluster,
    members: number[],
    fn: () => Promise<T>,
): Promise<T> {
    for (const i of members) await etcd.stopMember(i);
    try {
        return await fn();
    } finally {
        for (const i of members) await etcd.startMember(i);
    }
}

export interface StartOptions {
    name?: string;
    members?: number;
    /** Default: a free block below the ephemeral port range. */
    basePort?: number;
    /** Enable etcd auth like kamaji-etcd (user root, role root). */
    auth?: boolean;
    /** The cluster's CA (RSA, PEM files), e.g. minted with @pulumi/tls; default one minted for it. */
    ca?: { certFile: string; keyFile: string };
}

function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(false));
        s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
}

/** A base port P with P..P+2n-1 free, in 20000..32000 (below Linux's ephemeral range 32768+). */
export async function findFreeBasePort(members: number): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
        const base = 20000 + 2 * Math.floor(Math.random() * 5900);
        let ok = true;
        for (let p = base; p < base + 2 * members && ok; p++) ok = await portFree(p);
        if (ok) return base;
    }
    throw new Error("no free block of loopback ports in 20000..32000");
}

function etcdClient(c: EtcdTestCluster, hosts: string[]) {
    const { Etcd3 } = require("etcd3") as typeof import("etcd3");

    const { noop } = require("cockatiel") as typeof import("cockatiel");
    return new Etcd3({
        hosts,
        credentials: {
            rootCertificate: Buffer.from(c.caCertificate),
            certChain: Buffer.from(c.clientCertificate),
            privateKey: Buffer.from(c.clientPrivateKey),
        },
        dialTimeout: 3000,
        faultHandling: { host: () => noop as any, global: noop as any },
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5000 }),
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startEtcdCluster(opts: StartOptions = {}): Promise<EtcdTestCluster> {
    const members = opts.members ?? 3;
    const name = opts.name ?? "test";
    const labDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-etcd-"));
    const env = { ...process.env, HCP_LAB_DIR: labDir };
    const script = (...args: string[]) => run("bash", [SCRIPT, ...args], { env, maxBuffer: 4 << 20 });
    const basePort = opts.basePort ?? (await findFreeBasePort(members));
    const t0 = Date.now();
    let upOut: { stdout: string; stderr: string };
    try {
        upOut = await script(
            "up",
            name,
            "--members",
            String(members),
            "--base-port",
            String(basePort),
            ...(opts.auth ? ["--auth"] : []),
            ...(opts.ca ? ["--ca-cert", opts.ca.certFile, "--ca-key", opts.ca.keyFile] : []),
        );
    } catch (e) {
        await script("down", name).catch(() => undefined);
        fs.rmSync(labDir, { recursive: true, force: true });
        throw e;
    }
    const startMs = Date.now() - t0;
    const vars = Object.fromEntries(
        upOut.stdout
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const urls = vars.ETCD_ENDPOINTS.split(",");
    const version = /etcd ([0-9][^,)]*)/.exec(upOut.stderr)?.[1] ?? "unknown";
    const tinyQuota = new Set<number>();
    const c: EtcdTestCluster = {
        name,
        labDir,
        members,
        basePort,
        urls,
        endpoints: urls.map((u) => u.replace(/^https:\/\//, "")),
        caCertificate: fs.readFileSync(vars.ETCD_CACERT, "utf8"),
        caPrivateKey: fs.readFileSync(vars.ETCD_CA_KEY, "utf8"),
        clientCertificate: fs.readFileSync(vars.ETCD_CERT, "utf8"),
        clientPrivateKey: fs.readFileSync(vars.ETCD_KEY, "utf8"),
        etcdVersion: version,
        startMs,
        script,
        async stopMember(i) {
            await script("stop-member", name, String(i));
        },
        async startMember(i, extra = []) {
            await script("start-member", name, String(i), ...(extra.length ? ["--", ...extra] : []));
        },
        async raiseNoSpaceAlarm(i) {
            await c.stopMember(i);
            await c.startMember(i, ["--quota-backend-bytes=1"]);
            tinyQuota.add(i);
            const client = etcdClient(c, [urls[i]]);
            try {
                const memberId = BigInt((await client.maintenance.status()).header.member_id).toString(16);
                for (let n = 0; n < 50; n++) {
                    try {
                        await client.put(`nospace/${n}`).value("x".repeat(1024));
                    } catch (e) {
                        if (!/space exceeded|NOSPACE/i.test((e as Error).message)) throw e;
                    }
                    if ((await c.listAlarms()).some(([m, a]) => m === memberId && a === "NOSPACE")) return memberId;
                    await sleep(100);
                }
                throw new Error(`member ${i} did not raise NOSPACE after 50 writes`);
            } finally {
                client.close();
            }
        },
        async listAlarms() {
            const client = etcdClient(c, urls);
            try {
                const r = await client.maintenance.alarm({ action: 0, memberID: 0, alarm: 0 });
                return (r.alarms ?? []).map(
                    (a) => [BigInt(a.memberID).toString(16), String(a.alarm).toUpperCase()] as [string, string],
                );
            } finally {
                client.close();
            }
        },
        async clearAlarms() {
            for (const i of [...tinyQuota]) {
                await c.stopMember(i);
                await c.startMember(i);
                tinyQuota.delete(i);
            }
            const client = etcdClient(c, urls);
            try {
                const r = await client.maintenance.alarm({ action: 0, memberID: 0, alarm: 0 });
                for (const a of r.alarms ?? []) {
                    await client.maintenance.alarm({
                        action: 2 /* DEACTIVATE */,
                        memberID: a.memberID,
                        alarm: a.alarm,
                    });
                }
            } finally {
                client.close();
            }
        },
        async down() {
            await script("down", name).catch(() => undefined);
            fs.rmSync(labDir, { recursive: true, force: true });
        },
    };
    return c;
}
