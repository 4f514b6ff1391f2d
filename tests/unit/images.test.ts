// lab/images: the OCI writer (tar entries, digests, sizes, determinism), reference parsing for the
// mirror, and build.ts's argument parsing and content keys. Pure: no registry needed.
// Over 400 lines: table-driven, one table per part of lab/images.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
    FileHashes,
    imageKey,
    ImageSpec,
    labImageSpecs,
    labKubeVersions,
    labOperatorVersions,
    parseArgs,
} from "../../lab/images/build";
import { findToolchainBinary, operatorImageSpecs } from "../../lab/images/operatorImages";
import {
    buildImage,
    ImageEntry,
    layerRecords,
    ociLayoutTar,
    readOciLayoutTar,
    readTar,
    sha256Digest,
    writeTar,
} from "../../lab/images/oci";
import { parseReference } from "../../lab/images/push";

const sha = (b: Buffer | string) => "sha256:" + crypto.createHash("sha256").update(b).digest("hex");

describe("lab/images oci", () => {
    let dir: string;
    let bin: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-images-unit-"));
        bin = path.join(dir, "tool");
        fs.writeFileSync(bin, "#!/bin/sh\necho tool\n");
        fs.chmodSync(bin, 0o750);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const entries = (): ImageEntry[] => [
        { path: "/usr/local/bin/tool", source: bin },
        { path: "/etc/motd", data: "hello\n" },
        { path: "/usr/sbin/iptables", symlink: "xtables-nft-multi" },
        { path: "/tmp", directory: true, mode: 0o1777 },
    ];

    it("writes sorted tar entries with every parent directory, owned by root, mtime 0", () => {
        const list = readTar(writeTar(layerRecords(entries())));
        expect(list.map((e) => [e.name, e.type, e.mode.toString(8)])).to.deep.equal([
            ["etc/", "5", "755"],
            ["etc/motd", "0", "644"],
            ["tmp/", "5", "1777"],
            ["usr/", "5", "755"],
            ["usr/local/", "5", "755"],
            ["usr/local/bin/", "5", "755"],
            ["usr/local/bin/tool", "0", "750"],
            ["usr/sbin/", "5", "755"],
            ["usr/sbin/iptables", "2", "777"],
        ]);
        const motd = list.find((e) => e.name === "etc/motd")!;
        expect(motd.data.toString()).to.equal("hello\n");
        expect(list.find((e) => e.name === "usr/sbin/iptables")!.linkname).to.equal("xtables-nft-multi");
    });

    it("writes a tar that GNU tar reads (checksums, sizes, long names through the ustar prefix)", () => {
        const long = "/" + "d".repeat(90) + "/" + "f".repeat(90);
        const tar = writeTar(layerRecords([...entries(), { path: long, data: "x".repeat(1000) }]));
        const file = path.join(dir, "layer.tar");
        fs.writeFileSync(file, tar);
        const r = spawnSync("tar", ["-tvf", file, "--numeric-owner"], { encoding: "utf8" });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.include(
            "lrwxrwxrwx 0/0               0 1970-01-01 00:00 usr/sbin/iptables -> xtables-nft-multi",
        );
        expect(r.stdout).to.include("-rwxr-x--- 0/0              20 1970-01-01 00:00 usr/local/bin/tool");
        expect(r.stdout).to.include(long.slice(1));
        expect(readTar(tar).find((e) => e.name === long.slice(1))!.size).to.equal(1000);
    });

    it("refuses relative paths, duplicates and paths ustar cannot hold", () => {
        expect(() => layerRecords([{ path: "etc/x", data: "" }])).to.throw("image paths must be absolute: etc/x");
        expect(() =>
            layerRecords([
                { path: "/a", data: "1" },
                { path: "/a", data: "2" },
            ]),
        ).to.throw("duplicate image path: /a");
        expect(() => writeTar(layerRecords([{ path: "/" + "x".repeat(120), data: "" }]))).to.throw("path too long");
    });

    it("gives every blob its sha256 digest and size, and links them manifest → config → layer", () => {
        const img = buildImage(entries(), { entrypoint: ["/usr/local/bin/tool"], cmd: ["-v"], env: ["A=1"] });
        expect(img.layerDescriptor).to.deep.equal({
            mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
            digest: sha(img.layer),
            size: img.layer.length,
        });
        expect(img.configDescriptor.digest).to.equal(sha(img.config));
        expect(img.manifestDescriptor).to.deep.equal({
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: sha(img.manifest),
            size: img.manifest.length,
        });
        const m = JSON.parse(img.manifest.toString());
        expect(m.schemaVersion).to.equal(2);
        expect(m.mediaType).to.equal("application/vnd.oci.image.manifest.v1+json");
        expect(m.config).to.deep.equal(img.configDescriptor);
        expect(m.layers).to.deep.equal([img.layerDescriptor]);
        const c = JSON.parse(img.config.toString());
        expect(c.architecture).to.equal("amd64");
        expect(c.os).to.equal("linux");
        expect(c.config).to.deep.equal({ Env: ["A=1"], Entrypoint: ["/usr/local/bin/tool"], Cmd: ["-v"] });
        expect(c.rootfs).to.deep.equal({ type: "layers", diff_ids: [sha(zlib.gunzipSync(img.layer))] });
        expect(img.diffId).to.equal(c.rootfs.diff_ids[0]);
    });

    it("is deterministic: same files give the same digests, whatever the source's mtime", () => {
        const a = buildImage(entries(), { entrypoint: ["/x"] });
        fs.utimesSync(bin, new Date(2001, 1, 1), new Date(2001, 1, 1));
        const b = buildImage(entries(), { entrypoint: ["/x"] });
        expect(b.manifestDescriptor.digest).to.equal(a.manifestDescriptor.digest);
        expect(b.diffId).to.equal(a.diffId);
        const c = buildImage(entries(), { entrypoint: ["/y"] });
        expect(c.diffId).to.equal(a.diffId);
        expect(c.manifestDescriptor.digest).to.not.equal(a.manifestDescriptor.digest);
    });

    it("has a stable tar digest for fixed content (the layer format does not drift)", () => {
        const tar = writeTar(
            layerRecords([
                { path: "/pause", data: "binary", mode: 0o755 },
                { path: "/etc/hosts", data: "127.0.0.1 localhost\n" },
            ]),
        );
        expect(tar.length).to.equal(512 * 5 + 1024);
        expect(sha256Digest(tar)).to.equal(sha(tar));
        expect(sha256Digest(tar)).to.equal("sha256:" + FIXED_TAR_SHA256);
    });

    it("round-trips through an OCI layout tarball", () => {
        const img = buildImage(entries(), { entrypoint: ["/x"] });
        const layout = ociLayoutTar(img, "registry.k8s.io/pause:3.10.1");
        const names = readTar(layout).map((e) => e.name);
        expect(names).to.include.members([
            "oci-layout",
            "index.json",
            "blobs/sha256/" + img.manifestDescriptor.digest.slice(7),
            "blobs/sha256/" + img.configDescriptor.digest.slice(7),
            "blobs/sha256/" + img.layerDescriptor.digest.slice(7),
        ]);
        const index = JSON.parse(
            readTar(layout)
                .find((e) => e.name === "index.json")!
                .data.toString(),
        );
        expect(index.manifests[0].annotations["org.opencontainers.image.ref.name"]).to.equal(
            "registry.k8s.io/pause:3.10.1",
        );
        const back = readOciLayoutTar(layout);
        expect(back.manifestDescriptor).to.deep.equal(img.manifestDescriptor);
        expect(back.diffId).to.equal(img.diffId);
        expect(back.layer.equals(img.layer)).to.equal(true);
    });
});

// Three headers and two content blocks ("etc/", "etc/hosts", "pause"), then the 1024-byte trailer.
const FIXED_TAR_SHA256 = fixedTarDigest();
function fixedTarDigest(): string {
    // Recomputed from an independent ustar writer below, so the pin checks our writer byte-for-byte.
    const hdr = (name: string, mode: number, size: number, type: string) => {
        const h = Buffer.alloc(512);
        h.write(name, 0);
        h.write(mode.toString(8).padStart(7, "0") + "\0", 100);
        h.write("0000000\0", 108);
        h.write("0000000\0", 116);
        h.write(size.toString(8).padStart(11, "0") + "\0", 124);
        h.write("00000000000\0", 136);
        h.write("        ", 148);
        h.write(type, 156);
        h.write("ustar\0" + "00", 257);
        let s = 0;
        for (const b of h) s += b;
        h.write(s.toString(8).padStart(6, "0") + "\0 ", 148);
        return h;
    };
    const pad = (s: string) => Buffer.concat([Buffer.from(s), Buffer.alloc(512 - s.length)]);
    const tar = Buffer.concat([
        hdr("etc/", 0o755, 0, "5"),
        hdr("etc/hosts", 0o644, 20, "0"),
        pad("127.0.0.1 localhost\n"),
        hdr("pause", 0o755, 6, "0"),
        pad("binary"),
        Buffer.alloc(1024),
    ]);
    return crypto.createHash("sha256").update(tar).digest("hex");
}

describe("lab/images references", () => {
    const cases: [string, string, string, string][] = [
        ["registry.k8s.io/pause:3.10.1", "registry.k8s.io", "pause", "3.10.1"],
        ["registry.k8s.io/e2e-test-images/agnhost:2.53", "registry.k8s.io", "e2e-test-images/agnhost", "2.53"],
        ["registry.k8s.io/kube-proxy:v1.30.2", "registry.k8s.io", "kube-proxy", "v1.30.2"],
        ["hcp-lab/podnet:0.1.0", "docker.io", "hcp-lab/podnet", "0.1.0"],
        ["busybox", "docker.io", "library/busybox", "latest"],
        ["127.0.0.1:5000/hcp-lab/echo:1", "127.0.0.1:5000", "hcp-lab/echo", "1"],
        ["localhost/x/y", "localhost", "x/y", "latest"],
    ];
    for (const [ref, registry, repository, tag] of cases) {
        it(`${ref} → ${registry} ${repository}:${tag}`, () => {
            expect(parseReference(ref)).to.deep.equal({ registry, repository, tag });
        });
    }
    it("refuses digests and bad names", () => {
        expect(() => parseReference("registry.k8s.io/pause@sha256:00")).to.throw("digest references");
        expect(() => parseReference("registry.k8s.io/Pause:1")).to.throw("invalid repository name");
        expect(() => parseReference("registry.k8s.io/pause:-x")).to.throw("invalid tag");
    });
});

describe("lab/images build.ts", () => {
    it("parses its command line", () => {
        const o = parseArgs(["127.0.0.1:5000", "--only", "pause,workload", "--kube-versions", "v1.30.2,1.29.15"]);
        expect(o.registry).to.equal("http://127.0.0.1:5000");
        expect(o.only).to.deep.equal(["pause", "workload"]);
        expect(o.kubeVersions).to.deep.equal(["v1.30.2", "1.29.15"]);
        expect(parseArgs(["http://h:1", "--kube-proxy", "v1.30.2=/x/kp"]).kubeProxy).to.deep.equal({
            "1.30.2": "/x/kp",
        });
        expect(() => parseArgs([])).to.throw("usage: build.js REGISTRY_URL");
        expect(() => parseArgs(["h:1", "--only", "etcd"])).to.throw("Unknown image 'etcd' in --only");
        expect(() => parseArgs(["h:1", "--kube-proxy", "1.30.2"])).to.throw("--kube-proxy takes VERSION=PATH");
        expect(() => parseArgs(["h:1", "h:2"])).to.throw("unexpected argument h:2");
        expect(parseArgs(["h:1", "--tenant-versions", "1.29.15,v1.30.2"]).tenantVersions).to.deep.equal([
            "1.29.15",
            "v1.30.2",
        ]);
        expect(parseArgs(["h:1", "--only", "control-plane,konnectivity,coredns,kamaji"]).only).to.have.length(4);
    });

    it("keys an image by content: changes with bytes, mode or config, not with mtime", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-images-key-"));
        try {
            const f = path.join(dir, "bin");
            fs.writeFileSync(f, "one");
            const spec = (mode = 0o755, cmd = ["a"]): ImageSpec => ({
                kind: "t",
                references: ["x/y:1"],
                entries: [{ path: "/bin", source: f, mode }],
                config: { cmd },
            });
            const hashes = new FileHashes(path.join(dir, "memo.json"));
            const k = imageKey(spec(), hashes);
            hashes.save();
            fs.utimesSync(f, new Date(2000, 1, 1), new Date(2000, 1, 1));
            expect(imageKey(spec(), new FileHashes(path.join(dir, "memo.json")))).to.equal(k);
            expect(imageKey(spec(0o700))).to.not.equal(k);
            expect(imageKey(spec(0o755, ["b"]))).to.not.equal(k);
            fs.writeFileSync(f, "two");
            expect(imageKey(spec(), new FileHashes(path.join(dir, "memo.json")))).to.not.equal(k);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("lab/images for the real Kamaji operator", () => {
    const versions = {
        tenantKubernetes: ["1.29.15", "v1.30.2"],
        kamaji: "1.0.0",
        konnectivity: "0.30.3",
        coredns: "1.11.3",
    };
    // A fake toolchain: every binary is /fake/<family>-<version>/<name>.
    const fake = (family: string, version: string, name: string) =>
        `/fake/${family}-${version.replace(/^v/, "")}/${name}`;
    const all = () => true;
    const byRef = (specs: ImageSpec[]) => new Map(specs.map((s) => [s.references[0], s]));
    const files = (s: ImageSpec) =>
        s.entries.map((e) => ("source" in e ? `${e.path} <- ${e.source}` : "directory" in e ? `${e.path}/` : e.path));

    it("pushes every image Kamaji v1.0.0 pulls under its upstream name, at the toolchain's versions", () => {
        const { specs, missing } = operatorImageSpecs(versions, all, fake);
        expect(missing).to.deep.equal([]);
        expect(specs.map((s) => [s.kind, ...s.references])).to.deep.equal([
            ["control-plane", "registry.k8s.io/kube-apiserver:v1.29.15"],
            ["control-plane", "registry.k8s.io/kube-controller-manager:v1.29.15"],
            ["control-plane", "registry.k8s.io/kube-scheduler:v1.29.15"],
            ["control-plane", "registry.k8s.io/kube-apiserver:v1.30.2"],
            ["control-plane", "registry.k8s.io/kube-controller-manager:v1.30.2"],
            ["control-plane", "registry.k8s.io/kube-scheduler:v1.30.2"],
            ["konnectivity", "registry.k8s.io/kas-network-proxy/proxy-server:v0.30.3"],
            ["konnectivity", "registry.k8s.io/kas-network-proxy/proxy-agent:v0.30.3"],
            ["coredns", "registry.k8s.io/coredns/coredns:v1.11.3"],
            ["kamaji", "docker.io/clastix/kamaji:v1.0.0"],
        ]);
    });

    it("control plane: the bare command Kamaji sets (e.g. `kube-apiserver`) resolves on the image's PATH", () => {
        const m = byRef(operatorImageSpecs(versions, all, fake).specs);
        for (const cmd of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
            const s = m.get(`registry.k8s.io/${cmd}:v1.30.2`)!;
            expect(files(s)).to.deep.equal([`/usr/local/bin/${cmd} <- /fake/kubernetes-1.30.2/${cmd}`, "/tmp/"]);
            expect(s.config.entrypoint).to.deep.equal([`/usr/local/bin/${cmd}`]);
            const pathDirs = s.config
                .env!.find((e) => e.startsWith("PATH="))!
                .slice(5)
                .split(":");
            expect(pathDirs).to.include("/usr/local/bin");
        }
        expect(files(m.get("registry.k8s.io/kube-scheduler:v1.29.15")!)[0]).to.equal(
            "/usr/local/bin/kube-scheduler <- /fake/kubernetes-1.29.15/kube-scheduler",
        );
    });

    it("konnectivity, coredns and kamaji: the absolute paths Kamaji and kubeadm's addon manifests run", () => {
        const m = byRef(operatorImageSpecs(versions, all, fake).specs);
        const check = (ref: string, binPath: string, source: string) => {
            const s = m.get(ref)!;
            expect(files(s)).to.deep.equal([`${binPath} <- ${source}`, "/tmp/"]);
            expect(s.config.entrypoint).to.deep.equal([binPath]);
            expect((s.entries[0] as { mode?: number }).mode).to.equal(0o755);
        };
        check(
            "registry.k8s.io/kas-network-proxy/proxy-server:v0.30.3",
            "/proxy-server",
            "/fake/konnectivity-0.30.3/proxy-server",
        );
        check(
            "registry.k8s.io/kas-network-proxy/proxy-agent:v0.30.3",
            "/proxy-agent",
            "/fake/konnectivity-0.30.3/proxy-agent",
        );
        // kubeadm's CoreDNS Deployment gives only args (-conf /etc/coredns/Corefile): the entrypoint runs.
        check("registry.k8s.io/coredns/coredns:v1.11.3", "/coredns", "/fake/coredns-1.11.3/coredns");
        expect(m.get("registry.k8s.io/coredns/coredns:v1.11.3")!.config.exposedPorts).to.deep.equal([
            "53/tcp",
            "53/udp",
        ]);
        check("docker.io/clastix/kamaji:v1.0.0", "/kamaji", "/fake/kamaji-1.0.0/kamaji");
    });

    it("kamaji's default --migrate-image (clastix/kamaji:v1.0.0) is the same mirror repository", () => {
        expect(parseReference("clastix/kamaji:v1.0.0")).to.deep.equal(
            parseReference("docker.io/clastix/kamaji:v1.0.0"),
        );
        expect(parseReference("docker.io/clastix/kamaji:v1.0.0")).to.deep.equal({
            registry: "docker.io",
            repository: "clastix/kamaji",
            tag: "v1.0.0",
        });
    });

    it("selects by kind and lists what the toolchain lacks", () => {
        const only = operatorImageSpecs(versions, (k) => k === "coredns", fake);
        expect(only.specs.map((s) => s.kind)).to.deep.equal(["coredns"]);
        const none = operatorImageSpecs(versions, all, () => undefined);
        expect(none.specs).to.deep.equal([]);
        expect(none.missing).to.include(
            "registry.k8s.io/kube-apiserver:v1.29.15 (no kube-apiserver v1.29.15 in the toolchain)",
        );
        expect(none.missing).to.include("docker.io/clastix/kamaji:v1.0.0 (no kamaji v1.0.0 in the toolchain)");
        expect(none.missing).to.have.length(10);
    });

    it("reads the versions from scripts/versions.env; kube-proxy covers the tenant versions too", () => {
        const env = fs.readFileSync(path.join(__dirname, "..", "..", "..", "scripts", "versions.env"), "utf8");
        const get = (k: string) => env.match(new RegExp(`^${k}="?([^"\\n]*)"?`, "m"))![1];
        const tenants = get("TENANT_KUBERNETES_VERSIONS").split(" ");
        expect(labOperatorVersions()).to.deep.equal({
            tenantKubernetes: tenants,
            kamaji: get("KAMAJI_VERSION"),
            konnectivity: get("KONNECTIVITY_VERSION"),
            coredns: get("COREDNS_VERSION"),
        });
        expect(labKubeVersions()).to.include.members([get("KUBERNETES_VERSION"), ...tenants]);
    });

    describe("found in a toolchain cache (HCP_TOOLCHAIN_CACHE)", () => {
        let cache: string;
        let saved: string | undefined;
        before(() => {
            saved = process.env.HCP_TOOLCHAIN_CACHE;
            cache = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-images-tc-"));
            process.env.HCP_TOOLCHAIN_CACHE = cache;
            const put = (dir: string, name: string) => {
                fs.mkdirSync(path.join(cache, dir, "bin"), { recursive: true });
                fs.writeFileSync(path.join(cache, dir, "bin", name), `#!/bin/sh\necho ${name}\n`, { mode: 0o755 });
            };
            for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) put("kubernetes-9.9.1", c);
            put("konnectivity-0.30.3", "proxy-server");
            fs.mkdirSync(path.join(cache, "coredns-1.11.3", "bin"), { recursive: true }); // not built yet
        });
        after(() => {
            if (saved === undefined) delete process.env.HCP_TOOLCHAIN_CACHE;
            else process.env.HCP_TOOLCHAIN_CACHE = saved;
            fs.rmSync(cache, { recursive: true, force: true });
        });

        it("finds <cache>/<family>-<version>/bin/<name>, executable only", () => {
            expect(findToolchainBinary("kubernetes", "v9.9.1", "kube-apiserver")).to.equal(
                path.join(cache, "kubernetes-9.9.1", "bin", "kube-apiserver"),
            );
            expect(findToolchainBinary("coredns", "1.11.3", "coredns")).to.equal(undefined);
            fs.chmodSync(path.join(cache, "konnectivity-0.30.3", "bin", "proxy-server"), 0o644);
            expect(findToolchainBinary("konnectivity", "0.30.3", "proxy-server")).to.equal(undefined);
            fs.chmodSync(path.join(cache, "konnectivity-0.30.3", "bin", "proxy-server"), 0o755);
        });

        it("build.ts takes the tenant versions from --tenant-versions and reports what is missing", () => {
            const { specs, missing } = labImageSpecs(
                { registry: "http://x", only: ["control-plane", "konnectivity", "coredns"], tenantVersions: ["9.9.1"] },
                cache,
                () => {},
            );
            expect(specs.map((s) => s.references[0])).to.deep.equal([
                "registry.k8s.io/kube-apiserver:v9.9.1",
                "registry.k8s.io/kube-controller-manager:v9.9.1",
                "registry.k8s.io/kube-scheduler:v9.9.1",
                "registry.k8s.io/kas-network-proxy/proxy-server:v0.30.3",
            ]);
            expect(missing).to.deep.equal([
                "registry.k8s.io/kas-network-proxy/proxy-agent:v0.30.3 (no proxy-agent v0.30.3 in the toolchain)",
                "registry.k8s.io/coredns/coredns:v1.11.3 (no coredns v1.11.3 in the toolchain)",
            ]);
        });
    });
});
