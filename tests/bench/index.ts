/**
 * Benchmarks (`npm run bench`): speed figures belong here, not in timed tests.
 *  - pure logic: rendering a host preparation script and a JoinConfiguration, CA pin hashing;
 *  - against the running lab (`bash lab/lab up` first; skipped with a note otherwise): SSH connect
 *    and a no-op command on a worker host, an etcd health check of the DataStore (3 members);
 *  - PreparedHost at scale (hostPrepScale.ts): N = 1, 10, 30 fresh hosts prepared through the real
 *    engine, with the `up` wall time and the dynamic-provider process's peak memory.
 * Each figure is the median of repeated runs, with min and max.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { defaultLabFile, LabDescription, readLab } from "../../lab/defaultStack";
import { checkEtcdHealth } from "../../provider/etcd";
import { normalizePrep, renderPrepareScript } from "../../provider/hostprep/logic";
import { renderJoinConfiguration } from "../../provider/kubeadm/joinConfiguration";
import { caCertHash } from "../../lib/pki";
import { withConnection } from "../../lib/ssh/client";
import { hostPrepScale, reportScale } from "./hostPrepScale";
import { realNodes, reportRealNodes } from "./realNodes";

interface Figure {
    name: string;
    unit: string;
    samples: number[];
}

async function sample(times: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < times; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return out;
}

function report(figures: Figure[]): void {
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log("| benchmark | runs | median | min | max |");
    console.log("|---|---|---|---|---|");
    for (const f of figures) {
        const fmt = (v: number) => `${v < 1 ? v.toFixed(3) : v.toFixed(1)} ${f.unit}`;
        console.log(
            `| ${f.name} | ${f.samples.length} | ${fmt(median(f.samples))} | ${fmt(Math.min(...f.samples))} | ${fmt(Math.max(...f.samples))} |`,
        );
    }
}

async function pureLogic(): Promise<Figure[]> {
    const prep = normalizePrep({
        connection: { address: "192.0.2.10" },
        kubernetesVersion: "v1.34.4",
        containerd: { version: "1.7.27", registryMirrors: { "docker.io": ["https://mirror.example"] } },
        packageSource: { kind: "apt" },
        reusePolicy: "clean",
    } as any);
    const join = {
        kubernetesVersion: "v1.34.4",
        apiEndpoint: "198.18.0.1:16600",
        token: "abcdef.0123456789abcdef",
        caCertHash: "sha256:" + "ab".repeat(32),
        nodeName: "worker-1",
        labels: { "example.com/pool": "a" },
    };
    const caPem = execFileSync(
        "sh",
        [
            "-c",
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=bench -keyout /dev/null -days 1 2>/dev/null",
        ],
        { encoding: "utf8" },
    );
    return [
        {
            name: "render host preparation script",
            unit: "ms",
            samples: await sample(200, () => renderPrepareScript(prep)),
        },
        {
            name: "render JoinConfiguration",
            unit: "ms",
            samples: await sample(2000, () => renderJoinConfiguration(join)),
        },
        { name: "CA pin hash (sha256 of SPKI)", unit: "ms", samples: await sample(2000, () => caCertHash(caPem)) },
    ];
}

async function onLab(lab: LabDescription): Promise<Figure[]> {
    const h = lab.hosts[0];
    const conn = { address: h.address, privateKey: fs.readFileSync(lab.sshPrivateKey, "utf8"), hostKey: h.hostKey };
    const ds = lab.dataStore;
    const endpoints = ds.endpoints.split(",").map((e) => e.replace(/^https:\/\//, ""));
    const health = {
        endpoints,
        caCertificate: fs.readFileSync(ds.caCertificate, "utf8"),
        clientCertificate: fs.readFileSync(ds.clientCertificate, "utf8"),
        clientPrivateKey: fs.readFileSync(ds.clientPrivateKey, "utf8"),
    };
    return [
        {
            name: `SSH connect (pinned ed25519 host key) + \`true\` on ${h.name}`,
            unit: "ms",
            samples: await sample(20, () => withConnection(conn, {}, (c) => c.exec(["true"]))),
        },
        {
            name: `etcd health check, ${endpoints.length} members with mTLS`,
            unit: "ms",
            samples: await sample(20, () => checkEtcdHealth(health as any)),
        },
    ];
}

async function main(): Promise<void> {
    const figures = await pureLogic();
    let labNote = "";
    let lab: LabDescription | undefined;
    if (fs.existsSync(defaultLabFile)) {
        lab = readLab(defaultLabFile);
        figures.push(...(await onLab(lab)));
    } else {
        labNote = `\n(lab figures not measured: ${path.relative(process.cwd(), defaultLabFile)} is missing; run \`bash lab/lab up\` first)`;
    }
    report(figures);
    if (labNote) console.log(labNote);
    reportScale(await hostPrepScale());
    if (lab) reportRealNodes(await realNodes(lab));
}

main().catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exit(1);
});
