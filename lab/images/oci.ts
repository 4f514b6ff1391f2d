// Writes OCI images without any image tool: one gzip'd tar layer of the given files, the image
// config and the manifest, each addressed by its sha256 digest. Everything is deterministic (tar
// entries sorted, owned by 0:0, mtime 0; no `created` in the config), so the same files give the
// same digests on every run.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

export const MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
export const LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
export const INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";

/** One file in the image: its content from `source` (a file on this machine) or `data`. */
export interface ImageFileEntry {
    /** Absolute path inside the image, e.g. `/usr/local/bin/kube-proxy`. */
    path: string;
    source?: string;
    data?: Buffer | string;
    /** Permission bits. Defaults to the source file's, or 0o644 for `data`. */
    mode?: number;
}

/** A symbolic link in the image. */
export interface ImageSymlinkEntry {
    path: string;
    symlink: string;
}

/** A directory in the image (parents of files are added on their own; this is for empty ones). */
export interface ImageDirEntry {
    path: string;
    directory: true;
    mode?: number;
}

export type ImageEntry = ImageFileEntry | ImageSymlinkEntry | ImageDirEntry;

/** The runtime part of the image config. */
export interface ImageConfig {
    entrypoint?: string[];
    cmd?: string[];
    env?: string[];
    workingDir?: string;
    user?: string;
    exposedPorts?: string[];
    labels?: Record<string, string>;
}

export interface BlobRef {
    mediaType: string;
    digest: string;
    size: number;
}

/** A built image: its three kinds of blobs, with digests, ready to push or to write as a layout. */
export interface OciImage {
    manifest: Buffer;
    manifestDescriptor: BlobRef;
    config: Buffer;
    configDescriptor: BlobRef;
    layer: Buffer;
    layerDescriptor: BlobRef;
    /** sha256 of the uncompressed layer tar (the config's rootfs.diff_ids entry). */
    diffId: string;
}

export function sha256Digest(data: Buffer | string): string {
    return "sha256:" + crypto.createHash("sha256").update(data).digest("hex");
}

// ---------------------------------------------------------------- tar (ustar, what we need of it)

interface TarRecord {
    name: string; // relative, no leading "/"; directories end in "/"
    type: "0" | "2" | "5";
    mode: number;
    data: Buffer;
    linkname: string;
}

function octal(n: number, width: number): string {
    return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** Splits a path into ustar's name (100) and prefix (155) fields, or throws when it cannot. */
function splitName(name: string): { name: string; prefix: string } {
    if (Buffer.byteLength(name) <= 100) return { name, prefix: "" };
    for (let i = name.indexOf("/"); i > 0; i = name.indexOf("/", i + 1)) {
        const prefix = name.slice(0, i);
        const rest = name.slice(i + 1);
        if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) {
            return { name: rest, prefix };
        }
    }
    throw new Error(`path too long for a ustar header: ${name}`);
}

function tarHeader(r: TarRecord): Buffer {
    const h = Buffer.alloc(512, 0);
    const { name, prefix } = splitName(r.name);
    if (Buffer.byteLength(r.linkname) > 100) throw new Error(`symlink target too long: ${r.linkname}`);
    h.write(name, 0, 100, "utf8");
    h.write(octal(r.mode & 0o7777, 8), 100, 8, "ascii");
    h.write(octal(0, 8), 108, 8, "ascii"); // uid
    h.write(octal(0, 8), 116, 8, "ascii"); // gid
    h.write(octal(r.data.length, 12), 124, 12, "ascii");
    h.write(octal(0, 12), 136, 12, "ascii"); // mtime
    h.write("        ", 148, 8, "ascii"); // checksum placeholder
    h.write(r.type, 156, 1, "ascii");
    h.write(r.linkname, 157, 100, "utf8");
    h.write("ustar\0", 257, 6, "ascii");
    h.write("00", 263, 2, "ascii");
    h.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + " ", 148, 8, "ascii");
    return h;
}

/** A tar archive of the records, in the order given, ending with two zero blocks. */
export function writeTar(records: TarRecord[]): Buffer {
    const parts: Buffer[] = [];
    for (const r of records) {
        parts.push(tarHeader(r));
        if (r.data.length > 0) {
            parts.push(r.data);
            const pad = (512 - (r.data.length % 512)) % 512;
            if (pad) parts.push(Buffer.alloc(pad, 0));
        }
    }
    parts.push(Buffer.alloc(1024, 0));
    return Buffer.concat(parts);
}

/** One entry read back from a tar archive (for tests and checks). */
export interface TarListing {
    name: string;
    type: string;
    mode: number;
    size: number;
    linkname: string;
    data: Buffer;
}

/** Reads a ustar archive back (what writeTar writes). */
export function readTar(tar: Buffer): TarListing[] {
    const out: TarListing[] = [];
    const str = (b: Buffer) => b.toString("utf8").replace(/\0.*$/s, "");
    for (let off = 0; off + 512 <= tar.length;) {
        const h = tar.subarray(off, off + 512);
        if (h.every((b) => b === 0)) break;
        const prefix = str(h.subarray(345, 500));
        const name = (prefix ? prefix + "/" : "") + str(h.subarray(0, 100));
        const size = parseInt(str(h.subarray(124, 136)).trim() || "0", 8);
        const data = tar.subarray(off + 512, off + 512 + size);
        out.push({
            name,
            type: str(h.subarray(156, 157)) || "0",
            mode: parseInt(str(h.subarray(100, 108)).trim() || "0", 8),
            size,
            linkname: str(h.subarray(157, 257)),
            data: Buffer.from(data),
        });
        off += 512 + Math.ceil(size / 512) * 512;
    }
    return out;
}

/** The layer's tar records: entries plus every missing parent directory, sorted by path. */
export function layerRecords(entries: ImageEntry[]): TarRecord[] {
    const byPath = new Map<string, TarRecord>();
    const rel = (p: string) => {
        if (!p.startsWith("/")) throw new Error(`image paths must be absolute: ${p}`);
        const n = path.posix.normalize(p).replace(/^\/+/, "").replace(/\/+$/, "");
        if (!n || n.startsWith("..")) throw new Error(`bad image path: ${p}`);
        return n;
    };
    const addDir = (n: string, mode = 0o755) => {
        if (!byPath.has(n)) byPath.set(n, { name: n + "/", type: "5", mode, data: Buffer.alloc(0), linkname: "" });
    };
    for (const e of entries) {
        const n = rel(e.path);
        const parts = n.split("/");
        for (let i = 1; i < parts.length; i++) addDir(parts.slice(0, i).join("/"));
        if (byPath.has(n) && byPath.get(n)!.type !== "5") throw new Error(`duplicate image path: ${e.path}`);
        if ("directory" in e) {
            byPath.delete(n);
            addDir(n, e.mode ?? 0o755);
        } else if ("symlink" in e) {
            byPath.set(n, { name: n, type: "2", mode: 0o777, data: Buffer.alloc(0), linkname: e.symlink });
        } else {
            let data: Buffer;
            let mode = e.mode;
            if (e.source !== undefined) {
                data = fs.readFileSync(e.source);
                mode ??= fs.statSync(e.source).mode & 0o7777;
            } else if (e.data !== undefined) {
                data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
            } else {
                throw new Error(`image file ${e.path} has neither source nor data`);
            }
            byPath.set(n, { name: n, type: "0", mode: mode ?? 0o644, data, linkname: "" });
        }
    }
    return [...byPath.keys()].sort().map((k) => byPath.get(k)!);
}

// ---------------------------------------------------------------- the image

function descriptor(mediaType: string, data: Buffer): BlobRef {
    return { mediaType, digest: sha256Digest(data), size: data.length };
}

/** Builds a linux/amd64 image of one layer holding `entries`, run as `config` says. */
export function buildImage(entries: ImageEntry[], config: ImageConfig = {}): OciImage {
    const tar = writeTar(layerRecords(entries));
    const diffId = sha256Digest(tar);
    const layer = zlib.gzipSync(tar, { level: 6 });
    const layerDescriptor = descriptor(LAYER_MEDIA_TYPE, layer);

    const runtime: Record<string, unknown> = {};
    if (config.user !== undefined) runtime.User = config.user;
    if (config.exposedPorts?.length) runtime.ExposedPorts = Object.fromEntries(config.exposedPorts.map((p) => [p, {}]));
    runtime.Env = config.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];
    if (config.entrypoint) runtime.Entrypoint = config.entrypoint;
    if (config.cmd) runtime.Cmd = config.cmd;
    if (config.workingDir !== undefined) runtime.WorkingDir = config.workingDir;
    if (config.labels) runtime.Labels = config.labels;
    const configJson = Buffer.from(
        JSON.stringify({
            architecture: "amd64",
            os: "linux",
            config: runtime,
            rootfs: { type: "layers", diff_ids: [diffId] },
            history: [{ created_by: "pulumi-hosted-control-plane lab/images/oci.ts" }],
        }),
    );
    const configDescriptor = descriptor(CONFIG_MEDIA_TYPE, configJson);
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: MANIFEST_MEDIA_TYPE,
            config: configDescriptor,
            layers: [layerDescriptor],
        }),
    );
    return {
        manifest,
        manifestDescriptor: descriptor(MANIFEST_MEDIA_TYPE, manifest),
        config: configJson,
        configDescriptor,
        layer,
        layerDescriptor,
        diffId,
    };
}

/**
 * The image as an OCI image layout tarball (oci-layout, index.json, blobs/sha256/...), what
 * `ctr images import` reads; `refName` becomes the index's `org.opencontainers.image.ref.name`.
 */
export function ociLayoutTar(image: OciImage, refName?: string): Buffer {
    const blob = (d: BlobRef, data: Buffer): TarRecord => ({
        name: "blobs/sha256/" + d.digest.slice("sha256:".length),
        type: "0",
        mode: 0o644,
        data,
        linkname: "",
    });
    const manifestRef: Record<string, unknown> = { ...image.manifestDescriptor };
    if (refName) manifestRef.annotations = { "org.opencontainers.image.ref.name": refName };
    const index = JSON.stringify({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [manifestRef] });
    const file = (name: string, data: string): TarRecord => ({
        name,
        type: "0",
        mode: 0o644,
        data: Buffer.from(data),
        linkname: "",
    });
    const dir = (name: string): TarRecord => ({ name, type: "5", mode: 0o755, data: Buffer.alloc(0), linkname: "" });
    return writeTar([
        file("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" })),
        file("index.json", index),
        dir("blobs/"),
        dir("blobs/sha256/"),
        blob(image.configDescriptor, image.config),
        blob(image.layerDescriptor, image.layer),
        blob(image.manifestDescriptor, image.manifest),
    ]);
}

/** Reads an image back from an OCI layout tarball written by ociLayoutTar. */
export function readOciLayoutTar(tar: Buffer): OciImage {
    const files = new Map(readTar(tar).map((e) => [e.name, e.data]));
    const index = JSON.parse(files.get("index.json")?.toString() ?? "null");
    if (!index?.manifests?.[0]) throw new Error("not an OCI layout: no index.json manifest");
    const blob = (digest: string) => {
        const b = files.get("blobs/sha256/" + digest.replace(/^sha256:/, ""));
        if (!b) throw new Error(`OCI layout lacks blob ${digest}`);
        if (sha256Digest(b) !== digest) throw new Error(`OCI layout blob ${digest} is corrupt`);
        return b;
    };
    const manifest = blob(index.manifests[0].digest);
    const m = JSON.parse(manifest.toString());
    const config = blob(m.config.digest);
    const layer = blob(m.layers[0].digest);
    return {
        manifest,
        manifestDescriptor: descriptor(MANIFEST_MEDIA_TYPE, manifest),
        config,
        configDescriptor: m.config,
        layer,
        layerDescriptor: m.layers[0],
        diffId: JSON.parse(config.toString()).rootfs.diff_ids[0],
    };
}
