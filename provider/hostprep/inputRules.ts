// PreparedHost's input rules: everything but the connection (lib/ssh validateConnection checks
// that). All problems are reported together, in the order the inputs are read.
import { isRegistryHost } from "../../model/names";
import {
    containerdVersionProblem,
    isUrl,
    registryMirrorRules,
    reusePolicyProblem,
    urlReason,
} from "../../model/rules/containerd";
import { errorList, PropertyError, Report } from "../../model/rules/propertyError";
import { parseRecordedVersion } from "../../model/version";
import { containsUnknown } from "../dynamic";
import { CGROUP_DRIVERS } from "./inputs";

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
/** The problems of the inputs but the connection; none when they are valid. */
export function validatePrep(a: any): PropertyError[] {
    const { errors, err } = errorList();
    if (!parseRecordedVersion(a?.kubernetesVersion)) {
        err("kubernetesVersion", `must be a full version like "v1.34.4" (got ${JSON.stringify(a?.kubernetesVersion)})`);
    }
    const c = a?.containerd ?? {};
    containerdRules(c, err);
    registryRules(c, err);
    packageSourceRules(a?.packageSource, err);
    const reuse = reusePolicyProblem(a?.reusePolicy);
    if (reuse) err("reusePolicy", reuse);
    return errors;
}

/** The containerd release, its pause image and how it runs containers. */
function containerdRules(c: any, err: Report): void {
    const version = c.version === undefined ? undefined : containerdVersionProblem(c.version);
    if (version) err("containerd.version", version);
    if (
        c.pauseImage !== undefined &&
        (typeof c.pauseImage !== "string" || !/^[a-z0-9][\w./:@-]*$/i.test(c.pauseImage))
    ) {
        err(
            "containerd.pauseImage",
            `must be an image reference like "registry.k8s.io/pause:3.10.1" (got ${JSON.stringify(c.pauseImage)})`,
        );
    }
    if (c.cgroupDriver !== undefined && !CGROUP_DRIVERS.includes(c.cgroupDriver)) {
        err(
            "containerd.cgroupDriver",
            `must be "systemd" (hosts that run systemd) or "cgroupfs" (hosts without systemd) (got ${JSON.stringify(c.cgroupDriver)})`,
        );
    }
    if (c.restrictOOMScoreAdj !== undefined && typeof c.restrictOOMScoreAdj !== "boolean") {
        err("containerd.restrictOOMScoreAdj", `must be true or false (got ${JSON.stringify(c.restrictOOMScoreAdj)})`);
    }
}

/** The registry mirrors and credentials, keyed by registry host[:port]. */
function registryRules(c: any, err: Report): void {
    registryMirrorRules(c.registryMirrors, err);
    for (const [reg, cred] of Object.entries(c.registryCredentials ?? {})) {
        const p = `containerd.registryCredentials["${reg}"]`;
        if (!isRegistryHost(reg)) err(p, "the key must be a registry host[:port] in lower case");
        const x = cred as any;
        const ok =
            x &&
            ((typeof x.username === "string" && typeof x.password === "string" && x.username !== "") ||
                (typeof x.auth === "string" && x.auth !== "") ||
                (typeof x.identityToken === "string" && x.identityToken !== ""));
        if (!ok) err(p, "must be {username, password}, {auth} (base64 user:password) or {identityToken}");
    }
}

/** Where the packages come from: an apt repository or a bundle. */
function packageSourceRules(s: any, err: Report): void {
    if (!s || (s.kind !== "apt" && s.kind !== "bundle")) {
        err(
            "packageSource.kind",
            `must be "apt" (an online apt repository) or "bundle" (a directory, tarball or URL of binaries) (got ${JSON.stringify(s?.kind)})`,
        );
    } else if (s.kind === "apt") {
        aptSourceRules(s, err);
    } else {
        bundleSourceRules(s, err);
    }
}

function aptSourceRules(s: any, err: Report): void {
    for (const k of ["repository", "signingKeyUrl", "containerdSigningKeyUrl"]) {
        if (s[k] !== undefined && !isUrl(s[k])) err(`packageSource.${k}`, urlReason(s[k]));
    }
    if (s.containerdPackage !== undefined && !/^[a-z0-9][a-z0-9.+-]+$/.test(s.containerdPackage)) {
        err(
            "packageSource.containerdPackage",
            `must be a Debian package name (got ${JSON.stringify(s.containerdPackage)})`,
        );
    }
    const line = s.containerdRepository === undefined ? undefined : aptLineProblem(s.containerdRepository);
    if (line) err("packageSource.containerdRepository", line);
    if (s.containerdRepository && !s.containerdSigningKeyUrl) {
        err(
            "packageSource.containerdSigningKeyUrl",
            "is required with containerdRepository (the repository's ASCII-armored key)",
        );
    }
}

function bundleSourceRules(s: any, err: Report): void {
    const hasPath = typeof s.path === "string" && s.path !== "";
    const hasUrl = typeof s.url === "string" && s.url !== "";
    if (hasPath === hasUrl)
        err("packageSource", `kind "bundle" needs exactly one of path (a directory or tarball on the host) or url`);
    if (hasPath && !s.path.startsWith("/"))
        err("packageSource.path", `must be an absolute path on the host (got ${JSON.stringify(s.path)})`);
    // Its value is not echoed: a URL may carry credentials.
    if (hasUrl && !isUrl(s.url))
        err(
            "packageSource.url",
            "must be an http(s) URL without whitespace, control characters or backslashes (the value is not shown: it may hold credentials)",
        );
    if (s.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(s.sha256))
        err("packageSource.sha256", "must be 64 lower-case hex digits");
    if (
        s.sha256 !== undefined &&
        hasPath &&
        !containsUnknown(s.path) &&
        !/\.(tar|tgz|tar\.gz|tar\.xz|tar\.zst)$/.test(s.path)
    ) {
        err("packageSource.sha256", "applies to a tarball, not a directory");
    }
}
