/**
 * Builds every image the lab's nodes pull and pushes it into the lab registry (a mirror: each
 * image goes in under the repository its upstream reference names, see push.ts).
 *
 *   node dist/lab/images/build.js REGISTRY_URL [--only pause,workload,podnet,kube-proxy,...]
 *       [--kube-versions 1.30.2,1.29.15] [--tenant-versions 1.29.15,1.30.2]
 *       [--kube-proxy 1.30.2=/path/to/kube-proxy]
 *       [--iptables-root DIR] [--cache DIR] [--skip-missing] [--json] [--agnhost PATH=VERSION]
 *
 * Images: registry.k8s.io/pause:{3.10.1,3.10,3.9} (lab/images/pause), the workload
 * hcp-lab/echo:<package version> (lab/images/echo), hcp-lab/podnet:<package version>
 * (lab/images/podnet) and registry.k8s.io/kube-proxy:v<each version> (the toolchain's kube-proxy
 * plus Debian's iptables userland and the shared libraries it loads); with --agnhost, also
 * registry.k8s.io/e2e-test-images/agnhost:<VERSION>.
 *
 * For the real Kamaji operator (see operatorImages.ts): the tenant control plane's
 * registry.k8s.io/kube-{apiserver,controller-manager,scheduler}:v<each tenant version>, Konnectivity's
 * registry.k8s.io/kas-network-proxy/proxy-{server,agent}, registry.k8s.io/coredns/coredns and
 * docker.io/clastix/kamaji, each the toolchain's static binary where Kamaji's pod specs run it.
 *
 * Everything is cached by content under the cache dir (default $HCP_LAB_DIR/images, else
 * <repo>/.lab/images): Go binaries by their sources, images by their files and config. A run whose
 * inputs did not change builds nothing, and pushes nothing the registry already has.
 */
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { buildImage, ImageConfig, ImageEntry, ociLayoutTar, OciImage, readOciLayoutTar } from "./oci";
import { operatorImageSpecs, OperatorVersions } from "./operatorImages";
import { manifestDigest, parseReference, pushImage, PushResult } from "./push";
import { REPO, toolchainCache } from "./toolchain";

export { REPO };
const IMAGES_SRC = path.join(REPO, "lab", "images");
export const PAUSE_TAGS = ["3.10.1", "3.10", "3.9"];

/** One image to build: its files, config, and the references it is pushed under. */
export interface ImageSpec {
    /** Short name (`pause`, `workload`, `podnet`, `kube-proxy`), what --only selects. */
    kind: string;
    references: string[];
    entries: ImageEntry[];
    config: ImageConfig;
}

export interface BuildOptions {
    registry: string;
    only?: string[];
    /** kube-proxy versions. Defaults to every version in scripts/versions.env (labKubeVersions). */
    kubeVersions?: string[];
    /** Tenant control plane versions. Defaults to TENANT_KUBERNETES_VERSIONS. */
    tenantVersions?: string[];
    /** version → kube-proxy binary, overriding the toolchain lookup. */
    kubeProxy?: Record<string, string>;
    iptablesRoot?: string;
    cacheDir?: string;
    skipMissing?: boolean;
    /**
     * An agnhost binary (k8s.io/kubernetes test/images/agnhost) and the version it is, pushed as
     * registry.k8s.io/e2e-test-images/agnhost:<version>. Optional: the workload is hcp-lab/echo.
     */
    agnhost?: { path: string; version: string };
    log?: (msg: string) => void;
}

export interface BuiltImage {
    kind: string;
    references: string[];
    manifestDigest: string;
    /** false: taken from the cache. */
    built: boolean;
    layerBytes: number;
    pushes: PushResult[];
}

export interface BuildReport {
    images: BuiltImage[];
    skipped: string[];
    seconds: number;
}

export function packageVersion(): string {
    return JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
}

export function defaultCacheDir(): string {
    return path.join(process.env.HCP_LAB_DIR || path.join(REPO, ".lab"), "images");
}

/** One variable of scripts/versions.env (its value without quotes), or "". */
export function versionsEnv(key: string): string {
    const env = fs.readFileSync(path.join(REPO, "scripts", "versions.env"), "utf8");
    return env.match(new RegExp(`^${key}="?([^"\\n]*)"?`, "m"))?.[1] ?? "";
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/**
 * Kubernetes versions of scripts/versions.env: KUBERNETES_VERSION, KUBERNETES_UPGRADE_VERSIONS and
 * TENANT_KUBERNETES_VERSIONS (the tenants' kube-proxy DaemonSet runs at the tenant's version).
 */
export function labKubeVersions(): string[] {
    const all = [
        versionsEnv("KUBERNETES_VERSION"),
        ...words(versionsEnv("KUBERNETES_UPGRADE_VERSIONS")),
        ...words(versionsEnv("TENANT_KUBERNETES_VERSIONS")),
    ];
    return [...new Set(all.filter(Boolean))];
}

/** The versions of the operator's images, from scripts/versions.env. */
export function labOperatorVersions(): OperatorVersions {
    return {
        tenantKubernetes: words(versionsEnv("TENANT_KUBERNETES_VERSIONS")),
        kamaji: versionsEnv("KAMAJI_VERSION"),
        konnectivity: versionsEnv("KONNECTIVITY_VERSION"),
        coredns: versionsEnv("COREDNS_VERSION"),
    };
}

function sha256Hex(data: Buffer | string): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/**
 * sha256 of files, remembered across runs by (path, size, mtime, inode) in <cache>/file-hashes.json,
 * so a warm run does not read the large binaries again; a file that changed in any of those is
 * read and hashed anew.
 */
export class FileHashes {
    private memo: Record<string, { size: number; mtimeMs: number; ino: number; sha256: string }> = {};
    private dirty = false;
    constructor(private readonly file?: string) {
        if (file && fs.existsSync(file)) {
            try {
                this.memo = JSON.parse(fs.readFileSync(file, "utf8"));
            } catch {
                this.memo = {};
            }
        }
    }
    /** Whether the file is as when it was last hashed. */
    unchanged(p: string): boolean {
        const st = fs.statSync(p);
        const m = this.memo[p];
        return !!m && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ino === st.ino;
    }
    sha256(p: string): string {
        const st = fs.statSync(p);
        const m = this.memo[p];
        if (m && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ino === st.ino) return m.sha256;
        const sha256 = sha256Hex(fs.readFileSync(p));
        this.memo[p] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
        this.dirty = true;
        return sha256;
    }
    save(): void {
        if (!this.file || !this.dirty) return;
        fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.memo));
        fs.renameSync(`${this.file}.tmp`, this.file);
        this.dirty = false;
    }
}

// ---------------------------------------------------------------- Go programs

let goVersionMemo: string | undefined;
function goVersion(): string {
    goVersionMemo ??= execFileSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).trim();
    return goVersionMemo;
}

/**
 * Builds lab/images/<name> statically (CGO_ENABLED=0, linux/amd64) into the cache, keyed by its
 * sources and the Go version; returns the binary. A cached binary is reused without running go.
 */
export function buildGoProgram(name: string, cacheDir: string, log: (m: string) => void): string {
    const src = path.join(IMAGES_SRC, name);
    const files = fs
        .readdirSync(src)
        .filter((f) => /\.go$|^go\.(mod|sum)$/.test(f) && !f.endsWith("_test.go"))
        .sort();
    const h = crypto.createHash("sha256").update(goVersion());
    for (const f of files) h.update(f + "\0").update(fs.readFileSync(path.join(src, f)));
    const out = path.join(cacheDir, "bin", `${name}-${h.digest("hex").slice(0, 16)}`);
    if (isExecutable(out)) return out;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const t0 = Date.now();
    const tmp = `${out}.tmp${process.pid}`;
    const r = spawnSync("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", tmp, "."], {
        cwd: src,
        env: { ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOARCH: "amd64", GOFLAGS: "-buildvcs=false" },
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`go build of lab/images/${name} failed:\n${r.stderr}${r.error ?? ""}`);
    fs.renameSync(tmp, out);
    log(`built lab/images/${name} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return out;
}

// ---------------------------------------------------------------- kube-proxy + iptables

/** The toolchain's kube-proxy for version V (e.g. `1.30.2`), or undefined. */
export function findKubeProxy(version: string): string | undefined {
    const v = version.replace(/^v/, "");
    const tc = toolchainCache();
    const candidates = [
        path.join(REPO, "bin", "kubernetes", `v${v}`, "kube-proxy"),
        path.join(tc, `kubernetes-${v}`, "bin", "kube-proxy"),
        path.join(tc, `kube-proxy-${v}`, "bin", "kube-proxy"),
        path.join(tc, `kubelet-${v}`, "bin", "kube-proxy"),
        path.join(tc, `node-${v}`, "bin", "kube-proxy"),
    ];
    const found = candidates.find(isExecutable);
    if (found) return found;
    // bin/kube-proxy only when it reports exactly this version.
    const unversioned = path.join(REPO, "bin", "kube-proxy");
    if (isExecutable(unversioned)) {
        const r = spawnSync(unversioned, ["--version"], { encoding: "utf8" });
        if (r.stdout?.trim() === `Kubernetes v${v}`) return unversioned;
    }
    return undefined;
}

/**
 * A directory holding Debian's iptables unpacked (usr/sbin/xtables-nft-multi inside), or
 * undefined: the toolchain's node userland (bin/node-userland links to <dir>/bin, the tree is
 * <dir>/root), else the newest <toolchain>/debian-node-userland-*, else a private unpack in
 * /tmp/wt-images-tools/iptables-root.
 */
export function findIptablesRoot(): string | undefined {
    const has = (d: string) => isExecutable(path.join(d, "usr", "sbin", "xtables-nft-multi"));
    const roots: string[] = [];
    const linked = path.join(REPO, "bin", "node-userland");
    if (fs.existsSync(linked)) roots.push(path.join(fs.realpathSync(linked), "..", "root"));
    const tc = toolchainCache();
    if (fs.existsSync(tc)) {
        const dirs = fs
            .readdirSync(tc)
            .filter((n) => /userland|iptables/.test(n))
            .map((n) => path.join(tc, n))
            .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
        for (const d of dirs) roots.push(path.join(d, "root"), d);
    }
    roots.push("/tmp/wt-images-tools/iptables-root");
    return roots.find(has);
}

/**
 * The shared libraries `files` load, as [path in image, file here]: ldd run with the unpacked
 * root's library dirs first, so its libraries win; a library from the unpacked root goes to the
 * same path under / in the image, one from this machine (libc, the loader) to the path ldd names.
 */
export function sharedLibraries(
    files: string[],
    root: string,
    hashes?: FileHashes,
    memoDir?: string,
): [string, string][] {
    // ldd runs the loader once per file (~120 xtables modules): remember its answer for these
    // exact files, as long as every file it named is unchanged too.
    let memoFile: string | undefined;
    if (hashes && memoDir) {
        const key = sha256Hex(JSON.stringify([root, files.map((f) => [f, hashes.sha256(f)])]));
        memoFile = path.join(memoDir, `ldd-${key.slice(0, 32)}.json`);
        if (fs.existsSync(memoFile)) {
            const libs: [string, string][] = JSON.parse(fs.readFileSync(memoFile, "utf8"));
            if (libs.every(([, here]) => fs.existsSync(here) && hashes.unchanged(here))) return libs;
        }
    }
    const libs = lddLibraries(files, root);
    if (hashes && memoFile) {
        for (const [, here] of libs) hashes.sha256(here);
        fs.mkdirSync(path.dirname(memoFile), { recursive: true });
        fs.writeFileSync(memoFile, JSON.stringify(libs));
    }
    return libs;
}

function lddLibraries(files: string[], root: string): [string, string][] {
    const libDirs = ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"].map((d) => path.join(root, d));
    const r = spawnSync("ldd", files, {
        encoding: "utf8",
        env: { ...process.env, LD_LIBRARY_PATH: libDirs.filter((d) => fs.existsSync(d)).join(":") },
    });
    if (r.status !== 0 && !r.stdout) throw new Error(`ldd failed: ${r.stderr}`);
    const libs = new Map<string, string>();
    for (const line of r.stdout.split("\n")) {
        const m = line.match(/^\s+(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/);
        if (!m) {
            if (/not found/.test(line)) throw new Error(`ldd: a library is missing: ${line.trim()}`);
            continue;
        }
        const here = m[1];
        const inImage = here.startsWith(root + "/") ? here.slice(root.length) : here;
        libs.set(inImage, fs.realpathSync(here));
    }
    return [...libs.entries()].sort();
}

/** kube-proxy at /usr/local/bin plus the iptables userland (nft backend as `iptables`). */
export function kubeProxyEntries(
    kubeProxy: string,
    iptablesRoot: string,
    hashes?: FileHashes,
    memoDir?: string,
): ImageEntry[] {
    const sbin = path.join(iptablesRoot, "usr", "sbin");
    const xtDir = "/usr/lib/x86_64-linux-gnu/xtables";
    const modules = fs
        .readdirSync(path.join(iptablesRoot, xtDir))
        .filter((f) => f.endsWith(".so"))
        .sort();
    const nft = path.join(sbin, "xtables-nft-multi");
    const legacy = path.join(sbin, "xtables-legacy-multi");
    // conntrack(8), when the userland has it: older kube-proxy releases clean UDP entries with it.
    const conntrack = path.join(sbin, "conntrack");
    const extra = isExecutable(conntrack) && !fs.lstatSync(conntrack).isSymbolicLink() ? [conntrack] : [];
    const entries: ImageEntry[] = [
        { path: "/usr/local/bin/kube-proxy", source: kubeProxy, mode: 0o755 },
        { path: "/usr/sbin/xtables-nft-multi", source: nft, mode: 0o755 },
        { path: "/usr/sbin/xtables-legacy-multi", source: legacy, mode: 0o755 },
        ...modules.map((m) => ({ path: `${xtDir}/${m}`, source: path.join(iptablesRoot, xtDir, m), mode: 0o644 })),
        ...extra.map((f) => ({ path: `/usr/sbin/${path.basename(f)}`, source: f, mode: 0o755 })),
    ];
    for (const fam of ["iptables", "ip6tables"]) {
        for (const suffix of ["", "-save", "-restore"]) {
            entries.push({ path: `/usr/sbin/${fam}${suffix}`, symlink: "xtables-nft-multi" });
            entries.push({ path: `/usr/sbin/${fam}-nft${suffix}`, symlink: "xtables-nft-multi" });
            entries.push({ path: `/usr/sbin/${fam}-legacy${suffix}`, symlink: "xtables-legacy-multi" });
        }
    }
    const libFiles = [nft, legacy, ...extra, ...modules.map((m) => path.join(iptablesRoot, xtDir, m))];
    for (const [inImage, here] of sharedLibraries(libFiles, iptablesRoot, hashes, memoDir)) {
        entries.push({ path: inImage, source: here, mode: 0o755 });
    }
    entries.push(
        { path: "/run", directory: true },
        { path: "/var/run", symlink: "../run" },
        { path: "/tmp", directory: true, mode: 0o1777 },
        { path: "/var/lib/kube-proxy", directory: true },
        { path: "/etc/nsswitch.conf", data: "hosts: files dns\n" },
    );
    return entries;
}

// ---------------------------------------------------------------- the lab's images

/** What to build, given the selection; what cannot be built is returned in `missing`. */
export function labImageSpecs(opts: BuildOptions, cacheDir: string, log: (m: string) => void, hashes?: FileHashes) {
    const want = (k: string) => !opts.only || opts.only.includes(k);
    const version = packageVersion();
    const specs: ImageSpec[] = [];
    const missing: string[] = [];
    if (want("pause")) {
        specs.push({
            kind: "pause",
            references: PAUSE_TAGS.map((t) => `registry.k8s.io/pause:${t}`),
            entries: [{ path: "/pause", source: buildGoProgram("pause", cacheDir, log), mode: 0o755 }],
            config: { entrypoint: ["/pause"], env: [] },
        });
    }
    if (want("workload")) {
        specs.push({
            kind: "workload",
            references: [`hcp-lab/echo:${version}`],
            entries: [{ path: "/echo", source: buildGoProgram("echo", cacheDir, log), mode: 0o755 }],
            config: { entrypoint: ["/echo"], env: ["PORT=8080"], exposedPorts: ["8080/tcp"] },
        });
    }
    if (opts.agnhost && want("agnhost")) {
        specs.push({
            kind: "agnhost",
            references: [`registry.k8s.io/e2e-test-images/agnhost:${opts.agnhost.version}`],
            entries: [
                { path: "/agnhost", source: opts.agnhost.path, mode: 0o755 },
                { path: "/tmp", directory: true, mode: 0o1777 },
            ],
            config: { entrypoint: ["/agnhost"], cmd: ["pause"] },
        });
    }
    if (want("podnet")) {
        specs.push({
            kind: "podnet",
            references: [`hcp-lab/podnet:${version}`],
            entries: [{ path: "/podnet", source: buildGoProgram("podnet", cacheDir, log), mode: 0o755 }],
            config: { entrypoint: ["/podnet"], env: [] },
        });
    }
    if (want("kube-proxy")) {
        const root = opts.iptablesRoot ?? findIptablesRoot();
        for (const v of (opts.kubeVersions ?? labKubeVersions()).map((x) => x.replace(/^v/, ""))) {
            const bin = opts.kubeProxy?.[v] ?? findKubeProxy(v);
            if (!bin || !root) {
                missing.push(
                    `registry.k8s.io/kube-proxy:v${v} (${!bin ? `no kube-proxy v${v} in the toolchain` : "no unpacked iptables: pass --iptables-root"})`,
                );
                continue;
            }
            specs.push({
                kind: "kube-proxy",
                references: [`registry.k8s.io/kube-proxy:v${v}`],
                entries: kubeProxyEntries(bin, root, hashes, cacheDir),
                config: {
                    entrypoint: ["/usr/local/bin/kube-proxy"],
                    env: [
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "XTABLES_LIBDIR=/usr/lib/x86_64-linux-gnu/xtables",
                    ],
                },
            });
        }
    }
    const operator = operatorImageSpecs(
        {
            ...labOperatorVersions(),
            ...(opts.tenantVersions ? { tenantKubernetes: opts.tenantVersions } : {}),
        },
        want,
    );
    specs.push(...operator.specs);
    missing.push(...operator.missing);
    return { specs, missing };
}

/** A key for the image's content: every entry's path, mode and bytes' digest, and the config. */
export function imageKey(spec: ImageSpec, hashes: FileHashes = new FileHashes()): string {
    const h = crypto.createHash("sha256").update("hcp-lab-image-v1\0" + JSON.stringify(spec.config) + "\0");
    for (const e of spec.entries) {
        if ("symlink" in e) h.update(`L ${e.path} ${e.symlink}\0`);
        else if ("directory" in e) h.update(`D ${e.path} ${e.mode ?? ""}\0`);
        else {
            const sha = e.source !== undefined ? hashes.sha256(e.source) : sha256Hex(e.data ?? "");
            const mode = e.mode ?? (e.source !== undefined ? fs.statSync(e.source).mode & 0o7777 : "");
            h.update(`F ${e.path} ${mode} ${sha}\0`);
        }
    }
    return h.digest("hex");
}

interface CacheRecord {
    manifestDigest: string;
    layerBytes: number;
    references: string[];
}

/** Builds (or takes from the cache) and pushes every selected image. */
export async function buildAndPush(opts: BuildOptions): Promise<BuildReport> {
    const t0 = Date.now();
    const log = opts.log ?? ((m: string) => process.stderr.write(`[images] ${m}\n`));
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    fs.mkdirSync(path.join(cacheDir, "oci"), { recursive: true });
    const hashes = new FileHashes(path.join(cacheDir, "file-hashes.json"));
    const { specs, missing } = labImageSpecs(opts, cacheDir, log, hashes);
    if (missing.length && !opts.skipMissing) {
        throw new Error(`cannot build: ${missing.join("; ")} (run scripts/toolchain, or pass --skip-missing)`);
    }
    for (const m of missing) log(`skipping ${m}`);
    const report: BuildReport = { images: [], skipped: missing, seconds: 0 };
    for (const spec of specs) {
        const key = imageKey(spec, hashes);
        hashes.save();
        const tarPath = path.join(cacheDir, "oci", `${key}.tar`);
        const recPath = path.join(cacheDir, "oci", `${key}.json`);
        let rec: CacheRecord | undefined;
        let image: OciImage | undefined;
        let built = false;
        if (fs.existsSync(recPath) && fs.existsSync(tarPath)) {
            rec = JSON.parse(fs.readFileSync(recPath, "utf8"));
        } else {
            const tb = Date.now();
            image = buildImage(spec.entries, spec.config);
            fs.writeFileSync(`${tarPath}.tmp`, ociLayoutTar(image, spec.references[0]));
            fs.renameSync(`${tarPath}.tmp`, tarPath);
            rec = {
                manifestDigest: image.manifestDescriptor.digest,
                layerBytes: image.layerDescriptor.size,
                references: spec.references,
            };
            fs.writeFileSync(recPath, JSON.stringify(rec, null, 2) + "\n");
            built = true;
            log(`built ${spec.references[0]} ${rec.manifestDigest} (${rec.layerBytes} B) in ${Date.now() - tb} ms`);
        }
        const pushes: PushResult[] = [];
        for (const ref of spec.references) {
            const r = parseReference(ref);
            const have = await manifestDigest(opts.registry, r.repository, r.tag);
            if (have === rec!.manifestDigest) {
                pushes.push({
                    repository: r.repository,
                    tag: r.tag,
                    manifestDigest: have,
                    blobsUploaded: 0,
                    blobsSkipped: 2,
                    bytesUploaded: 0,
                    manifestPut: false,
                });
                continue;
            }
            image ??= readOciLayoutTar(fs.readFileSync(tarPath));
            const p = await pushImage(opts.registry, r.repository, r.tag, image);
            pushes.push(p);
            log(`pushed ${ref} as ${r.repository}:${r.tag} (${p.blobsUploaded} blobs, ${p.bytesUploaded} B sent)`);
        }
        report.images.push({
            kind: spec.kind,
            references: spec.references,
            manifestDigest: rec!.manifestDigest,
            built,
            layerBytes: rec!.layerBytes,
            pushes,
        });
    }
    fs.writeFileSync(
        path.join(cacheDir, "images.json"),
        JSON.stringify(
            Object.fromEntries(report.images.flatMap((i) => i.references.map((r) => [r, i.manifestDigest]))),
            null,
            2,
        ) + "\n",
    );
    report.seconds = (Date.now() - t0) / 1000;
    return report;
}

// ---------------------------------------------------------------- CLI

/** What --only selects. */
export const IMAGE_KINDS = [
    "pause",
    "workload",
    "podnet",
    "kube-proxy",
    "agnhost",
    "control-plane",
    "konnectivity",
    "coredns",
    "kamaji",
];

export function parseArgs(argv: string[]): BuildOptions & { json: boolean } {
    const usage =
        `usage: build.js REGISTRY_URL [--only ${IMAGE_KINDS.join(",")}]\n` +
        "       [--kube-versions 1.30.2,...] [--tenant-versions 1.29.15,...]\n" +
        "       [--kube-proxy VERSION=PATH]... [--iptables-root DIR] [--cache DIR] [--skip-missing] [--json]\n" +
        "       [--agnhost PATH=VERSION]";
    const opts: BuildOptions & { json: boolean } = { registry: "", json: false };
    const list = (s: string) => s.split(",").filter(Boolean);
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value\n${usage}`);
            return v;
        };
        if (a === "--only") opts.only = list(val());
        else if (a === "--kube-versions") opts.kubeVersions = list(val());
        else if (a === "--tenant-versions") opts.tenantVersions = list(val());
        else if (a === "--kube-proxy") {
            const [v, p] = val().split("=");
            if (!p) throw new Error(`--kube-proxy takes VERSION=PATH\n${usage}`);
            opts.kubeProxy = { ...opts.kubeProxy, [v.replace(/^v/, "")]: path.resolve(p) };
        } else if (a === "--agnhost") {
            const [p, v] = val().split("=");
            if (!v) throw new Error(`--agnhost takes PATH=VERSION\n${usage}`);
            opts.agnhost = { path: path.resolve(p), version: v };
        } else if (a === "--iptables-root") opts.iptablesRoot = path.resolve(val());
        else if (a === "--cache") opts.cacheDir = path.resolve(val());
        else if (a === "--skip-missing") opts.skipMissing = true;
        else if (a === "--json") opts.json = true;
        else if (a === "-h" || a === "--help") throw new Error(usage);
        else if (a.startsWith("-") || opts.registry) throw new Error(`unexpected argument ${a}\n${usage}`);
        else opts.registry = a;
    }
    if (!opts.registry) throw new Error(usage);
    if (!/^https?:\/\//.test(opts.registry)) opts.registry = `http://${opts.registry}`;
    for (const k of opts.only ?? []) {
        if (!IMAGE_KINDS.includes(k))
            throw new Error(`Unknown image '${k}' in --only (one of ${IMAGE_KINDS.join(", ")})`);
    }
    return opts;
}

async function main(): Promise<void> {
    if (process.argv.includes("-h") || process.argv.includes("--help")) {
        const usage = (() => {
            try {
                parseArgs(["--help"]);
            } catch (e) {
                return (e as Error).message;
            }
        })();
        process.stdout.write(`${usage}\n`);
        return;
    }
    const opts = parseArgs(process.argv.slice(2));
    const report = await buildAndPush(opts);
    if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + "\n");
        return;
    }
    for (const i of report.images) {
        const sent = i.pushes.filter((p) => p.manifestPut).length;
        process.stdout.write(
            `${i.manifestDigest}  ${i.references.join(" ")}  ${i.built ? "built" : "cached"}, ${sent ? `pushed ${sent} tag(s)` : "already in the registry"}\n`,
        );
    }
    process.stdout.write(`${report.images.length} image(s) in ${report.seconds.toFixed(2)}s\n`);
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`[images] ERROR: ${e instanceof Error ? e.message : e}\n`);
        process.exit(1);
    });
}
