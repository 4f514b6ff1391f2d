// PreparedHost's inputs: their shapes, their validation (everything but the connection, which
// lib/ssh checks), the defaults applied once (normalizePrep), and which values are secret.
import { parseRecordedVersion } from "../../model/version";
import { containsUnknown } from "../dynamic";

export type ReusePolicy = "retain" | "clean";

export type RegistryCredential = { username: string; password: string } | { auth: string } | { identityToken: string };

export interface AptSource {
    kind: "apt";
    /** The Kubernetes apt repository; default https://pkgs.k8s.io/core:/stable:/v<MAJOR.MINOR>/deb/ */
    repository?: string;
    /** Its signing key (ASCII armored); default <repository>Release.key */
    signingKeyUrl?: string;
    /** The containerd package; default "containerd" (the distribution's); "containerd.io" needs containerdRepository. */
    containerdPackage?: string;
    /** An extra apt repository for containerd, e.g. "https://download.docker.com/linux/debian bookworm stable". */
    containerdRepository?: string;
    containerdSigningKeyUrl?: string;
}

export interface BundleSource {
    kind: "bundle";
    /** A directory or a tarball on the host. */
    path?: string;
    /** Or a URL the host downloads the tarball from (the offline package source). */
    url?: string;
    /** Optional sha256 (hex) of the tarball. */
    sha256?: string;
}

export type PackageSource = AptSource | BundleSource;

export interface ContainerdArgs {
    version?: string;
    pauseImage?: string;
    /** registry ("docker.io", "registry.k8s.io:443", "*" = any) -> mirror URLs, in order. */
    registryMirrors?: Record<string, string[]>;
    /** registry host -> credentials (secret). */
    registryCredentials?: Record<string, RegistryCredential>;
    /**
     * How containerd (runc) and the kubelet manage cgroups: "systemd" (default; hosts that boot
     * with systemd) or "cgroupfs" (hosts without systemd, e.g. containers or sandboxes). The kubelet
     * must use the same driver (WorkerPool passes it to both). Changing it re-runs the preparation.
     */
    cgroupDriver?: CgroupDriver;
    /**
     * Keep containers' oom_score_adj at or above containerd's own (containerd's
     * restrict_oom_score_adj). Needed where the host lacks CAP_SYS_RESOURCE (restricted sandboxes,
     * user namespaces): runc cannot lower a score there and the pod fails to start. Default false.
     */
    restrictOOMScoreAdj?: boolean;
}

export type CgroupDriver = "systemd" | "cgroupfs";
export const CGROUP_DRIVERS: CgroupDriver[] = ["systemd", "cgroupfs"];

/** What the preparation depends on (the connection is separate). */
export interface PrepArgs {
    kubernetesVersion: string;
    containerd?: ContainerdArgs;
    packageSource: PackageSource;
}

export interface NormalizedPrep {
    kubernetesVersion: string; // "1.34.4"
    containerd: {
        version: string;
        pauseImage: string;
        registryMirrors: Record<string, string[]>;
        registryCredentials: Record<string, RegistryCredential>;
        cgroupDriver: CgroupDriver;
        restrictOOMScoreAdj: boolean;
    };
    packageSource: PackageSource;
}

export const DEFAULT_CONTAINERD_VERSION = "1.7.27";
export const SUPPORTED_OS =
    "debian, ubuntu (and distributions with ID_LIKE=debian); rhel-like (rhel, centos, rocky, almalinux, fedora, ol) with packageSource.kind bundle";

/** Binaries a bundle may hold besides kubeadm, kubelet and kubectl (and CNI plugins in its cni/ folder). */
export const BUNDLE_CONTAINERD_FILES = ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "crictl"];

export interface Failure {
    property: string;
    reason: string;
}

const REGISTRY = /^(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?)$/;

/** The pause image kubeadm expects for a Kubernetes minor version. */
export function defaultPauseImage(kubernetesVersion: string): string {
    const minor = parseRecordedVersion(kubernetesVersion)?.minor ?? 0;
    const tag = minor >= 34 ? "3.10.1" : minor >= 31 ? "3.10" : "3.9";
    return `registry.k8s.io/pause:${tag}`;
}

/** Whitespace, C0 and C1 control characters and DEL. */
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f-\x9f]/;

/** The reason for a value that must be an http(s) URL, naming what the raw value holds. */
function urlReason(s: unknown, example = ""): string {
    const url = `must be an http(s) URL${example ? ` like "${example}"` : ""}`;
    const got = `(got ${JSON.stringify(s)})`;
    if (typeof s === "string" && WHITESPACE_OR_CONTROL.test(s))
        return `${url} without whitespace or control characters ${got}: it is written as it is into the host's configuration (apt sources, containerd hosts.toml), where a newline would add an entry of its own; remove them`;
    return `${url} ${got}`;
}

/**
 * The reason for an invalid `containerdRepository` apt line ("URL SUITE [COMPONENT...]"), judged
 * on the raw string: it is written after "deb [signed-by=...]" into sources.list.d.
 */
export function aptLineProblem(s: unknown): string | undefined {
    const form = `must be "URL SUITE COMPONENT..." like "https://download.docker.com/linux/debian bookworm stable"`;
    if (typeof s !== "string") return form;
    if (/[\x00-\x1f\x7f-\x9f]/.test(s))
        return `${form}, without control characters (got ${JSON.stringify(s)}): a newline in it would add an apt line of its own to sources.list.d; remove them`;
    if (/[^\S ]/.test(s) || /^ | $| {2}/.test(s))
        return `${form}, its parts separated by single spaces only (got ${JSON.stringify(s)}): apt reads one source per line; write the parts separated by one space`;
    const parts = s.split(" ");
    if (parts.length < 2 || !isUrl(parts[0])) return form;
    return undefined;
}

/**
 * An http(s) URL, judged on the raw string: the URL parser drops tabs and newlines and trims
 * spaces, so its view of "https://a/\ndeb [trusted=yes] http://b/ ./" is a fine URL, while the raw
 * value would add an apt line. No whitespace, control character or backslash is allowed.
 */
function isUrl(s: unknown, schemes = ["http:", "https:"]): boolean {
    if (typeof s !== "string") return false;
    if (WHITESPACE_OR_CONTROL.test(s) || s.includes("\\") || !/^https?:\/\//i.test(s)) return false;
    try {
        const u = new URL(s);
        return schemes.includes(u.protocol) && !!u.host;
    } catch {
        return false;
    }
}

/** Validation of everything but the connection (see lib/ssh validateConnection for that). */
export function validatePrep(a: any): Failure[] {
    const f: Failure[] = [];
    const add = (property: string, reason: string) => f.push({ property, reason });
    if (!parseRecordedVersion(a?.kubernetesVersion)) {
        add("kubernetesVersion", `must be a full version like "v1.34.4" (got ${JSON.stringify(a?.kubernetesVersion)})`);
    }
    const c = a?.containerd ?? {};
    if (c.version !== undefined && (typeof c.version !== "string" || !/^\d+\.\d+\.\d+$/.test(c.version))) {
        add(
            "containerd.version",
            `must be a version like "${DEFAULT_CONTAINERD_VERSION}" (got ${JSON.stringify(c.version)})`,
        );
    } else if (c.version !== undefined && !["1", "2"].includes(c.version.split(".")[0])) {
        add("containerd.version", `only containerd 1.x and 2.x are supported (got ${c.version})`);
    }
    if (
        c.pauseImage !== undefined &&
        (typeof c.pauseImage !== "string" || !/^[a-z0-9][\w./:@-]*$/i.test(c.pauseImage))
    ) {
        add(
            "containerd.pauseImage",
            `must be an image reference like "registry.k8s.io/pause:3.10.1" (got ${JSON.stringify(c.pauseImage)})`,
        );
    }
    if (c.cgroupDriver !== undefined && !CGROUP_DRIVERS.includes(c.cgroupDriver)) {
        add(
            "containerd.cgroupDriver",
            `must be "systemd" (hosts that run systemd) or "cgroupfs" (hosts without systemd) (got ${JSON.stringify(c.cgroupDriver)})`,
        );
    }
    if (c.restrictOOMScoreAdj !== undefined && typeof c.restrictOOMScoreAdj !== "boolean") {
        add("containerd.restrictOOMScoreAdj", `must be true or false (got ${JSON.stringify(c.restrictOOMScoreAdj)})`);
    }
    for (const [reg, mirrors] of Object.entries(c.registryMirrors ?? {})) {
        if (!REGISTRY.test(reg))
            add(`containerd.registryMirrors["${reg}"]`, `the key must be a registry host[:port] in lower case, or "*"`);
        if (!Array.isArray(mirrors) || mirrors.length === 0) {
            add(`containerd.registryMirrors["${reg}"]`, "must be a non-empty list of mirror URLs");
            continue;
        }
        mirrors.forEach((m: unknown, i: number) => {
            if (!isUrl(m))
                add(`containerd.registryMirrors["${reg}"][${i}]`, urlReason(m, "https://mirror.example.com"));
        });
    }
    for (const [reg, cred] of Object.entries(c.registryCredentials ?? {})) {
        const p = `containerd.registryCredentials["${reg}"]`;
        if (!REGISTRY.test(reg) || reg === "*") add(p, "the key must be a registry host[:port] in lower case");
        const x = cred as any;
        const ok =
            x &&
            ((typeof x.username === "string" && typeof x.password === "string" && x.username !== "") ||
                (typeof x.auth === "string" && x.auth !== "") ||
                (typeof x.identityToken === "string" && x.identityToken !== ""));
        if (!ok) add(p, "must be {username, password}, {auth} (base64 user:password) or {identityToken}");
    }
    const s = a?.packageSource;
    if (!s || (s.kind !== "apt" && s.kind !== "bundle")) {
        add(
            "packageSource.kind",
            `must be "apt" (an online apt repository) or "bundle" (a directory, tarball or URL of binaries) (got ${JSON.stringify(s?.kind)})`,
        );
    } else if (s.kind === "apt") {
        for (const k of ["repository", "signingKeyUrl", "containerdSigningKeyUrl"]) {
            if (s[k] !== undefined && !isUrl(s[k])) add(`packageSource.${k}`, urlReason(s[k]));
        }
        if (s.containerdPackage !== undefined && !/^[a-z0-9][a-z0-9.+-]+$/.test(s.containerdPackage)) {
            add(
                "packageSource.containerdPackage",
                `must be a Debian package name (got ${JSON.stringify(s.containerdPackage)})`,
            );
        }
        const line = s.containerdRepository === undefined ? undefined : aptLineProblem(s.containerdRepository);
        if (line) add("packageSource.containerdRepository", line);
        if (s.containerdRepository && !s.containerdSigningKeyUrl) {
            add(
                "packageSource.containerdSigningKeyUrl",
                "is required with containerdRepository (the repository's ASCII-armored key)",
            );
        }
    } else {
        const hasPath = typeof s.path === "string" && s.path !== "";
        const hasUrl = typeof s.url === "string" && s.url !== "";
        if (hasPath === hasUrl)
            add("packageSource", `kind "bundle" needs exactly one of path (a directory or tarball on the host) or url`);
        if (hasPath && !s.path.startsWith("/"))
            add("packageSource.path", `must be an absolute path on the host (got ${JSON.stringify(s.path)})`);
        // Its value is not echoed: a URL may carry credentials.
        if (hasUrl && !isUrl(s.url))
            add(
                "packageSource.url",
                "must be an http(s) URL without whitespace, control characters or backslashes (the value is not shown: it may hold credentials)",
            );
        if (s.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(s.sha256))
            add("packageSource.sha256", "must be 64 lower-case hex digits");
        if (
            s.sha256 !== undefined &&
            hasPath &&
            !containsUnknown(s.path) &&
            !/\.(tar|tgz|tar\.gz|tar\.xz|tar\.zst)$/.test(s.path)
        ) {
            add("packageSource.sha256", "applies to a tarball, not a directory");
        }
    }
    if (a?.reusePolicy !== undefined && a.reusePolicy !== "retain" && a.reusePolicy !== "clean") {
        add(
            "reusePolicy",
            `must be "retain" (leave the host as it is on delete) or "clean" (remove what preparation installed) (got ${JSON.stringify(a.reusePolicy)})`,
        );
    }
    return f;
}

/** Defaults applied; throws on invalid input. */
export function normalizePrep(a: PrepArgs): NormalizedPrep {
    const failures = validatePrep(a);
    if (failures.length) throw new Error(failures.map((x) => `${x.property}: ${x.reason}`).join("\n"));
    const kv = parseRecordedVersion(a.kubernetesVersion)!;
    const kubernetesVersion = `${kv.major}.${kv.minor}.${kv.patch}`;
    const c = a.containerd ?? {};
    const mirrors: Record<string, string[]> = {};
    for (const k of Object.keys(c.registryMirrors ?? {}).sort()) mirrors[k] = [...c.registryMirrors![k]];
    const creds: Record<string, RegistryCredential> = {};
    for (const k of Object.keys(c.registryCredentials ?? {}).sort()) creds[k] = c.registryCredentials![k];
    let packageSource: PackageSource;
    if (a.packageSource.kind === "apt") {
        const s = a.packageSource;
        const repository = s.repository ?? `https://pkgs.k8s.io/core:/stable:/v${kv.major}.${kv.minor}/deb/`;
        packageSource = {
            kind: "apt",
            repository,
            signingKeyUrl: s.signingKeyUrl ?? repository.replace(/\/?$/, "/") + "Release.key",
            containerdPackage: s.containerdPackage ?? "containerd",
            ...(s.containerdRepository
                ? { containerdRepository: s.containerdRepository, containerdSigningKeyUrl: s.containerdSigningKeyUrl }
                : {}),
        };
    } else {
        const s = a.packageSource;
        packageSource = {
            kind: "bundle",
            ...(s.path ? { path: s.path } : { url: s.url }),
            ...(s.sha256 ? { sha256: s.sha256 } : {}),
        };
    }
    return {
        kubernetesVersion,
        containerd: {
            version: c.version ?? DEFAULT_CONTAINERD_VERSION,
            pauseImage: c.pauseImage ?? defaultPauseImage(kubernetesVersion),
            registryMirrors: mirrors,
            registryCredentials: creds,
            cgroupDriver: c.cgroupDriver ?? "systemd",
            restrictOOMScoreAdj: c.restrictOOMScoreAdj ?? false,
        },
        packageSource,
    };
}

/** Strings that must never appear in logs or errors: the registry credentials (and their encodings), the bundle URL. */
export function prepSecrets(p: NormalizedPrep): string[] {
    const out: string[] = [];
    if (p.packageSource.kind === "bundle" && p.packageSource.url) out.push(p.packageSource.url);
    for (const c of Object.values(p.containerd.registryCredentials)) {
        const x = c as any;
        for (const v of [x.password, x.auth, x.identityToken]) if (typeof v === "string" && v) out.push(v);
        if (x.username && x.password) out.push(Buffer.from(`${x.username}:${x.password}`).toString("base64"));
    }
    return out;
}
