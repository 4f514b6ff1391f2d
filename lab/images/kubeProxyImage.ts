// The kube-proxy image: the toolchain's kube-proxy plus Debian's iptables userland and the shared
// libraries it loads.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FileHashes, isExecutable, sha256Hex } from "./files";
import { ImageEntry } from "./oci";
import { REPO, toolchainCache } from "./toolchain";

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
