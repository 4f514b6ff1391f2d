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
 *
 * This file is the command and the build-and-push loop; what is built is in labImages.ts (the
 * kube-proxy image in kubeProxyImage.ts, the Go programs in goPrograms.ts), the versions in
 * labVersions.ts, file digests in files.ts.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseArgs as nodeParseArgs } from "node:util";
import { BuildOptions, ImageSpec } from "./buildOptions";
import { FileHashes, sha256Hex } from "./files";
import { labImageSpecs } from "./labImages";
import { buildImage, ociLayoutTar, OciImage, readOciLayoutTar } from "./oci";
import { manifestDigest, parseReference, pushImage, PushResult } from "./push";
import { REPO } from "./toolchain";

// Each part lives in its own module; this one keeps exporting them all, as before.
export { REPO };
export { BuildOptions, ImageSpec } from "./buildOptions";
export { FileHashes } from "./files";
export { buildGoProgram } from "./goPrograms";
export { findIptablesRoot, findKubeProxy, kubeProxyEntries, sharedLibraries } from "./kubeProxyImage";
export { labImageSpecs, PAUSE_TAGS } from "./labImages";
export { labKubeVersions, labOperatorVersions, packageVersion, versionsEnv } from "./labVersions";

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

export function defaultCacheDir(): string {
    return path.join(process.env.HCP_LAB_DIR || path.join(REPO, ".lab"), "images");
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
    let parsed;
    try {
        parsed = nodeParseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                only: { type: "string" },
                "kube-versions": { type: "string" },
                "tenant-versions": { type: "string" },
                "kube-proxy": { type: "string", multiple: true },
                agnhost: { type: "string" },
                "iptables-root": { type: "string" },
                cache: { type: "string" },
                "skip-missing": { type: "boolean" },
                json: { type: "boolean" },
                help: { type: "boolean", short: "h" },
            },
        });
    } catch (e) {
        throw new Error(`${(e as Error).message}\n${usage}`);
    }
    const { values: v, positionals } = parsed;
    if (v.help) throw new Error(usage);
    if (positionals.length > 1) throw new Error(`unexpected argument ${positionals[1]}\n${usage}`);
    const list = (s: string | undefined) => s?.split(",").filter(Boolean);
    const opts: BuildOptions & { json: boolean } = { registry: positionals[0] ?? "", json: !!v.json };
    if (v.only !== undefined) opts.only = list(v.only);
    if (v["kube-versions"] !== undefined) opts.kubeVersions = list(v["kube-versions"]);
    if (v["tenant-versions"] !== undefined) opts.tenantVersions = list(v["tenant-versions"]);
    for (const kp of v["kube-proxy"] ?? []) {
        const [version, p] = kp.split("=");
        if (!p) throw new Error(`--kube-proxy takes VERSION=PATH\n${usage}`);
        opts.kubeProxy = { ...opts.kubeProxy, [version.replace(/^v/, "")]: path.resolve(p) };
    }
    if (v.agnhost !== undefined) {
        const [p, version] = v.agnhost.split("=");
        if (!version) throw new Error(`--agnhost takes PATH=VERSION\n${usage}`);
        opts.agnhost = { path: path.resolve(p), version };
    }
    if (v["iptables-root"] !== undefined) opts.iptablesRoot = path.resolve(v["iptables-root"]);
    if (v.cache !== undefined) opts.cacheDir = path.resolve(v.cache);
    if (v["skip-missing"]) opts.skipMissing = true;
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
