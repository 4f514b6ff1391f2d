// Pushes OCI images to a registry over plain HTTP with the Distribution API v2, idempotently:
// blobs the registry has are not sent again, and a tag that already names the same manifest is
// left alone.
//
// Mirror naming: containerd pulling `registry.k8s.io/pause:3.10.1` through a mirror host
// `http://HOST:PORT` (certs.d/registry.k8s.io/hosts.toml) asks that host for
// `/v2/pause/manifests/3.10.1?ns=registry.k8s.io` — the repository without the upstream's name;
// distribution ignores `ns`. So an image is pushed as repository `pause`, tag `3.10.1`.
import { BlobRef, MANIFEST_MEDIA_TYPE, OciImage } from "./oci";

/** Where an image reference lives: its upstream registry host, and repository and tag there. */
export interface ImageReference {
    /** e.g. `registry.k8s.io`, `docker.io`, `127.0.0.1:5000`. */
    registry: string;
    /** e.g. `pause`, `e2e-test-images/agnhost`, `library/busybox`. */
    repository: string;
    tag: string;
}

/**
 * Splits an image reference the way containerd and Docker do: the first component is a registry
 * host when it has a `.` or `:` or is `localhost`; otherwise the registry is docker.io (where a
 * one-component name is under `library/`). The tag defaults to `latest`.
 */
export function parseReference(ref: string): ImageReference {
    if (ref.includes("@")) throw new Error(`digest references are not supported here: ${ref}`);
    let rest = ref;
    let tag = "latest";
    const slash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > slash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const parts = rest.split("/");
    let registry = "docker.io";
    if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")) {
        registry = parts.shift()!;
    }
    if (registry === "docker.io" && parts.length === 1) parts.unshift("library");
    const repository = parts.join("/");
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
        throw new Error(`invalid repository name in image reference: ${ref}`);
    }
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`invalid tag in image reference: ${ref}`);
    return { registry, repository, tag };
}

/** What one push did. */
export interface PushResult {
    repository: string;
    tag: string;
    manifestDigest: string;
    blobsUploaded: number;
    blobsSkipped: number;
    bytesUploaded: number;
    /** false: the tag already named this manifest, nothing was sent. */
    manifestPut: boolean;
}

/** A Buffer as fetch's body type, without copying. */
function bytes(b: Buffer): Uint8Array<ArrayBuffer> {
    return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);
}

async function call(method: string, url: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
        res = await fetch(url, { ...init, method, redirect: "manual" });
    } catch (e) {
        throw new Error(`${method} ${url}: ${(e as Error).message}${(e as any).cause ? ` (${(e as any).cause})` : ""}`);
    }
    return res;
}

async function expectStatus(res: Response, method: string, url: string, ...ok: number[]): Promise<Response> {
    if (!ok.includes(res.status)) {
        const body = await res.text().catch(() => "");
        throw new Error(`${method} ${url}: HTTP ${res.status} ${body.slice(0, 500)}`);
    }
    return res;
}

/** Uploads one blob unless the repository has it; true when it was sent. */
export async function pushBlob(registry: string, repository: string, ref: BlobRef, data: Buffer): Promise<boolean> {
    const base = registry.replace(/\/+$/, "");
    const blobUrl = `${base}/v2/${repository}/blobs/${ref.digest}`;
    const head = await call("HEAD", blobUrl);
    if (head.status === 200) return false;
    await expectStatus(head, "HEAD", blobUrl, 404);

    const startUrl = `${base}/v2/${repository}/blobs/uploads/`;
    const start = await expectStatus(await call("POST", startUrl), "POST", startUrl, 202);
    await start.arrayBuffer();
    const location = start.headers.get("location");
    if (!location) throw new Error(`POST ${startUrl}: no Location header`);
    const put = new URL(location, base + "/");
    put.searchParams.set("digest", ref.digest);
    const res = await call("PUT", put.toString(), {
        body: bytes(data),
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(data.length) },
    });
    await expectStatus(res, "PUT", put.toString(), 201);
    await res.arrayBuffer();
    return true;
}

/** The digest the tag names in the repository, or undefined when there is none. */
export async function manifestDigest(registry: string, repository: string, tag: string): Promise<string | undefined> {
    const url = `${registry.replace(/\/+$/, "")}/v2/${repository}/manifests/${tag}`;
    const res = await call("HEAD", url, { headers: { Accept: MANIFEST_MEDIA_TYPE } });
    if (res.status === 404) return undefined;
    await expectStatus(res, "HEAD", url, 200);
    return res.headers.get("docker-content-digest") ?? undefined;
}

/**
 * Pushes `image` to `registry` (e.g. `http://127.0.0.1:5000`) as `repository:tag`. Skips what
 * is there already: everything when the tag names this manifest, else each blob the repository has.
 */
export async function pushImage(
    registry: string,
    repository: string,
    tag: string,
    image: OciImage,
): Promise<PushResult> {
    const result: PushResult = {
        repository,
        tag,
        manifestDigest: image.manifestDescriptor.digest,
        blobsUploaded: 0,
        blobsSkipped: 0,
        bytesUploaded: 0,
        manifestPut: false,
    };
    if ((await manifestDigest(registry, repository, tag)) === image.manifestDescriptor.digest) {
        result.blobsSkipped = 2;
        return result;
    }
    const blobs: [BlobRef, Buffer][] = [
        [image.layerDescriptor, image.layer],
        [image.configDescriptor, image.config],
    ];
    for (const [ref, data] of blobs) {
        if (await pushBlob(registry, repository, ref, data)) {
            result.blobsUploaded++;
            result.bytesUploaded += data.length;
        } else {
            result.blobsSkipped++;
        }
    }
    const url = `${registry.replace(/\/+$/, "")}/v2/${repository}/manifests/${tag}`;
    const res = await call("PUT", url, {
        body: bytes(image.manifest),
        headers: { "Content-Type": MANIFEST_MEDIA_TYPE },
    });
    await expectStatus(res, "PUT", url, 201);
    await res.arrayBuffer();
    const got = res.headers.get("docker-content-digest");
    if (got && got !== image.manifestDescriptor.digest) {
        throw new Error(`registry stored ${repository}:${tag} as ${got}, expected ${image.manifestDescriptor.digest}`);
    }
    result.manifestPut = true;
    return result;
}

/**
 * Pushes `image` under an upstream reference into a mirror registry: `registry.k8s.io/pause:3.10.1`
 * becomes repository `pause`, tag `3.10.1`, which is what containerd asks a mirror for.
 */
export async function pushToMirror(registry: string, reference: string, image: OciImage): Promise<PushResult> {
    const r = parseReference(reference);
    return pushImage(registry, r.repository, r.tag, image);
}
