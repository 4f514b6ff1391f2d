// The containerd configuration PreparedHost writes: config.toml (v2 for containerd 1.x, v3 for 2.x)
// and one certs.d/<registry>/hosts.toml per mirrored registry.
import type { NormalizedPrep, RegistryCredential } from "./inputs";

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
