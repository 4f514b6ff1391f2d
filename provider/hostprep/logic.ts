// Pure logic of PreparedHost: input validation and defaults, the idempotent bash preparation and
// clean-up scripts, parsing of their reports, and the diff rules. No I/O.
//
// The scripts print one line per step: `HCP-STEP <step> changed <what>` or `HCP-STEP <step> unchanged`
// (or `skipped <why>`), facts as `HCP-FACT key=value`, warnings as `HCP-WARN <step>: text`, and a
// fatal, user-facing problem as `HCP-ERROR <step>: text` with exit status 42. Every step checks
// before it acts, so a second run on a prepared host reports only "unchanged".
import { hostIdentity } from "../../model/hosts";
import { parseRecordedVersion } from "../../model/version";
import { containsUnknown, stableJson } from "../dynamic";
import { parsePublicKey, shellQuote } from "../ssh/logic";

// ---------------------------------------------------------------------------------------------
// Inputs

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

/** Validation of everything but the connection (see provider/ssh validateConnection for that). */
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

// ---------------------------------------------------------------------------------------------
// Rendered files

/** TOML basic string (JSON's escapes are valid TOML). */
function tomlString(s: string): string {
    return JSON.stringify(s);
}

/** The host containerd contacts for a registry name (docker.io is served by registry-1.docker.io). */
export function registryServer(registry: string): string {
    if (registry === "docker.io") return "https://registry-1.docker.io";
    return `https://${registry}`;
}

/** The certs.d directory name of a registry ("*" is containerd's `_default`). */
export function certsDir(registry: string): string {
    return registry === "*" ? "_default" : registry;
}

export function renderHostsToml(registry: string, mirrors: string[]): string {
    const lines: string[] = ["# managed by pulumi-hosted-control-plane (PreparedHost)"];
    if (registry !== "*") lines.push(`server = ${tomlString(registryServer(registry))}`);
    for (const m of mirrors) {
        lines.push("", `[host.${tomlString(m)}]`, `  capabilities = ["pull", "resolve"]`);
    }
    return lines.join("\n") + "\n";
}

function credentialHost(registry: string): string {
    return registry === "docker.io" ? "registry-1.docker.io" : registry;
}

function renderAuth(prefix: string, creds: Record<string, RegistryCredential>): string[] {
    const out: string[] = [];
    for (const [reg, c] of Object.entries(creds)) {
        out.push("", `[${prefix}.registry.configs.${tomlString(credentialHost(reg))}.auth]`);
        const x = c as any;
        if (x.username !== undefined)
            out.push(`  username = ${tomlString(x.username)}`, `  password = ${tomlString(x.password)}`);
        else if (x.auth !== undefined) out.push(`  auth = ${tomlString(x.auth)}`);
        else out.push(`  identitytoken = ${tomlString(x.identityToken)}`);
    }
    return out;
}

/** /etc/containerd/config.toml: the cgroup driver, the pause image, certs.d mirrors, credentials. */
export function renderContainerdConfig(p: NormalizedPrep): string {
    const c = p.containerd;
    const head = "# managed by pulumi-hosted-control-plane (PreparedHost); changes are overwritten";
    if (c.version.startsWith("1.")) {
        const cri = `plugins."io.containerd.grpc.v1.cri"`;
        return (
            [
                head,
                "version = 2",
                "",
                `[${cri}]`,
                `  sandbox_image = ${tomlString(c.pauseImage)}`,
                ...(c.restrictOOMScoreAdj ? ["  restrict_oom_score_adj = true"] : []),
                "",
                `[${cri}.containerd]`,
                `  default_runtime_name = "runc"`,
                "",
                `[${cri}.containerd.runtimes.runc]`,
                `  runtime_type = "io.containerd.runc.v2"`,
                "",
                `[${cri}.containerd.runtimes.runc.options]`,
                `  SystemdCgroup = ${c.cgroupDriver === "systemd"}`,
                "",
                `[${cri}.registry]`,
                `  config_path = "/etc/containerd/certs.d"`,
                ...renderAuth(cri, c.registryCredentials),
            ].join("\n") + "\n"
        );
    }
    const images = `plugins."io.containerd.cri.v1.images"`;
    const runtime = `plugins."io.containerd.cri.v1.runtime"`;
    return (
        [
            head,
            "version = 3",
            "",
            `[${images}.pinned_images]`,
            `  sandbox = ${tomlString(c.pauseImage)}`,
            "",
            `[${images}.registry]`,
            `  config_path = "/etc/containerd/certs.d"`,
            "",
            ...(c.restrictOOMScoreAdj ? [`[${runtime}]`, "  restrict_oom_score_adj = true", ""] : []),
            `[${runtime}.containerd.runtimes.runc]`,
            `  runtime_type = "io.containerd.runc.v2"`,
            "",
            `[${runtime}.containerd.runtimes.runc.options]`,
            `  SystemdCgroup = ${c.cgroupDriver === "systemd"}`,
            ...renderAuth(images, c.registryCredentials),
        ].join("\n") + "\n"
    );
}

export const SYSCTLS: [string, string][] = [
    ["net.bridge.bridge-nf-call-iptables", "1"],
    ["net.bridge.bridge-nf-call-ip6tables", "1"],
    ["net.ipv4.ip_forward", "1"],
];

export const FILES = {
    modules: "/etc/modules-load.d/k8s.conf",
    sysctl: "/etc/sysctl.d/99-kubernetes.conf",
    containerdConfig: "/etc/containerd/config.toml",
    certsD: "/etc/containerd/certs.d",
    cniBin: "/opt/cni/bin",
    crictl: "/etc/crictl.yaml",
    containerdUnit: "/etc/systemd/system/containerd.service",
    kubeletUnit: "/etc/systemd/system/kubelet.service",
    kubeletDropIn: "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
    aptKeyring: "/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
    aptList: "/etc/apt/sources.list.d/kubernetes.list",
    aptContainerdKeyring: "/etc/apt/keyrings/containerd-apt-keyring.gpg",
    aptContainerdList: "/etc/apt/sources.list.d/containerd.list",
    stateDir: "/var/lib/hcp-hostprep",
};

const MODULES_CONF = "# managed by pulumi-hosted-control-plane (PreparedHost)\noverlay\nbr_netfilter\n";
const SYSCTL_CONF =
    "# managed by pulumi-hosted-control-plane (PreparedHost)\n" +
    SYSCTLS.map(([k, v]) => `${k} = ${v}`).join("\n") +
    "\n";
const CRICTL_YAML =
    "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n";

const CONTAINERD_UNIT = `# managed by pulumi-hosted-control-plane (PreparedHost)
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;

const KUBELET_UNIT = `# managed by pulumi-hosted-control-plane (PreparedHost)
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

const KUBELET_DROPIN = `# managed by pulumi-hosted-control-plane (PreparedHost)
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

// ---------------------------------------------------------------------------------------------
// Scripts

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const q = shellQuote;

/** Helpers shared by the preparation and the clean-up script. */
const PRELUDE = String.raw`set -Eeuo pipefail
umask 022
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
S=${FILES.stateDir}
STEP=init
CHANGES=()
TMPS=()
trap 'echo "HCP-ERROR $STEP: command failed with status $? (script line $LINENO)" >&2' ERR
trap 'rm -rf -- "${"$"}{TMPS[@]}"' EXIT
mkdir -p "$S/backup"
chmod 0700 "$S"
touch "$S/managed" "$S/dirs"
exec 9>"$S/lock"
if ! flock -w 600 9; then echo "HCP-ERROR lock: another preparation of this host holds $S/lock"; exit 42; fi
begin() { STEP=$1; CHANGES=(); }
note() { CHANGES+=("$1"); }
end() {
  if [ ${"$"}{#CHANGES[@]} -gt 0 ]; then local IFS=';'; echo "HCP-STEP $STEP changed ${"$"}{CHANGES[*]}"
  else echo "HCP-STEP $STEP unchanged"; fi
}
skip() { echo "HCP-STEP $STEP skipped $1"; }
die() { echo "HCP-ERROR $STEP: $*"; exit 42; }
warn() { echo "HCP-WARN $STEP: $*"; }
fact() { echo "HCP-FACT $1=$2"; }
listed() { grep -qxF -- "$1" "$2" 2>/dev/null; }
unlist() { grep -vxF -- "$1" "$2" > "$2.tmp" || true; mv -f -- "$2.tmp" "$2"; }
# mkdirs DIR: create DIR and its missing parents, remembering which ones we created.
mkdirs() {
  local d=$1 missing=()
  while [ ! -d "$d" ]; do missing=("$d" "${"$"}{missing[@]}"); d=$(dirname -- "$d"); done
  for d in "${"$"}{missing[@]}"; do listed "$d" "$S/dirs" || echo "$d" >> "$S/dirs"; mkdir -p -- "$d"; done
}
# manage PATH: register PATH before we first write it, keeping a backup of what was there.
manage() {
  local p=$1
  listed "$p" "$S/managed" && return 0
  if [ -e "$p" ] && [ ! -e "$S/backup$p" ]; then mkdir -p -- "$(dirname -- "$S/backup$p")"; cp -a -- "$p" "$S/backup$p"; fi
  echo "$p" >> "$S/managed"
}
# put PATH MODE BASE64: PATH holds the content with MODE afterwards (atomic rename); notes a change.
put() {
  local p=$1 mode=$2 tmp
  mkdirs "$(dirname -- "$p")"
  rm -f -- "$p".hcp-*
  tmp=$(mktemp -- "$p.hcp-XXXXXX")
  printf '%s' "$3" | base64 -d > "$tmp"
  if [ -f "$p" ] && [ ! -L "$p" ] && cmp -s -- "$tmp" "$p" && [ "$(stat -c %a -- "$p")" = "$mode" ]; then rm -f -- "$tmp"; PUT=0; return 0; fi
  manage "$p"
  chmod "$mode" "$tmp"
  mv -f -- "$tmp" "$p"
  note "wrote $p"
  PUT=1
}
# put_file SRC PATH MODE: like put, from a file.
# shellcheck disable=SC2034 # PUT is the result callers read; the clean-up script has none
put_file() {
  local src=$1 p=$2 mode=$3 tmp
  if [ -f "$p" ] && [ ! -L "$p" ] && cmp -s -- "$src" "$p" && [ "$(stat -c %a -- "$p")" = "$mode" ]; then PUT=0; return 0; fi
  mkdirs "$(dirname -- "$p")"
  manage "$p"
  rm -f -- "$p".hcp-*
  tmp=$(mktemp -- "$p.hcp-XXXXXX")
  cp -- "$src" "$tmp"
  chmod "$mode" "$tmp"
  mv -f -- "$tmp" "$p"
  note "installed $p"
  PUT=1
}
# drop PATH: undo what we did to PATH (restore the backup or remove it) and forget it.
drop() {
  local p=$1
  if [ -e "$S/backup$p" ] || [ -L "$S/backup$p" ]; then
    rm -rf -- "$p"; cp -a -- "$S/backup$p" "$p"; rm -rf -- "$S/backup$p"; note "restored $p"
  elif [ -e "$p" ] || [ -L "$p" ]; then
    rm -f -- "$p"; note "removed $p"
  fi
  unlist "$p" "$S/managed"
}
version_of() { { "$@" 2>/dev/null || true; } | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true; }
# check_version WHAT WANT CMD...: the binary must report WANT (a warning if it reports nothing).
check_version() {
  local what=$1 want=$2 got; shift 2
  got=$(version_of "$@")
  if [ -z "$got" ]; then warn "$what does not report a version (wanted $want)"
  elif [ "$got" != "$want" ]; then die "$what reports version $got but $want is wanted; supply a package source with $what $want"; fi
}
`;

function stepOs(p: NormalizedPrep): string {
    const aptOnly = p.packageSource.kind === "apt";
    return String.raw`
begin os
[ -r /etc/os-release ] || die "/etc/os-release is missing: cannot tell the operating system; supported: ${SUPPORTED_OS}"
OS_ID=$(. /etc/os-release; echo "${"$"}{ID:-}")
OS_LIKE=$(. /etc/os-release; echo "${"$"}{ID_LIKE:-}")
OS_VERSION=$(. /etc/os-release; echo "${"$"}{VERSION_ID:-}")
case " $OS_ID $OS_LIKE " in
  *" debian "*|*" ubuntu "*) FAMILY=debian ;;
  *" rhel "*|*" centos "*|*" rocky "*|*" almalinux "*|*" fedora "*|*" ol "*) FAMILY=rhel ;;
  *) die "unsupported operating system ID=\"$OS_ID\"${"$"}{OS_LIKE:+ (ID_LIKE=\"$OS_LIKE\")} in /etc/os-release; supported: ${SUPPORTED_OS}" ;;
esac
${aptOnly ? `[ "$FAMILY" = debian ] || die "packageSource.kind \\"apt\\" needs debian or ubuntu, but this host is ID=\\"$OS_ID\\"; use packageSource.kind \\"bundle\\""` : ":"}
fact os "$OS_ID"
fact osVersion "$OS_VERSION"
fact osFamily "$FAMILY"
end
`;
}

const STEP_ARCH = String.raw`
begin arch
case "$(uname -m)" in
  x86_64|amd64) ARCH=amd64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  *) die "unsupported CPU architecture $(uname -m); supported: x86_64 (amd64), aarch64 (arm64)" ;;
esac
fact arch "$ARCH"
end
`;

const STEP_SWAP = String.raw`
begin swap
if [ -r /proc/swaps ] && [ "$(tail -n +2 /proc/swaps | wc -l)" -gt 0 ]; then swapoff -a; note "swapoff -a"; fi
SWAP_RE='^[[:space:]]*[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap([[:space:]]|$)'
if [ -f /etc/fstab ] && grep -Eq "$SWAP_RE" /etc/fstab; then
  sed -i -E "s@($SWAP_RE.*)@# hcp-disabled: \1@" /etc/fstab
  note "commented swap out of /etc/fstab"
fi
end
`;

const STEP_MODULES = String.raw`
begin kernel-modules
put ${FILES.modules} 644 ${b64(MODULES_CONF)}
BRIDGE_OK=1
module_loaded() {
  case "$1" in
    br_netfilter) [ -d /sys/module/br_netfilter ] || [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ;;
    *) [ -d "/sys/module/$1" ] ;;
  esac
}
for m in overlay br_netfilter; do
  module_loaded "$m" && continue
  if out=$(modprobe "$m" 2>&1); then
    if module_loaded "$m"; then note "modprobe $m"; continue; fi
    out="modprobe succeeded but the module is not visible"
  fi
  if [ "$m" = br_netfilter ]; then
    BRIDGE_OK=0
    warn "br_netfilter cannot be loaded ($out): the net.bridge.* sysctls are skipped; kubeadm preflight will complain unless the kernel has it"
  else
    die "kernel module $m cannot be loaded: $out"
  fi
done
end
`;

function stepSysctl(): string {
    const checks = SYSCTLS.map(([k, v]) => `sysctl_wants ${q(k)} ${q(v)}`).join("\n");
    return String.raw`
begin sysctl
put ${FILES.sysctl} 644 ${b64(SYSCTL_CONF)}
APPLY=0
sysctl_wants() {
  local f=/proc/sys/${"$"}{1//.//}
  if [ -e "$f" ]; then [ "$(cat "$f")" = "$2" ] || APPLY=1
  elif [ "$BRIDGE_OK" = 1 ] || [[ $1 != net.bridge.* ]]; then die "sysctl $1 does not exist on this host"
  fi
}
${checks}
if [ "$APPLY" = 1 ]; then
  if [ "$BRIDGE_OK" = 1 ]; then sysctl -q -p ${FILES.sysctl} >/dev/null; else sysctl -q -e -p ${FILES.sysctl} >/dev/null || true; fi
  note "sysctl -p ${FILES.sysctl}"
  APPLY=0
  ${checks.replace(/\n/g, "\n  ")}
  [ "$APPLY" = 0 ] || die "sysctl -p ${FILES.sysctl} did not take effect"
fi
end
`;
}

/** A curl config line for a URL ("url = \"…\""), read from stdin so the URL never is in curl's argv. */
export function curlUrlConfig(url: string): string {
    return `url = "${url.replace(/["\\]/g, "\\$&")}"\n`;
}

function bundleResolve(s: BundleSource): string {
    // A URL may carry credentials (user:password@, a presigned query): it is named, never shown.
    const lines = [`BUNDLE_SRC=${q(s.url ? "packageSource.url" : s.path!)}`];
    if (s.url) {
        lines.push(
            String.raw`BUNDLE_TAR=$(mktemp "$S/bundle-download.XXXXXX"); TMPS+=("$BUNDLE_TAR")
curl -fsSL --retry 3 --connect-timeout 10 -o "$BUNDLE_TAR" --config - <<< ${q(curlUrlConfig(s.url))} || die "cannot download the bundle from packageSource.url (curl failed; the URL is not shown, it may hold credentials)"`,
        );
    } else {
        lines.push(
            String.raw`if [ -d "$BUNDLE_SRC" ]; then BUNDLE_DIR=$BUNDLE_SRC; BUNDLE_TAR=
elif [ -f "$BUNDLE_SRC" ]; then BUNDLE_TAR=$BUNDLE_SRC
else die "packageSource.path $BUNDLE_SRC does not exist on the host (a directory or tarball with kubeadm, kubelet, kubectl)"; fi`,
        );
    }
    if (s.sha256) {
        lines.push(
            String.raw`GOT_SHA=$(sha256sum "$BUNDLE_TAR" | cut -d' ' -f1)
[ "$GOT_SHA" = ${q(s.sha256)} ] || die "bundle $BUNDLE_SRC has sha256 $GOT_SHA, packageSource.sha256 says ${s.sha256}"`,
        );
    }
    lines.push(
        String.raw`if [ -n "${"$"}{BUNDLE_TAR:-}" ]; then
  BUNDLE_X=$(mktemp -d "$S/bundle.XXXXXX"); TMPS+=("$BUNDLE_X")
  tar -xf "$BUNDLE_TAR" -C "$BUNDLE_X" || die "cannot unpack the bundle $BUNDLE_SRC (expected a tar archive)"
  k=$(find "$BUNDLE_X" -maxdepth 3 -type f -name kubeadm | head -n1)
  [ -n "$k" ] || die "the bundle $BUNDLE_SRC has no kubeadm"
  BUNDLE_DIR=$(dirname "$k")
fi
for b in kubeadm kubelet kubectl; do
  [ -f "$BUNDLE_DIR/$b" ] || die "the bundle $BUNDLE_SRC has no $b; a bundle holds kubeadm, kubelet, kubectl and optionally ${BUNDLE_CONTAINERD_FILES.join(", ")}"
done`,
    );
    return lines.join("\n");
}

function stepPackagesBundle(p: NormalizedPrep): string {
    const s = p.packageSource as BundleSource;
    const kv = p.kubernetesVersion;
    const cv = p.containerd.version;
    return String.raw`
begin package-source
${bundleResolve(s)}
end

begin containerd-install
HAVE_CONTAINERD=0
if [ -f "$BUNDLE_DIR/containerd" ]; then
  chmod +x "$BUNDLE_DIR/containerd" 2>/dev/null || true
  check_version "the bundle's containerd" ${q(cv)} "$BUNDLE_DIR/containerd" --version
  for b in ${BUNDLE_CONTAINERD_FILES.join(" ")}; do
    if [ -f "$BUNDLE_DIR/$b" ]; then put_file "$BUNDLE_DIR/$b" /usr/local/bin/$b 755; [ "$PUT" = 0 ] || touch "$S/containerd-restart-pending"; fi
  done
  put ${FILES.containerdUnit} 644 ${b64(CONTAINERD_UNIT)}
  [ "$PUT" = 0 ] || touch "$S/daemon-reload-pending"
  HAVE_CONTAINERD=1
  # The bundle's CNI plugins (its cni/ folder), where containerd's CRI looks for them.
  if [ -d "$BUNDLE_DIR/cni" ]; then
    for f in "$BUNDLE_DIR"/cni/*; do if [ -f "$f" ]; then put_file "$f" "${FILES.cniBin}/$(basename -- "$f")" 755; fi; done
  fi
elif command -v containerd >/dev/null 2>&1; then
  check_version "the installed containerd" ${q(cv)} containerd --version
  HAVE_CONTAINERD=1
else
  warn "the bundle has no containerd and none is installed: containerd is not set up"
fi
end

begin kubernetes-packages
for b in kubeadm kubelet kubectl; do chmod +x "$BUNDLE_DIR/$b" 2>/dev/null || true; done
check_version "the bundle's kubeadm" ${q(kv)} "$BUNDLE_DIR/kubeadm" version -o short
check_version "the bundle's kubelet" ${q(kv)} "$BUNDLE_DIR/kubelet" --version
check_version "the bundle's kubectl" ${q(kv)} "$BUNDLE_DIR/kubectl" version --client
for b in kubeadm kubelet kubectl; do
  put_file "$BUNDLE_DIR/$b" /usr/local/bin/$b 755
  if [ "$PUT" = 1 ] && [ "$b" = kubelet ]; then touch "$S/kubelet-restart-pending"; fi
done
put ${FILES.kubeletUnit} 644 ${b64(KUBELET_UNIT)}
[ "$PUT" = 0 ] || touch "$S/daemon-reload-pending"
put ${FILES.kubeletDropIn} 644 ${b64(KUBELET_DROPIN)}
[ "$PUT" = 0 ] || touch "$S/daemon-reload-pending"
fact preparedVersion "v$(version_of /usr/local/bin/kubeadm version -o short)"
end
`;
}

function stepPackagesApt(p: NormalizedPrep): string {
    const s = p.packageSource as Required<Pick<AptSource, "repository" | "signingKeyUrl" | "containerdPackage">> &
        AptSource;
    const kv = p.kubernetesVersion;
    const cv = p.containerd.version;
    const list = `deb [signed-by=${FILES.aptKeyring}] ${s.repository} /\n`;
    const clist = s.containerdRepository
        ? `deb [signed-by=${FILES.aptContainerdKeyring}] ${s.containerdRepository}\n`
        : "";
    return String.raw`
begin package-source
APT_UPDATED=0
apt_update() { if [ "$APT_UPDATED" = 0 ]; then apt-get update -q >/dev/null || die "apt-get update failed"; APT_UPDATED=1; fi; }
# keyring URL FILE
keyring() {
  [ -s "$2" ] && return 0
  command -v gpg >/dev/null 2>&1 || { apt_update; apt-get install -y -q gnupg >/dev/null; }
  mkdirs "$(dirname "$2")"; manage "$2"
  local tmp; tmp=$(mktemp "$2.hcp-XXXXXX")
  curl -fsSL --retry 3 --connect-timeout 10 "$1" | gpg --batch --yes --dearmor -o "$tmp" || { rm -f "$tmp"; die "cannot fetch the apt signing key $1"; }
  chmod 644 "$tmp"; mv -f "$tmp" "$2"; note "fetched $2"
}
for t in curl ca-certificates; do dpkg-query -W -f='${"$"}{Status}' "$t" 2>/dev/null | grep -q 'ok installed' || { apt_update; apt-get install -y -q "$t" >/dev/null; note "installed $t"; }; done
keyring ${q(s.signingKeyUrl)} ${FILES.aptKeyring}
put ${FILES.aptList} 644 ${b64(list)}
${s.containerdRepository ? `keyring ${q(s.containerdSigningKeyUrl!)} ${FILES.aptContainerdKeyring}\nput ${FILES.aptContainerdList} 644 ${b64(clist)}` : ":"}
[ ${"$"}{#CHANGES[@]} -eq 0 ] || APT_UPDATED=0
end

held() { apt-mark showhold 2>/dev/null | grep -qx "$1"; }
hold() { held "$1" || { apt-mark hold "$1" >/dev/null; note "held $1"; }; }
# apt_pin PACKAGE VERSION-PATTERN: install the pinned version unless installed
apt_pin() {
  local pkg=$1 pat=$2 cur
  cur=$(dpkg-query -W -f='${"$"}{Version}' "$pkg" 2>/dev/null || true)
  [ "$(dpkg-query -W -f='${"$"}{Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || cur=""
  # shellcheck disable=SC2254 # $pat is a glob on purpose ("1.34.4-*")
  case "$cur" in $pat) return 0 ;; esac
  apt_update
  # Only a package that was not installed is ours to purge on clean; one of another version stays.
  if [ -z "$cur" ]; then listed "$pkg" "$S/apt-installed" || echo "$pkg" >> "$S/apt-installed"
  elif ! listed "$pkg" "$S/apt-installed"; then grep -q "^$pkg " "$S/apt-upgraded" 2>/dev/null || echo "$pkg $cur" >> "$S/apt-upgraded"; fi
  apt-mark unhold "$pkg" >/dev/null 2>&1 || true
  apt-get install -y -q --allow-downgrades --allow-change-held-packages "$pkg=$pat" >/dev/null || die "apt-get install $pkg=$pat failed"
  note "installed $pkg=$pat"
  PINNED_CHANGED=1
}

begin containerd-install
PINNED_CHANGED=0
CPKG=${q(s.containerdPackage!)}
touch "$S/apt-installed"
apt_pin "$CPKG" ${q(cv + "*")}
[ "$PINNED_CHANGED" = 0 ] || touch "$S/containerd-restart-pending"
hold "$CPKG"
HAVE_CONTAINERD=1
end

begin kubernetes-packages
PINNED_CHANGED=0
for pkg in kubelet kubeadm kubectl; do apt_pin "$pkg" ${q(kv + "-*")}; done
[ "$PINNED_CHANGED" = 0 ] || touch "$S/kubelet-restart-pending"
for pkg in kubelet kubeadm kubectl; do hold "$pkg"; done
check_version kubeadm ${q(kv)} kubeadm version -o short
fact preparedVersion "v$(version_of kubeadm version -o short)"
end
`;
}

function stepContainerdConfig(p: NormalizedPrep): string {
    return String.raw`
begin containerd-config
put ${FILES.containerdConfig} 600 ${b64(renderContainerdConfig(p))}
[ "$PUT" = 0 ] || touch "$S/containerd-restart-pending"
put ${FILES.crictl} 644 ${b64(CRICTL_YAML)}
end
`;
}

function stepMirrors(p: NormalizedPrep): string {
    const regs = Object.keys(p.containerd.registryMirrors);
    const puts = regs
        .map(
            (r) =>
                `put ${q(`${FILES.certsD}/${certsDir(r)}/hosts.toml`)} 644 ${b64(renderHostsToml(r, p.containerd.registryMirrors[r]))}`,
        )
        .join("\n");
    const wanted = regs.map((r) => `${FILES.certsD}/${certsDir(r)}/hosts.toml`);
    return String.raw`
begin registry-mirrors
${puts || ":"}
WANTED_HOSTS=(${wanted.map(q).join(" ")})
# hosts.toml files we wrote before for registries that are no longer configured
while IFS= read -r f; do
  case "$f" in ${FILES.certsD}/*/hosts.toml) ;; *) continue ;; esac
  keep=0; for w in "${"$"}{WANTED_HOSTS[@]}"; do [ "$w" = "$f" ] && keep=1; done
  if [ "$keep" = 0 ]; then drop "$f"; rmdir -- "$(dirname -- "$f")" 2>/dev/null || true; fi
done < <(cat "$S/managed")
end
`;
}

const STEP_SERVICES = String.raw`
begin containerd-service
if [ -e "$S/daemon-reload-pending" ]; then systemctl daemon-reload; rm -f "$S/daemon-reload-pending"; note "systemctl daemon-reload"; fi
if [ "$HAVE_CONTAINERD" = 1 ]; then
  if ! systemctl is-enabled containerd >/dev/null 2>&1; then systemctl enable containerd >/dev/null 2>&1 || die "systemctl enable containerd failed"; note "enabled containerd"; fi
  if [ -e "$S/containerd-restart-pending" ] || ! systemctl is-active containerd >/dev/null 2>&1; then
    systemctl restart containerd || die "systemctl restart containerd failed"
    rm -f "$S/containerd-restart-pending"
    note "restarted containerd"
  fi
  end
else
  skip "containerd is not installed"
fi

begin kubelet-service
if ! systemctl is-enabled kubelet >/dev/null 2>&1; then systemctl enable kubelet >/dev/null 2>&1 || die "systemctl enable kubelet failed"; note "enabled kubelet"; fi
if [ -e "$S/kubelet-restart-pending" ]; then
  if [ -f /etc/kubernetes/kubelet.conf ]; then
    # A joined node: the new kubelet starts only after NodeJoin drained it and ran kubeadm upgrade node.
    note "new kubelet installed; restart left to the node upgrade (after the drain)"
  else
    if systemctl is-active kubelet >/dev/null 2>&1; then systemctl restart kubelet; note "restarted kubelet (new binary)"; fi
    rm -f "$S/kubelet-restart-pending"
  fi
fi
end
`;

/** The ordered step names of a preparation run. */
export const PREP_STEPS = [
    "os",
    "arch",
    "swap",
    "kernel-modules",
    "sysctl",
    "package-source",
    "containerd-install",
    "kubernetes-packages",
    "containerd-config",
    "registry-mirrors",
    "containerd-service",
    "kubelet-service",
];

function wrap(fn: string, body: string): string {
    // The whole script is one function, read completely before it runs, with stdin from /dev/null:
    // it arrives on bash's stdin and nothing in it may consume the rest.
    return `#!/bin/bash\n# rendered by pulumi-hosted-control-plane (PreparedHost)\n${fn}() {\n${body}\n}\n${fn} < /dev/null\n`;
}

/** The idempotent preparation script for the inputs. */
export function renderPrepareScript(p: NormalizedPrep): string {
    const packages = p.packageSource.kind === "bundle" ? stepPackagesBundle(p) : stepPackagesApt(p);
    return wrap(
        "hcp_prepare",
        [
            PRELUDE,
            stepOs(p),
            STEP_ARCH,
            STEP_SWAP,
            STEP_MODULES,
            stepSysctl(),
            packages,
            stepContainerdConfig(p),
            stepMirrors(p),
            STEP_SERVICES,
            `echo "HCP-DONE prepare"`,
        ].join("\n"),
    );
}

/** The clean-up script's warning when the host holds no record of a preparation. */
export const NO_RECORD = `${FILES.stateDir}/managed, the record of what preparation installed, is missing: nothing was removed (the host may have been cleaned already, or its files were not installed by this package)`;

/**
 * The clean-up script (reusePolicy "clean"): disables kubelet (and containerd when we installed
 * it), removes or restores every file the preparation wrote (it keeps a list and backups in
 * /var/lib/hcp-hostprep), unholds and purges apt packages it installed, restores /etc/fstab swap
 * lines. Runtime sysctl values are left as they are (they reset on reboot).
 */
export function renderCleanScript(p: NormalizedPrep): string {
    // Without the record nothing is known to be ours (the files and packages may have been there
    // before, or belong to someone else): the host is left as it is, and the report says so.
    const body = String.raw`
if [ ! -f ${FILES.stateDir}/managed ]; then
  echo "HCP-WARN files: ${NO_RECORD}"
  echo "HCP-STEP files unchanged"
  echo "HCP-DONE clean"
  exit 0
fi
${PRELUDE}
begin kubelet-service
if systemctl is-enabled kubelet >/dev/null 2>&1 || systemctl is-active kubelet >/dev/null 2>&1; then systemctl disable --now kubelet >/dev/null 2>&1 || true; note "disabled kubelet"; fi
end

begin containerd-service
if listed /usr/local/bin/containerd "$S/managed" || listed ${shellQuote(p.packageSource.kind === "apt" ? (p.packageSource.containerdPackage ?? "containerd") : "containerd")} "$S/apt-installed"; then
  if systemctl is-enabled containerd >/dev/null 2>&1 || systemctl is-active containerd >/dev/null 2>&1; then systemctl disable --now containerd >/dev/null 2>&1 || true; note "disabled containerd"; fi
fi
end

begin packages
if [ -s "$S/apt-upgraded" ]; then
  while read -r pkg was; do warn "$pkg was installed (version $was) before the preparation changed its version: left installed"; done < "$S/apt-upgraded"
  : > "$S/apt-upgraded"
fi
if [ -s "$S/apt-installed" ]; then
  mapfile -t PKGS < "$S/apt-installed"
  apt-mark unhold "${"$"}{PKGS[@]}" >/dev/null 2>&1 || true
  apt-get remove --purge -y -q "${"$"}{PKGS[@]}" >/dev/null || die "apt-get remove ${"$"}{PKGS[*]} failed"
  note "purged ${"$"}{PKGS[*]}"
  : > "$S/apt-installed"
fi
end

begin files
RELOAD=0
mapfile -t FILES_ < <(tac "$S/managed")
for f in "${"$"}{FILES_[@]}"; do
  [ -n "$f" ] || continue
  case "$f" in /etc/systemd/*) RELOAD=1 ;; esac
  drop "$f"
done
mapfile -t DIRS_ < <(tac "$S/dirs")
for d in "${"$"}{DIRS_[@]}"; do [ -n "$d" ] && rmdir -- "$d" 2>/dev/null && note "removed $d/" || true; done
[ "$RELOAD" = 0 ] || systemctl daemon-reload || true
end

begin swap
if [ -f /etc/fstab ] && grep -q '^# hcp-disabled: ' /etc/fstab; then sed -i 's@^# hcp-disabled: @@' /etc/fstab; note "restored swap lines in /etc/fstab"; fi
end

exec 9>&-
rm -rf -- "$S"
echo "HCP-DONE clean"
`;
    return wrap("hcp_clean", body);
}

// ---------------------------------------------------------------------------------------------
// Reports

export type StepStatus = "changed" | "unchanged" | "skipped";

export interface Report {
    steps: Record<string, StepStatus>;
    /** What each changed step did. */
    details: Record<string, string[]>;
    facts: Record<string, string>;
    warnings: string[];
    error?: string;
    done: boolean;
}

export function parseReport(stdout: string): Report {
    const r: Report = { steps: {}, details: {}, facts: {}, warnings: [], done: false };
    for (const line of stdout.split(/\r?\n/)) {
        let m: RegExpExecArray | null;
        if ((m = /^HCP-STEP (\S+) (changed|unchanged|skipped)(?: (.*))?$/.exec(line))) {
            r.steps[m[1]] = m[2] as StepStatus;
            if (m[3]) r.details[m[1]] = m[3].split(";").filter((x) => x !== "");
        } else if ((m = /^HCP-FACT ([A-Za-z]+)=(.*)$/.exec(line))) {
            r.facts[m[1]] = m[2];
        } else if ((m = /^HCP-WARN (.*)$/.exec(line))) {
            r.warnings.push(m[1]);
        } else if ((m = /^HCP-ERROR (.*)$/.exec(line))) {
            r.error = m[1];
        } else if (/^HCP-DONE /.test(line)) {
            r.done = true;
        }
    }
    return r;
}

export function changedSteps(r: Report): string[] {
    return Object.entries(r.steps)
        .filter(([, s]) => s === "changed")
        .map(([k]) => k);
}

// ---------------------------------------------------------------------------------------------
// Diff rules

/** The non-secret connection fields kept in outputs. */
export interface PublicConnection {
    address: string;
    port: number;
    user: string;
    hostKey?: string;
    trustOnFirstUse: boolean;
    agent?: string | boolean;
    bastion?: PublicConnection;
}

export interface SecretConnection {
    privateKey?: string;
    passphrase?: string;
    password?: string;
    bastion?: SecretConnection;
}

/** Splits a connection input into what may be shown and what is secret. */
export function splitConnection(c: any): { pub: PublicConnection; sec: SecretConnection } {
    const pub: PublicConnection = {
        address: c.address,
        port: c.port ?? 22,
        user: c.user ?? "root",
        trustOnFirstUse: !!c.trustOnFirstUse,
    };
    if (c.hostKey) pub.hostKey = parsePublicKey(c.hostKey, "connection.hostKey").line;
    if (c.agent !== undefined && c.agent !== false) pub.agent = c.agent;
    const sec: SecretConnection = {};
    for (const k of ["privateKey", "passphrase", "password"] as const) if (c[k]) sec[k] = c[k];
    if (c.bastion) {
        const b = splitConnection(c.bastion);
        pub.bastion = b.pub;
        sec.bastion = b.sec;
    }
    return { pub, sec };
}

/** Joins them back into connection arguments for provider/ssh. */
export function joinConnection(pub: PublicConnection, sec: SecretConnection = {}): any {
    const out: any = { address: pub.address, port: pub.port, user: pub.user, trustOnFirstUse: pub.trustOnFirstUse };
    if (pub.hostKey) out.hostKey = pub.hostKey;
    if (pub.agent !== undefined) out.agent = pub.agent;
    for (const k of ["privateKey", "passphrase", "password"] as const) if (sec[k]) out[k] = sec[k];
    if (pub.bastion) out.bastion = joinConnection(pub.bastion, sec.bastion ?? {});
    return out;
}

/** The comparable state of a PreparedHost: from new inputs or from stored outputs. */
export interface Comparable {
    connection: PublicConnection;
    connectionSecrets: SecretConnection;
    prep: NormalizedPrep;
    reusePolicy: ReusePolicy;
}

export type ChangeKind = "replace" | "prepare" | "state";

export interface PropertyChange {
    path: string;
    kind: ChangeKind;
}

/**
 * Which properties differ, and what each difference needs:
 *  - replace: connection.address (another machine; the same one written differently is no change) / connection.port;
 *  - prepare: kubernetesVersion, containerd.*, packageSource (re-run the preparation);
 *  - state:   everything else (user, keys, credentials, bastion, reusePolicy): recorded, host untouched.
 */
export function compare(o: Comparable, n: Comparable): PropertyChange[] {
    const out: PropertyChange[] = [];
    const add = (path: string, kind: ChangeKind, a: unknown, b: unknown) => {
        if (stableJson(a) !== stableJson(b)) out.push({ path, kind });
    };
    // One machine however its address is written ("2001:DB8::1", "2001:db8::1"): no change.
    add("connection.address", "replace", hostIdentity(o.connection.address), hostIdentity(n.connection.address));
    add("connection.port", "replace", o.connection.port, n.connection.port);
    add("connection.user", "state", o.connection.user, n.connection.user);
    add("connection.hostKey", "state", o.connection.hostKey, n.connection.hostKey);
    add("connection.trustOnFirstUse", "state", o.connection.trustOnFirstUse, n.connection.trustOnFirstUse);
    add("connection.agent", "state", o.connection.agent, n.connection.agent);
    add("connection.bastion", "state", o.connection.bastion, n.connection.bastion);
    for (const k of ["privateKey", "passphrase", "password"] as const)
        add(`connection.${k}`, "state", o.connectionSecrets[k], n.connectionSecrets[k]);
    add("connection.bastion", "state", o.connectionSecrets.bastion, n.connectionSecrets.bastion);
    add("kubernetesVersion", "prepare", o.prep.kubernetesVersion, n.prep.kubernetesVersion);
    add("containerd.version", "prepare", o.prep.containerd.version, n.prep.containerd.version);
    add("containerd.pauseImage", "prepare", o.prep.containerd.pauseImage, n.prep.containerd.pauseImage);
    add("containerd.cgroupDriver", "prepare", o.prep.containerd.cgroupDriver, n.prep.containerd.cgroupDriver);
    add(
        "containerd.restrictOOMScoreAdj",
        "prepare",
        o.prep.containerd.restrictOOMScoreAdj,
        n.prep.containerd.restrictOOMScoreAdj,
    );
    const regs = new Set([
        ...Object.keys(o.prep.containerd.registryMirrors),
        ...Object.keys(n.prep.containerd.registryMirrors),
    ]);
    for (const r of [...regs].sort()) {
        add(
            `containerd.registryMirrors["${r}"]`,
            "prepare",
            o.prep.containerd.registryMirrors[r],
            n.prep.containerd.registryMirrors[r],
        );
    }
    add(
        "containerd.registryCredentials",
        "prepare",
        o.prep.containerd.registryCredentials,
        n.prep.containerd.registryCredentials,
    );
    add("packageSource", "prepare", o.prep.packageSource, n.prep.packageSource);
    add("reusePolicy", "state", o.reusePolicy, n.reusePolicy);
    // one entry per path
    const seen = new Set<string>();
    return out.filter((c) => (seen.has(c.path) ? false : (seen.add(c.path), true)));
}
