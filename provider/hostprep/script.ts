// The host scripts of PreparedHost, composed from the real bash files under host/: a rendered
// header assigns every value a step uses (each one shell-quoted, so no input reaches the shell as
// code), then the prelude's helpers, then the steps in order. The whole script is one function,
// read completely before it runs, with stdin from /dev/null: it arrives on bash's stdin, and
// nothing in it may consume the rest.
import { shellQuote } from "../../lib/ssh/logic";
import { renderContainerdConfig, renderHostsToml, certsDir } from "./containerdToml";
import { FILES, HOST_FILE_CONTENTS, SYSCTLS, hostSource } from "./hostFiles";
import { AptSource, BUNDLE_CONTAINERD_FILES, BundleSource, NormalizedPrep, SUPPORTED_OS } from "./inputs";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const assign = (name: string, value: string) => `${name}=${shellQuote(value)}`;
const assignList = (name: string, values: string[]) => `${name}=(${values.map(shellQuote).join(" ")})`;

/** The preparation's steps in the order they run; each prints one HCP-STEP line. */
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

/** The step files, in order; the package steps depend on the package source. */
function stepFiles(p: NormalizedPrep): string[] {
    const packages = p.packageSource.kind === "bundle" ? "packages-bundle" : "packages-apt";
    const names = ["os", "arch", "swap", "kernel-modules", "sysctl", packages, "containerd-config"];
    return [...names, "registry-mirrors", "services"].map((n) => `steps/${n}.sh`);
}

/** A curl config line for a URL ("url = \"…\""), read from stdin so the URL never is in curl's argv. */
export function curlUrlConfig(url: string): string {
    return `url = "${url.replace(/["\\]/g, "\\$&")}"\n`;
}

/** The values every preparation uses. */
function commonValues(p: NormalizedPrep): string[] {
    const mirrored = Object.keys(p.containerd.registryMirrors);
    return [
        assign("S", FILES.stateDir),
        assign("SUPPORTED_OS", SUPPORTED_OS),
        assign("PACKAGE_SOURCE", p.packageSource.kind),
        assign("K8S_VERSION", p.kubernetesVersion),
        assign("CONTAINERD_VERSION", p.containerd.version),
        assign("MODULES_FILE", FILES.modules),
        assign("MODULES_CONF_B64", b64(HOST_FILE_CONTENTS.modulesConf)),
        assign("SYSCTL_FILE", FILES.sysctl),
        assign("SYSCTL_CONF_B64", b64(HOST_FILE_CONTENTS.sysctlConf)),
        assignList(
            "SYSCTL_KEYS",
            SYSCTLS.map(([k]) => k),
        ),
        assignList(
            "SYSCTL_VALUES",
            SYSCTLS.map(([, v]) => v),
        ),
        assign("CONTAINERD_CONFIG_FILE", FILES.containerdConfig),
        assign("CONTAINERD_CONFIG_B64", b64(renderContainerdConfig(p))),
        assign("CRICTL_FILE", FILES.crictl),
        assign("CRICTL_YAML_B64", b64(HOST_FILE_CONTENTS.crictlYaml)),
        assign("CERTS_D", FILES.certsD),
        assignList(
            "MIRROR_FILES",
            mirrored.map((r) => `${FILES.certsD}/${certsDir(r)}/hosts.toml`),
        ),
        assignList(
            "MIRROR_CONTENTS_B64",
            mirrored.map((r) => b64(renderHostsToml(r, p.containerd.registryMirrors[r]))),
        ),
    ];
}

/** What the bundle steps use. A URL is named, never shown: it may carry credentials. */
function bundleValues(s: BundleSource): string[] {
    return [
        assign("BUNDLE_SRC", s.url ? "packageSource.url" : s.path!),
        assign("BUNDLE_URL_CONFIG", s.url ? curlUrlConfig(s.url) : ""),
        assign("BUNDLE_SHA256", s.sha256 ?? ""),
        assignList("BUNDLE_CONTAINERD_FILES", BUNDLE_CONTAINERD_FILES),
        assign("CNI_BIN", FILES.cniBin),
        assign("CONTAINERD_UNIT_FILE", FILES.containerdUnit),
        assign("CONTAINERD_UNIT_B64", b64(HOST_FILE_CONTENTS.containerdUnit)),
        assign("KUBELET_UNIT_FILE", FILES.kubeletUnit),
        assign("KUBELET_UNIT_B64", b64(HOST_FILE_CONTENTS.kubeletUnit)),
        assign("KUBELET_DROPIN_FILE", FILES.kubeletDropIn),
        assign("KUBELET_DROPIN_B64", b64(HOST_FILE_CONTENTS.kubeletDropIn)),
    ];
}

/** What the apt steps use (normalizePrep filled in the repository, key and package defaults). */
function aptValues(s: AptSource): string[] {
    const containerdList = s.containerdRepository
        ? `deb [signed-by=${FILES.aptContainerdKeyring}] ${s.containerdRepository}\n`
        : "";
    return [
        assign("APT_KEYRING", FILES.aptKeyring),
        assign("APT_SIGNING_KEY_URL", s.signingKeyUrl!),
        assign("APT_LIST", FILES.aptList),
        assign("APT_LIST_B64", b64(`deb [signed-by=${FILES.aptKeyring}] ${s.repository} /\n`)),
        assign("APT_CONTAINERD_KEYRING", FILES.aptContainerdKeyring),
        assign("APT_CONTAINERD_SIGNING_KEY_URL", s.containerdSigningKeyUrl ?? ""),
        assign("APT_CONTAINERD_LIST", FILES.aptContainerdList),
        assign("APT_CONTAINERD_LIST_B64", containerdList === "" ? "" : b64(containerdList)),
        assign("CONTAINERD_PACKAGE", s.containerdPackage!),
    ];
}

function wrap(fn: string, parts: string[]): string {
    return `#!/bin/bash\n# rendered by pulumi-hosted-control-plane (PreparedHost)\n${fn}() {\n${parts.join("\n")}\n}\n${fn} < /dev/null\n`;
}

/** The idempotent preparation script for the inputs. */
export function renderPrepareScript(p: NormalizedPrep): string {
    const source = p.packageSource;
    const values = [...commonValues(p), ...(source.kind === "bundle" ? bundleValues(source) : aptValues(source))];
    return wrap("hcp_prepare", [
        values.join("\n"),
        hostSource("prelude.sh"),
        ...stepFiles(p).map(hostSource),
        `echo "HCP-DONE prepare"`,
    ]);
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
    const containerdPackage =
        p.packageSource.kind === "apt" ? (p.packageSource.containerdPackage ?? "containerd") : "containerd";
    const values = [
        assign("S", FILES.stateDir),
        assign("NO_RECORD", NO_RECORD),
        assign("CONTAINERD_PACKAGE", containerdPackage),
    ];
    return wrap("hcp_clean", [
        values.join("\n"),
        hostSource("clean-guard.sh"),
        hostSource("prelude.sh"),
        hostSource("clean.sh"),
    ]);
}
