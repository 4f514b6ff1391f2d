/**
 * Benchmark: prepare N worker hosts (N = 1, 10, 30) through the real Pulumi engine, one
 * PreparedHost per host on real sshd hosts, and report the `up` wall time and the peak memory of
 * the dynamic-provider process (the Node.js process behind pulumi-resource-pulumi-nodejs).
 * Every run starts from fresh hosts and ends with a destroy (reusePolicy "clean").
 */
import * as fs from "fs";
import { labIp } from "../support/labNet";
import * as path from "path";
import { PreparedHost } from "../../provider/hostprep/resource";
import { newInlineStack } from "../support/engine";
import { HostLab, makeBundle, repoRoot, TestHost } from "../support/hosts";

export const SCALE_SIZES = [1, 10, 30];
/** The engine's resource parallelism for these runs (`pulumi up --parallel`). */
export const SCALE_PARALLELISM = 16;

export interface ScaleFigure {
    hosts: number;
    upSeconds: number;
    destroySeconds: number;
    providerPeakMiB: number;
}

/** Peak resident memory (VmHWM) of every live dynamic-provider process, sampled until stopped. */
function watchProviderMemory(): { stop(): number } {
    let peakKiB = 0;
    const sampleOnce = () => {
        for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
            try {
                const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
                if (!cmd.includes("dynamic-provider")) continue;
                const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
                if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
            } catch {
                // the process ended between readdir and read
            }
        }
    };
    const timer = setInterval(sampleOnce, 100);
    return {
        stop: () => {
            clearInterval(timer);
            sampleOnce();
            return Math.round(peakKiB / 1024);
        },
    };
}

async function prepareHosts(n: number, bundleDir: string): Promise<ScaleFigure> {
    const lab = new HostLab();
    const names = Array.from({ length: n }, (_, i) => `bench-${i + 1}`);
    try {
        const hosts: TestHost[] = [];
        for (const [i, name] of names.entries()) {
            hosts.push(await lab.create(name, labIp(201 + i)));
            await lab.installStandIns(name);
        }
        const program = async () => {
            for (const h of hosts) {
                new PreparedHost(h.name, {
                    connection: { address: h.address, user: h.user, privateKey: h.privateKey, hostKey: h.hostKey },
                    kubernetesVersion: "v1.34.4",
                    containerd: { registryMirrors: { "docker.io": ["https://mirror.example"] } },
                    packageSource: { kind: "bundle", path: bundleDir },
                    reusePolicy: "clean",
                });
            }
        };
        const ts = await newInlineStack(`hcp-bench-${n}`, program);
        try {
            const memory = watchProviderMemory();
            const t0 = Date.now();
            const up = await ts.stack.up({ parallel: SCALE_PARALLELISM });
            const upSeconds = (Date.now() - t0) / 1000;
            const providerPeakMiB = memory.stop();
            const created = up.summary.resourceChanges?.create ?? 0;
            if (created !== n + 1) throw new Error(`expected ${n} hosts and the stack created, got ${created} creates`);
            const t1 = Date.now();
            await ts.stack.destroy({ parallel: SCALE_PARALLELISM });
            return { hosts: n, upSeconds, destroySeconds: (Date.now() - t1) / 1000, providerPeakMiB };
        } finally {
            await ts.stack.destroy().catch(() => undefined);
            await ts.dispose();
        }
    } finally {
        await lab.dispose();
    }
}

/** Runs every size in turn; needs root (network namespaces) and the Go-built CLI in bin/. */
export async function hostPrepScale(sizes = SCALE_SIZES): Promise<ScaleFigure[]> {
    const bundleDir = path.join(repoRoot, ".lab", "bundles", `bench-${process.pid}`);
    makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
    try {
        const out: ScaleFigure[] = [];
        for (const n of sizes) out.push(await prepareHosts(n, bundleDir));
        return out;
    } finally {
        fs.rmSync(bundleDir, { recursive: true, force: true });
    }
}

export function reportScale(figures: ScaleFigure[]): void {
    console.log(
        `\nPreparedHost at scale (real engine, --parallel ${SCALE_PARALLELISM}, fresh sshd hosts, bundle source):`,
    );
    console.log("| hosts | up | per host | destroy | provider peak RSS |");
    console.log("|---|---|---|---|---|");
    for (const f of figures) {
        console.log(
            `| ${f.hosts} | ${f.upSeconds.toFixed(1)} s | ${(f.upSeconds / f.hosts).toFixed(2)} s | ${f.destroySeconds.toFixed(1)} s | ${f.providerPeakMiB} MiB |`,
        );
    }
}
