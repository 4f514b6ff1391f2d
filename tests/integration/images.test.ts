// lab/images against a real registry (distribution's `registry`, run by lab/registry.sh on a free
// loopback port in a temp lab dir): build.ts builds and pushes pause and the workload, the API
// serves them under the mirror names with the right digests, a second run sends nothing, and a
// real containerd pulls registry.k8s.io/pause:3.10.1 through the registry as a mirror
// (certs.d/registry.k8s.io/hosts.toml), which the registry's access log shows.
// Over 400 lines: the suites share one real registry, started once.
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { buildAndPush, BuildReport, buildGoProgram, REPO } from "../../lab/images/build";
import { MANIFEST_MEDIA_TYPE } from "../../lab/images/oci";

const TOOLCHAIN = process.env.HCP_TOOLCHAIN_CACHE || path.join(os.homedir(), ".cache", "pulumi-hcp-toolchain");

function registryBinary(): string {
    const b = process.env.HCP_REGISTRY_BIN || path.join(REPO, "bin", "registry");
    if (fs.existsSync(b)) return b;
    const built = path.join(TOOLCHAIN, "registry-3.1.2", "bin", "registry");
    if (!process.env.HCP_REGISTRY_BIN && fs.existsSync(built)) return built;
    throw new Error(`${b} is missing: run scripts/toolchain (or set HCP_REGISTRY_BIN)`);
}

/** containerd and ctr: the toolchain's build (containerd-*), else Debian's unpacked one. */
function containerdTools(): { containerd: string; ctr: string } | undefined {
    const dirs: string[] = [];
    if (fs.existsSync(TOOLCHAIN)) {
        for (const d of fs
            .readdirSync(TOOLCHAIN)
            .filter((n) => n.startsWith("containerd-"))
            .sort()) {
            dirs.push(path.join(TOOLCHAIN, d, "bin"));
        }
    }
    dirs.push(path.join(TOOLCHAIN, "debian-containerd", "usr", "bin"));
    for (const d of dirs) {
        const containerd = path.join(d, "containerd");
        const ctr = path.join(d, "ctr");
        if (fs.existsSync(containerd) && fs.existsSync(ctr)) return { containerd, ctr };
    }
    return undefined;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

const sha = (b: Buffer) => "sha256:" + crypto.createHash("sha256").update(b).digest("hex");

describe("lab/images with a real registry", function () {
    this.timeout(300_000);
    let dir: string;
    let addr: string;
    let registry: string;
    let env: NodeJS.ProcessEnv;
    let cold: BuildReport;
    const logFile = () => path.join(dir, "registry", "logs", "registry.log");
    const registrySh = (...args: string[]) =>
        spawnSync("bash", [path.join(REPO, "lab", "registry.sh"), ...args], { env, encoding: "utf8" });

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-images-it-"));
        addr = `127.0.0.1:${await freePort()}`;
        registry = `http://${addr}`;
        env = { ...process.env, HCP_LAB_DIR: dir, HCP_REGISTRY_ADDR: addr, HCP_REGISTRY_BIN: registryBinary() };
        const up = registrySh("up");
        expect(up.status, up.stderr).to.equal(0);
    });
    after(() => {
        if (!dir) return;
        registrySh("down");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("lab/registry.sh: up again is a no-op, status reports ready, the access log is on", async () => {
        const again = registrySh("up");
        expect(again.status, again.stderr).to.equal(0);
        expect(again.stderr).to.not.include("starting");
        const st = registrySh("status");
        expect(st.status).to.equal(0);
        expect(st.stdout).to.include(`registry: ready (http://${addr}`);
        expect((await fetch(`${registry}/v2/`)).status).to.equal(200);
        expect(fs.readFileSync(logFile(), "utf8")).to.match(/"GET \/v2\/ HTTP\/1\.1" 200/);
    });

    it("builds and pushes pause (three tags) and the workload", async () => {
        cold = await buildAndPush({
            registry,
            only: ["pause", "workload"],
            cacheDir: path.join(dir, "cache"),
            log: () => {},
        });
        expect(cold.images.map((i) => [i.kind, i.references, i.built])).to.deep.equal([
            [
                "pause",
                ["registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.9"],
                true,
            ],
            ["workload", [`hcp-lab/echo:${require(path.join(REPO, "package.json")).version}`], true],
        ]);
        const pause = cold.images[0].pushes;
        expect(pause.map((p) => `${p.repository}:${p.tag}`)).to.deep.equal(["pause:3.10.1", "pause:3.10", "pause:3.9"]);
        expect(pause[0].blobsUploaded).to.equal(2);
        // the other tags reuse the blobs the first one sent
        expect(pause.slice(1).map((p) => [p.blobsUploaded, p.manifestPut])).to.deep.equal([
            [0, true],
            [0, true],
        ]);
    });

    it("serves registry.k8s.io/pause:3.10.1 as pause:3.10.1, with digests matching content", async () => {
        for (const ns of ["", "?ns=registry.k8s.io"]) {
            const res = await fetch(`${registry}/v2/pause/manifests/3.10.1${ns}`, {
                headers: { Accept: MANIFEST_MEDIA_TYPE },
            });
            expect(res.status).to.equal(200);
            expect(res.headers.get("content-type")).to.equal(MANIFEST_MEDIA_TYPE);
            const body = Buffer.from(await res.arrayBuffer());
            expect(sha(body)).to.equal(cold.images[0].manifestDigest);
            expect(res.headers.get("docker-content-digest")).to.equal(cold.images[0].manifestDigest);
            const m = JSON.parse(body.toString());
            for (const d of [m.config, ...m.layers]) {
                const blob = Buffer.from(await (await fetch(`${registry}/v2/pause/blobs/${d.digest}`)).arrayBuffer());
                expect(sha(blob)).to.equal(d.digest);
                expect(blob.length).to.equal(d.size);
            }
            const config = JSON.parse(
                Buffer.from(
                    await (await fetch(`${registry}/v2/pause/blobs/${m.config.digest}`)).arrayBuffer(),
                ).toString(),
            );
            expect([config.architecture, config.os, config.config.Entrypoint]).to.deep.equal([
                "amd64",
                "linux",
                ["/pause"],
            ]);
        }
        const tags = await (await fetch(`${registry}/v2/pause/tags/list`)).json();
        expect(tags.tags.sort()).to.deep.equal(["3.10", "3.10.1", "3.9"]);
    });

    it("a second run builds nothing and pushes nothing, in under 2 s", async () => {
        const t0 = Date.now();
        const warm = await buildAndPush({
            registry,
            only: ["pause", "workload"],
            cacheDir: path.join(dir, "cache"),
            log: () => {},
        });
        expect(Date.now() - t0).to.be.lessThan(2000);
        expect(warm.images.map((i) => i.built)).to.deep.equal([false, false]);
        expect(warm.images.flatMap((i) => i.pushes.map((p) => p.manifestPut || p.blobsUploaded > 0))).to.deep.equal([
            false,
            false,
            false,
            false,
        ]);
        expect(warm.images.map((i) => i.manifestDigest)).to.deep.equal(cold.images.map((i) => i.manifestDigest));
    });

    it("pushes the real Kamaji operator's images under their upstream names, entrypoints as Kamaji runs them", async function () {
        // The binaries come from the toolchain; what it has not built yet is skipped (and said).
        const report = await buildAndPush({
            registry,
            only: ["kamaji", "konnectivity", "coredns", "control-plane"],
            cacheDir: path.join(dir, "cache"),
            skipMissing: true,
            log: () => {},
        });
        if (report.skipped.length) console.log(`      (not in the toolchain yet: ${report.skipped.join("; ")})`);
        const kamaji = report.images.find((i) => i.kind === "kamaji");
        expect(kamaji, "the toolchain has no kamaji binary: run scripts/toolchain kamaji").to.not.equal(undefined);
        for (const img of report.images) {
            for (const p of img.pushes) {
                const m = await fetch(`${registry}/v2/${p.repository}/manifests/${p.tag}`, {
                    headers: { Accept: MANIFEST_MEDIA_TYPE },
                });
                expect(m.status, `${p.repository}:${p.tag}`).to.equal(200);
                const manifest = JSON.parse(Buffer.from(await m.arrayBuffer()).toString());
                const config = await (
                    await fetch(`${registry}/v2/${p.repository}/blobs/${manifest.config.digest}`)
                ).json();
                const want: Record<string, string> = {
                    "clastix/kamaji": "/kamaji",
                    "kas-network-proxy/proxy-server": "/proxy-server",
                    "kas-network-proxy/proxy-agent": "/proxy-agent",
                    "coredns/coredns": "/coredns",
                };
                expect(config.config.Entrypoint).to.deep.equal([
                    want[p.repository] ?? `/usr/local/bin/${p.repository}`,
                ]);
            }
        }
        expect(kamaji!.pushes.map((p) => `${p.repository}:${p.tag}`)).to.deep.equal(["clastix/kamaji:v1.0.0"]);
        // containerd asks the mirror for docker.io/clastix/kamaji:v1.0.0 with ?ns=docker.io
        const res = await fetch(`${registry}/v2/clastix/kamaji/manifests/v1.0.0?ns=docker.io`, {
            headers: { Accept: MANIFEST_MEDIA_TYPE },
        });
        expect(res.headers.get("docker-content-digest")).to.equal(kamaji!.manifestDigest);
    });

    describe("containerd pulls through the registry as a mirror", function () {
        const tools = containerdTools();
        let ctrDir: string;
        let containerd: ChildProcess | undefined;
        const sock = () => path.join(ctrDir, "containerd.sock");
        const ctr = (...args: string[]) =>
            spawnSync(tools!.ctr, ["-a", sock(), "-n", "k8s.io", ...args], { encoding: "utf8", timeout: 120_000 });

        before(async function () {
            if (!tools) {
                // Optional by design: the registry API checks above stand on their own.
                console.log(`      (no containerd under ${TOOLCHAIN}: the ctr pull is not run)`);
                this.skip();
            }
            ctrDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-images-ctr-"));
            const hosts = path.join(ctrDir, "certs.d", "registry.k8s.io");
            fs.mkdirSync(hosts, { recursive: true });
            fs.writeFileSync(
                path.join(hosts, "hosts.toml"),
                `server = "${registry}"\n\n[host."${registry}"]\n  capabilities = ["pull", "resolve"]\n`,
            );
            fs.writeFileSync(
                path.join(ctrDir, "config.toml"),
                [
                    "version = 2",
                    `root = "${ctrDir}/root"`,
                    `state = "${ctrDir}/state"`,
                    "[grpc]",
                    `  address = "${sock()}"`,
                    "[ttrpc]",
                    `  address = "${sock()}.ttrpc"`,
                    '[plugins."io.containerd.grpc.v1.cri".registry]',
                    `  config_path = "${ctrDir}/certs.d"`,
                    "",
                ].join("\n"),
            );
            const log = fs.openSync(path.join(ctrDir, "containerd.log"), "a");
            containerd = spawn(tools!.containerd, ["--config", path.join(ctrDir, "config.toml")], {
                stdio: ["ignore", log, log],
            });
            for (let i = 0; i < 100 && ctr("version").status !== 0; i++) await new Promise((r) => setTimeout(r, 200));
            expect(ctr("version").status, fs.readFileSync(path.join(ctrDir, "containerd.log"), "utf8")).to.equal(0);
        });
        after(async () => {
            if (containerd && containerd.exitCode === null) {
                const exited = new Promise((r) => containerd!.once("exit", r));
                containerd.kill("SIGTERM");
                await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
                if (containerd.exitCode === null) containerd.kill("SIGKILL");
            }
            if (ctrDir) {
                spawnSync("umount", ["-R", path.join(ctrDir, "root")], { stdio: "ignore" });
                fs.rmSync(ctrDir, { recursive: true, force: true });
            }
        });

        it("ctr images pull registry.k8s.io/pause:3.10.1 --hosts-dir succeeds and the registry logs the GETs", () => {
            const hostsDir = path.join(ctrDir, "certs.d");
            const r = ctr(
                "images",
                "pull",
                "--snapshotter",
                "native",
                "--hosts-dir",
                hostsDir,
                "registry.k8s.io/pause:3.10.1",
            );
            expect(r.status, r.stderr + r.stdout).to.equal(0);
            const ls = ctr("images", "ls", "-q");
            expect(ls.stdout.split("\n")).to.include("registry.k8s.io/pause:3.10.1");
            const digest = cold.images[0].manifestDigest;
            const check = ctr("images", "check");
            expect(check.stdout).to.match(
                new RegExp(
                    `registry\\.k8s\\.io/pause:3\\.10\\.1\\s+application/vnd\\.oci\\.image\\.manifest\\.v1\\+json\\s+${digest}\\s+complete`,
                ),
            );
            const log = fs.readFileSync(logFile(), "utf8");
            expect(log).to.match(
                /"HEAD \/v2\/pause\/manifests\/3\.10\.1\?ns=registry\.k8s\.io HTTP\/1\.1" 200 .*containerd/,
            );
            expect(log).to.include(`"GET /v2/pause/manifests/${digest}?ns=registry.k8s.io HTTP/1.1" 200`);
            expect(log).to.match(/"GET \/v2\/pause\/blobs\/sha256:[0-9a-f]{64}\?ns=registry\.k8s\.io HTTP\/1\.1" 200/);
        });
    });
});

describe("lab/images Go programs", function () {
    this.timeout(300_000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-images-go-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("podnet: go vet and go test pass (conflist, route diff, routes in a private netns, API client)", () => {
        const cwd = path.join(REPO, "lab", "images", "podnet");
        const goEnv = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" };
        for (const args of [
            ["vet", "./..."],
            ["test", "-count=1", "./..."],
        ]) {
            const r = spawnSync("go", args, { cwd, env: goEnv, encoding: "utf8" });
            expect(r.status, `go ${args.join(" ")}:\n${r.stdout}${r.stderr}`).to.equal(0);
        }
    });

    it("pause: is static, prints its version, exits 0 on SIGTERM", async () => {
        const bin = buildGoProgram("pause", dir, () => {});
        expect(spawnSync("file", [bin], { encoding: "utf8" }).stdout).to.include("statically linked");
        expect(spawnSync(bin, ["-v"], { encoding: "utf8" }).stdout).to.match(/^hcp-lab-pause/);
        const p = spawn(bin, [], { stdio: "ignore" });
        await new Promise((r) => setTimeout(r, 300));
        expect(p.exitCode).to.equal(null);
        const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
        p.kill("SIGTERM");
        expect(await exited).to.equal(0);
    });

    it("pause: as PID 1 of a PID namespace, reaps the orphans re-parented to it", async () => {
        const bin = buildGoProgram("pause", dir, () => {});
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const ns = spawn("unshare", ["--pid", "--fork", bin], { stdio: "ignore" });
        let pause = "";
        try {
            for (let i = 0; i < 50 && !pause; i++) {
                await sleep(50);
                pause = spawnSync("pgrep", ["-P", String(ns.pid)], { encoding: "utf8" }).stdout.trim();
            }
            expect(pause, "pause did not start under unshare --pid --fork").to.match(/^\d+$/);
            const children = () => fs.readFileSync(`/proc/${pause}/task/${pause}/children`, "utf8").trim();
            // the shell exits at once, so its background sleep is re-parented to pause (PID 1 there);
            // stdio ignored, or spawnSync would wait for the sleep holding its pipes
            const r = spawnSync("nsenter", ["-t", pause, "-p", "--", "sh", "-c", "sleep 1 & exit"], {
                stdio: "ignore",
            });
            expect(r.status).to.equal(0);
            expect(children()).to.match(/^\d+$/);
            // once the sleep ends it would stay a zombie child of pause unless pause reaps it
            let left = children();
            for (let i = 0; i < 50 && left; i++) {
                await sleep(100);
                left = children();
            }
            expect(left, "the exited orphan is still a (zombie) child of pause").to.equal("");
        } finally {
            if (pause)
                process.kill(Number(pause), "SIGTERM"); // unshare exits with it
            else ns.kill("SIGTERM");
        }
    });

    it("podnet's conflist works with the real CNI plugins: bridge, host-local, portmap, loopback; ADD then DEL", function () {
        const cniBin = [path.join(REPO, "bin", "cni"), path.join(TOOLCHAIN, "cni-plugins-1.10.0", "bin")].find((d) =>
            fs.existsSync(path.join(d, "bridge")),
        );
        if (!cniBin) {
            console.log(`      (no CNI plugins in bin/cni or ${TOOLCHAIN}: not run)`);
            this.skip();
        }
        const id = `hcpimg${process.pid}`;
        const nodeNs = `${id}-node`;
        const podNs = `${id}-pod`;
        const ipam = path.join(dir, "ipam");
        const conf = JSON.parse(
            spawnSync(
                buildGoProgram("podnet", dir, () => {}),
                ["-print-conflist", "10.244.7.0/28", "-ipam-data-dir", ipam],
                {
                    encoding: "utf8",
                },
            ).stdout,
        );
        const ip = (...args: string[]) => spawnSync("ip", args, { encoding: "utf8" });
        expect(ip("netns", "add", nodeNs).status).to.equal(0);
        try {
            expect(ip("netns", "add", podNs).status).to.equal(0);
            const plugin = (cmd: string, p: any, prevResult?: any) => {
                const stdin = { ...p, cniVersion: conf.cniVersion, name: conf.name, prevResult };
                if (p.type === "portmap") stdin.runtimeConfig = { portMappings: [] };
                const r = spawnSync("ip", ["netns", "exec", nodeNs, path.join(cniBin!, p.type)], {
                    input: JSON.stringify(stdin),
                    encoding: "utf8",
                    env: {
                        ...process.env,
                        CNI_COMMAND: cmd,
                        CNI_CONTAINERID: id,
                        CNI_NETNS: `/run/netns/${podNs}`,
                        CNI_IFNAME: "eth0",
                        CNI_PATH: cniBin,
                    },
                });
                expect(r.status, `${cmd} ${p.type}: ${r.stdout}${r.stderr}`).to.equal(0);
                return r.stdout.trim() ? JSON.parse(r.stdout) : prevResult;
            };
            let result: any;
            for (const p of conf.plugins) result = plugin("ADD", p, result);
            expect(result.ips[0].address).to.match(/^10\.244\.7\.\d+\/28$/);
            expect(result.ips[0].gateway).to.equal("10.244.7.1");
            const routes = ip("netns", "exec", podNs, "ip", "-4", "route").stdout;
            expect(routes).to.include("default via 10.244.7.1 dev eth0");
            expect(ip("netns", "exec", nodeNs, "ip", "-4", "addr", "show", "cni0").stdout).to.include(
                "inet 10.244.7.1/28",
            );
            expect(fs.readdirSync(path.join(ipam, conf.name))).to.include(result.ips[0].address.split("/")[0]);
            for (const p of [...conf.plugins].reverse()) plugin("DEL", p, result);
            expect(fs.readdirSync(path.join(ipam, conf.name))).to.not.include(result.ips[0].address.split("/")[0]);
        } finally {
            ip("netns", "del", podNs);
            ip("netns", "del", nodeNs);
        }
    });

    it("echo: answers / with hostname and IP, /healthz with ok", async () => {
        const bin = buildGoProgram("echo", dir, () => {});
        const port = await freePort();
        const p = spawn(bin, [], { stdio: "ignore", env: { PORT: String(port), POD_IP: "10.244.0.5" } });
        try {
            let health = "";
            for (let i = 0; i < 50 && !health; i++) {
                health = await fetch(`http://127.0.0.1:${port}/healthz`)
                    .then((r) => r.text())
                    .catch(() => new Promise<string>((r) => setTimeout(() => r(""), 100)));
            }
            expect(health).to.equal("ok\n");
            const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
            expect(body).to.match(new RegExp(`^hostname=${os.hostname()} ip=10\\.244\\.0\\.5 `));
        } finally {
            p.kill("SIGTERM");
        }
    });
});
