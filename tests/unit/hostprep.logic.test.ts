// PreparedHost's pure logic: input rules, the rendered script and files, diff and report parsing.
// Over 400 lines: table-driven, one table per rule, plus the shellcheck of the rendered script.
import { expect } from "chai";
import { execFileSync } from "child_process";
import {
    certsDir,
    compare,
    defaultPauseImage,
    fromInputs,
    normalizePrep,
    parseReport,
    changedSteps,
    PREP_STEPS,
    prepSecrets,
    renderCleanScript,
    renderContainerdConfig,
    renderHostsToml,
    renderPrepareScript,
    splitConnection,
    joinConnection,
    validatePrep,
} from "../../provider/hostprep/logic";
import * as provider from "../../provider/hostprep/provider";
import { UNKNOWN } from "../../provider/dynamic";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFVU7+DawD32WqPKczgc/qzfWxvnoFgW+BCFMEkcYE/E";
const ED2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL7s+N+3yit64ofa4zFpzWlLzpzDJe5ogc7LNhYsKWHF";

const base = () => ({
    kubernetesVersion: "v1.34.4",
    containerd: { registryMirrors: { "docker.io": ["https://mirror.example"] } as Record<string, string[]> },
    packageSource: { kind: "bundle" as const, path: "/opt/bundle" },
});

function bashSyntaxOk(script: string): void {
    execFileSync("bash", ["-n"], { input: script });
}

describe("hostprep logic: validation", () => {
    const table: { name: string; patch: (a: any) => void; property?: string; reason?: RegExp }[] = [
        { name: "a minimal bundle input", patch: () => undefined },
        { name: "apt with defaults", patch: (a) => (a.packageSource = { kind: "apt" }) },
        {
            name: "missing version",
            patch: (a) => delete a.kubernetesVersion,
            property: "kubernetesVersion",
            reason: /full version like "v1\.34\.4"/,
        },
        { name: "minor-only version", patch: (a) => (a.kubernetesVersion = "1.34"), property: "kubernetesVersion" },
        {
            name: "containerd version with v",
            patch: (a) => (a.containerd.version = "v1.7.27"),
            property: "containerd.version",
        },
        {
            name: "containerd 3.x",
            patch: (a) => (a.containerd.version = "3.0.0"),
            property: "containerd.version",
            reason: /1\.x and 2\.x/,
        },
        {
            name: "registry key with a scheme",
            patch: (a) => (a.containerd.registryMirrors = { "https://docker.io": ["https://m.example"] }),
            property: 'containerd.registryMirrors["https://docker.io"]',
        },
        {
            name: "upper-case registry",
            patch: (a) => (a.containerd.registryMirrors = { "Docker.IO": ["https://m.example"] }),
            property: 'containerd.registryMirrors["Docker.IO"]',
        },
        {
            name: "registry with port and *",
            patch: (a) =>
                (a.containerd.registryMirrors = {
                    "registry.local:5000": ["http://m:5000"],
                    "*": ["https://m.example"],
                }),
        },
        {
            name: "empty mirror list",
            patch: (a) => (a.containerd.registryMirrors = { "docker.io": [] }),
            property: 'containerd.registryMirrors["docker.io"]',
            reason: /non-empty/,
        },
        {
            name: "mirror that is not a URL",
            patch: (a) => (a.containerd.registryMirrors = { "docker.io": ["mirror.example"] }),
            property: 'containerd.registryMirrors["docker.io"][0]',
        },
        {
            name: "mirror with a shell payload",
            patch: (a) => (a.containerd.registryMirrors = { "docker.io": ["https://m.example/$(reboot)"] }),
        },
        {
            name: "credentials without password",
            patch: (a) => (a.containerd.registryCredentials = { "r.example": { username: "u" } }),
            property: 'containerd.registryCredentials["r.example"]',
        },
        {
            name: "credentials for *",
            patch: (a) => (a.containerd.registryCredentials = { "*": { auth: "dTpw" } }),
            property: 'containerd.registryCredentials["*"]',
        },
        {
            name: "unknown package kind",
            patch: (a) => (a.packageSource = { kind: "yum" }),
            property: "packageSource.kind",
            reason: /"apt".*"bundle"/,
        },
        {
            name: "bundle with path and url",
            patch: (a) => (a.packageSource = { kind: "bundle", path: "/b", url: "http://x/b.tgz" }),
            property: "packageSource",
            reason: /exactly one/,
        },
        {
            name: "bundle with neither",
            patch: (a) => (a.packageSource = { kind: "bundle" }),
            property: "packageSource",
        },
        {
            name: "relative bundle path",
            patch: (a) => (a.packageSource = { kind: "bundle", path: "bundle" }),
            property: "packageSource.path",
            reason: /absolute/,
        },
        {
            name: "bundle url",
            patch: (a) =>
                (a.packageSource = { kind: "bundle", url: "http://198.18.0.1:8080/b.tgz", sha256: "a".repeat(64) }),
        },
        {
            name: "bad sha256",
            patch: (a) => (a.packageSource = { kind: "bundle", url: "http://x/b.tgz", sha256: "xyz" }),
            property: "packageSource.sha256",
        },
        {
            name: "sha256 on a directory",
            patch: (a) => (a.packageSource = { kind: "bundle", path: "/opt/b", sha256: "a".repeat(64) }),
            property: "packageSource.sha256",
        },
        {
            name: "apt repository not a URL",
            patch: (a) => (a.packageSource = { kind: "apt", repository: "pkgs.k8s.io" }),
            property: "packageSource.repository",
        },
        {
            name: "containerd repo without key",
            patch: (a) =>
                (a.packageSource = {
                    kind: "apt",
                    containerdPackage: "containerd.io",
                    containerdRepository: "https://download.docker.com/linux/debian bookworm stable",
                }),
            property: "packageSource.containerdSigningKeyUrl",
        },
        {
            name: "bad reusePolicy",
            patch: (a) => (a.reusePolicy = "wipe"),
            property: "reusePolicy",
            reason: /"retain".*"clean"/,
        },
    ];
    for (const t of table) {
        it(`${t.name} -> ${t.property ?? "valid"}`, () => {
            const a: any = base();
            t.patch(a);
            const f = validatePrep(a);
            if (!t.property) {
                expect(f).to.deep.equal([]);
            } else {
                expect(f.map((x) => x.propertyPath)).to.include(t.property);
                if (t.reason) expect(f.find((x) => x.propertyPath === t.property)!.reason).to.match(t.reason);
            }
        });
    }

    describe("apt sources and URLs are judged on the raw string", () => {
        const injected =
            "https://download.docker.com/linux/debian bookworm stable\ndeb [trusted=yes] http://evil.example/ ./";
        const apt = (extra: Record<string, unknown>) => ({
            ...base(),
            packageSource: { kind: "apt", containerdSigningKeyUrl: "https://k.example/gpg", ...extra },
        });
        const refused: [string, Record<string, unknown>, string, RegExp][] = [
            [
                "containerdRepository with a newline and a second deb line",
                { containerdRepository: injected },
                "packageSource.containerdRepository",
                /without control characters .*a newline in it would add an apt line of its own/,
            ],
            [
                "containerdRepository with a tab",
                { containerdRepository: "https://download.docker.com/linux/debian\tbookworm stable" },
                "packageSource.containerdRepository",
                /without control characters/,
            ],
            [
                "containerdRepository with two spaces",
                { containerdRepository: "https://download.docker.com/linux/debian  bookworm stable" },
                "packageSource.containerdRepository",
                /separated by single spaces only/,
            ],
            [
                "containerdRepository with a non-breaking space",
                { containerdRepository: "https://download.docker.com/linux/debian\u00a0bookworm stable" },
                "packageSource.containerdRepository",
                /separated by single spaces only/,
            ],
            [
                "containerdRepository with a trailing space",
                { containerdRepository: "https://download.docker.com/linux/debian bookworm stable " },
                "packageSource.containerdRepository",
                /separated by single spaces only/,
            ],
            [
                "containerdRepository with an ftp URL",
                { containerdRepository: "ftp://download.docker.com/linux/debian bookworm stable" },
                "packageSource.containerdRepository",
                /^must be "URL SUITE COMPONENT\.\.\."/,
            ],
            [
                "containerdRepository without a suite",
                { containerdRepository: "https://download.docker.com/linux/debian" },
                "packageSource.containerdRepository",
                /^must be "URL SUITE COMPONENT\.\.\."/,
            ],
            [
                "repository with a newline and a second deb line",
                {
                    repository:
                        "https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\ndeb [trusted=yes] http://evil.example/ ./",
                },
                "packageSource.repository",
                /without whitespace or control characters .*a newline would add an entry of its own/,
            ],
            [
                "repository with a newline (which the URL parser drops)",
                { repository: "https://pkgs.k8s.io/core:/stable:/v1.34/deb/\n" },
                "packageSource.repository",
                /without whitespace or control characters/,
            ],
            [
                "repository with a carriage return",
                { repository: "https://pkgs.k8s.io/\rdeb/" },
                "packageSource.repository",
                /without whitespace or control characters/,
            ],
            [
                "signingKeyUrl with a tab",
                { signingKeyUrl: "https://pkgs.k8s.io/\tRelease.key" },
                "packageSource.signingKeyUrl",
                /without whitespace or control characters/,
            ],
            [
                "containerdSigningKeyUrl with a leading space",
                { containerdSigningKeyUrl: " https://k.example/gpg" },
                "packageSource.containerdSigningKeyUrl",
                /without whitespace or control characters/,
            ],
            [
                "repository with a backslash",
                { repository: "https:\\\\evil.example/deb/" },
                "packageSource.repository",
                /^must be an http\(s\) URL \(got/,
            ],
            [
                "repository with a file URL",
                { repository: "file:///srv/deb/" },
                "packageSource.repository",
                /^must be an http\(s\) URL \(got/,
            ],
        ];
        for (const [what, extra, property, reason] of refused) {
            it(`refuses ${what}`, () => {
                const f = validatePrep(apt(extra));
                expect(f.map((x) => x.propertyPath)).to.deep.equal([property]);
                expect(f[0].reason).to.match(reason);
            });
        }
        it("refuses a mirror URL and a bundle URL with a newline", () => {
            const a: any = base();
            a.containerd.registryMirrors = { "docker.io": ["https://m.example/\n[host.x]"] };
            a.packageSource = { kind: "bundle", url: "https://b.example/b.tgz\n" };
            expect(validatePrep(a).map((x) => x.propertyPath)).to.deep.equal([
                'containerd.registryMirrors["docker.io"][0]',
                "packageSource.url",
            ]);
        });
        it("accepts apt lines and URLs as apt and containerd need them", () => {
            expect(
                validatePrep(
                    apt({
                        repository: "https://pkgs.k8s.io/core:/stable:/v1.34/deb/",
                        signingKeyUrl: "HTTPS://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key",
                        containerdRepository: "https://download.docker.com/linux/debian bookworm stable",
                    }),
                ),
            ).to.deep.equal([]);
            expect(validatePrep(apt({ containerdRepository: "http://198.18.0.1:8080/debian ./" }))).to.deep.equal([]);
        });
    });

    it("normalizePrep throws all failures, one per line", () => {
        expect(() => normalizePrep({ kubernetesVersion: "x", packageSource: { kind: "nope" } } as any)).to.throw(
            /kubernetesVersion: .*\npackageSource\.kind: /s,
        );
    });
});

describe("hostprep logic: defaults", () => {
    const pause: [string, string][] = [
        ["v1.34.4", "registry.k8s.io/pause:3.10.1"],
        ["1.33.0", "registry.k8s.io/pause:3.10"],
        ["1.31.2", "registry.k8s.io/pause:3.10"],
        ["1.30.9", "registry.k8s.io/pause:3.9"],
    ];
    for (const [v, img] of pause)
        it(`pause image for ${v} is ${img}`, () => expect(defaultPauseImage(v)).to.equal(img));

    it("fills containerd and apt defaults", () => {
        const p = normalizePrep({ kubernetesVersion: "v1.34.4", packageSource: { kind: "apt" } });
        expect(p.kubernetesVersion).to.equal("1.34.4");
        expect(p.containerd.version).to.equal("1.7.27");
        expect(p.containerd.pauseImage).to.equal("registry.k8s.io/pause:3.10.1");
        expect(p.packageSource).to.deep.equal({
            kind: "apt",
            repository: "https://pkgs.k8s.io/core:/stable:/v1.34/deb/",
            signingKeyUrl: "https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key",
            containerdPackage: "containerd",
        });
    });

    it("sorts registries so that input order does not make a diff", () => {
        const a = normalizePrep({
            ...base(),
            containerd: { registryMirrors: { "quay.io": ["https://q"], "docker.io": ["https://d"] } },
        });
        expect(Object.keys(a.containerd.registryMirrors)).to.deep.equal(["docker.io", "quay.io"]);
    });

    it("lists credential strings (and user:password in base64) as secrets", () => {
        const p = normalizePrep({
            ...base(),
            containerd: {
                registryCredentials: {
                    "r.example": { username: "u", password: "pw-secret" },
                    "q.example": { auth: "YXV0aA==" },
                },
            },
        });
        expect(prepSecrets(p)).to.have.members([
            "pw-secret",
            Buffer.from("u:pw-secret").toString("base64"),
            "YXV0aA==",
        ]);
    });
});

describe("hostprep logic: rendered files", () => {
    it("containerd 1.x config: v2 format, systemd cgroups, pause image, certs.d", () => {
        const t = renderContainerdConfig(normalizePrep(base()));
        expect(t).to.include("version = 2\n");
        expect(t).to.include(
            '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n',
        );
        expect(t).to.include('sandbox_image = "registry.k8s.io/pause:3.10.1"');
        expect(t).to.include('config_path = "/etc/containerd/certs.d"');
        expect(t).to.not.include("configs.");
    });

    it("containerd 2.x config: v3 format with the pinned sandbox image", () => {
        const t = renderContainerdConfig(
            normalizePrep({ ...base(), containerd: { version: "2.1.4", pauseImage: "mirror.local/pause:3.10" } }),
        );
        expect(t).to.include("version = 3\n");
        expect(t).to.include(
            '[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "mirror.local/pause:3.10"',
        );
        expect(t).to.include(
            '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]\n  SystemdCgroup = true',
        );
    });

    it("renders credentials with TOML escaping; docker.io maps to registry-1.docker.io", () => {
        const t = renderContainerdConfig(
            normalizePrep({
                ...base(),
                containerd: {
                    registryCredentials: {
                        "docker.io": { username: "me", password: 'p"w\\x' },
                        "ghcr.io": { identityToken: "tok" },
                        "q.io": { auth: "YTpi" },
                    },
                },
            }),
        );
        expect(t).to.include(
            '[plugins."io.containerd.grpc.v1.cri".registry.configs."registry-1.docker.io".auth]\n  username = "me"\n  password = "p\\"w\\\\x"',
        );
        expect(t).to.include('configs."ghcr.io".auth]\n  identitytoken = "tok"');
        expect(t).to.include('configs."q.io".auth]\n  auth = "YTpi"');
    });

    const hosts: { reg: string; mirrors: string[]; want: string }[] = [
        {
            reg: "docker.io",
            mirrors: ["https://m1.example", "http://m2.example:5000"],
            want:
                '# managed by pulumi-hosted-control-plane (PreparedHost)\nserver = "https://registry-1.docker.io"\n\n' +
                '[host."https://m1.example"]\n  capabilities = ["pull", "resolve"]\n\n[host."http://m2.example:5000"]\n  capabilities = ["pull", "resolve"]\n',
        },
        {
            reg: "registry.k8s.io",
            mirrors: ["https://m"],
            want: '# managed by pulumi-hosted-control-plane (PreparedHost)\nserver = "https://registry.k8s.io"\n\n[host."https://m"]\n  capabilities = ["pull", "resolve"]\n',
        },
        {
            reg: "*",
            mirrors: ["https://m"],
            want: '# managed by pulumi-hosted-control-plane (PreparedHost)\n\n[host."https://m"]\n  capabilities = ["pull", "resolve"]\n',
        },
    ];
    for (const h of hosts)
        it(`hosts.toml for ${h.reg}`, () => expect(renderHostsToml(h.reg, h.mirrors)).to.equal(h.want));
    it("maps * to certs.d/_default", () => {
        expect(certsDir("*")).to.equal("_default");
        expect(certsDir("registry.local:5000")).to.equal("registry.local:5000");
    });
});

describe("hostprep logic: scripts", () => {
    const variants: { name: string; input: any }[] = [
        { name: "bundle directory", input: base() },
        {
            name: "bundle URL with sha256",
            input: {
                ...base(),
                packageSource: { kind: "bundle", url: "http://198.18.0.1:8080/b.tgz", sha256: "a".repeat(64) },
            },
        },
        { name: "apt", input: { ...base(), packageSource: { kind: "apt" } } },
        {
            name: "apt with containerd.io repository",
            input: {
                ...base(),
                packageSource: {
                    kind: "apt",
                    containerdPackage: "containerd.io",
                    containerdRepository: "https://download.docker.com/linux/debian bookworm stable",
                    containerdSigningKeyUrl: "https://download.docker.com/linux/debian/gpg",
                },
            },
        },
        { name: "no mirrors", input: { ...base(), containerd: {} } },
        {
            name: "hostile bundle path",
            input: { ...base(), packageSource: { kind: "bundle", path: "/opt/it's $(touch /tmp/pwned); `id`\nx" } },
        },
    ];
    for (const v of variants) {
        it(`${v.name}: preparation and clean-up scripts are valid bash`, () => {
            const p = normalizePrep(v.input);
            bashSyntaxOk(renderPrepareScript(p));
            bashSyntaxOk(renderCleanScript(p));
        });
    }

    it("runs every step in order and reads itself fully before running", () => {
        const s = renderPrepareScript(normalizePrep(base()));
        const positions = PREP_STEPS.map((st) => s.indexOf(`begin ${st}\n`));
        expect(positions.every((x) => x > 0)).to.equal(true);
        expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
        expect(s.trimEnd().split("\n").pop()).to.equal("hcp_prepare < /dev/null");
        expect(s).to.include("set -Eeuo pipefail");
    });

    it("quotes the hostile bundle path as one literal word", () => {
        const s = renderPrepareScript(normalizePrep(variants[5].input));
        expect(s).to.include(`BUNDLE_SRC='/opt/it'\\''s $(touch /tmp/pwned); \`id\`\nx'`);
    });

    it("passes a bundle URL to curl on stdin (--config -), never in its argv nor in a message", () => {
        const url = 'https://user:s3cr"et@bundles.example/k8s.tgz?X-Amz-Signature=abc123';
        const s = renderPrepareScript(
            normalizePrep({ kubernetesVersion: "v1.34.4", packageSource: { kind: "bundle", url } }),
        );
        const curl = s.split("\n").filter((l) => l.trimStart().startsWith("curl ") && l.includes("BUNDLE_TAR"));
        expect(curl).to.have.length(1);
        expect(curl[0]).to.include(`--config - <<< "$BUNDLE_URL_CONFIG"`);
        expect(s).to.include(
            `BUNDLE_URL_CONFIG='url = "https://user:s3cr\\"et@bundles.example/k8s.tgz?X-Amz-Signature=abc123"`,
        );
        // Only the variable that here-string reads holds the URL: no argv, no die message.
        expect(s.split(url.replace('"', '\\"')).length - 1).to.equal(1);
        expect(s).not.to.include(url);
        expect(s).to.include("BUNDLE_SRC=packageSource.url");
        expect(validatePrep({ kubernetesVersion: "v1.34.4", packageSource: { kind: "bundle", url: url + " x" } })[0])
            .to.have.property("reason")
            .that.does.not.include("s3cr");
        expect(
            prepSecrets(normalizePrep({ kubernetesVersion: "v1.34.4", packageSource: { kind: "bundle", url } })),
        ).to.include(url);
    });

    it("never carries registry passwords in clear text", () => {
        const p = normalizePrep({
            ...base(),
            containerd: { registryCredentials: { "r.example": { username: "u", password: "pw-very-secret" } } },
        });
        const s = renderPrepareScript(p);
        expect(s).to.not.include("pw-very-secret");
        expect(s).to.include(Buffer.from(renderContainerdConfig(p)).toString("base64"));
    });

    it("rhel-like hosts are refused for apt, and unsupported OSes name the found ID", () => {
        const s = renderPrepareScript(normalizePrep({ ...base(), packageSource: { kind: "apt" } }));
        expect(s).to.include("needs debian or ubuntu, but this host is ID=");
        expect(s).to.include("unsupported operating system ID=");
    });

    it("pins apt packages and holds them", () => {
        const s = renderPrepareScript(normalizePrep({ ...base(), packageSource: { kind: "apt" } }));
        expect(s).to.include("K8S_VERSION=1.34.4\nCONTAINERD_VERSION=1.7.27\n");
        expect(s).to.include('for pkg in kubelet kubeadm kubectl; do apt_pin "$pkg" "$K8S_VERSION-*"; done');
        expect(s).to.include('for pkg in kubelet kubeadm kubectl; do hold "$pkg"; done');
        expect(s).to.include('apt_pin "$CONTAINERD_PACKAGE" "$CONTAINERD_VERSION*"');
        expect(s).to.include("CONTAINERD_PACKAGE=containerd\n");
    });
});

describe("hostprep logic: reports", () => {
    it("parses steps, details, facts, warnings, errors", () => {
        const r = parseReport(
            [
                "HCP-STEP os unchanged",
                "HCP-FACT os=debian",
                "HCP-FACT osVersion=12",
                "noise",
                "HCP-STEP sysctl changed wrote /etc/sysctl.d/99-kubernetes.conf;sysctl -p /etc/sysctl.d/99-kubernetes.conf",
                "HCP-WARN kernel-modules: br_netfilter cannot be loaded",
                "HCP-STEP containerd-service skipped containerd is not installed",
                "HCP-DONE prepare",
            ].join("\n"),
        );
        expect(r.steps).to.deep.equal({ os: "unchanged", sysctl: "changed", "containerd-service": "skipped" });
        expect(r.details.sysctl).to.deep.equal([
            "wrote /etc/sysctl.d/99-kubernetes.conf",
            "sysctl -p /etc/sysctl.d/99-kubernetes.conf",
        ]);
        expect(r.facts).to.deep.equal({ os: "debian", osVersion: "12" });
        expect(r.warnings).to.deep.equal(["kernel-modules: br_netfilter cannot be loaded"]);
        expect(r.done).to.equal(true);
        expect(changedSteps(r)).to.deep.equal(["sysctl"]);
        const e = parseReport('HCP-STEP os unchanged\nHCP-ERROR os: unsupported operating system ID="alpine"\n');
        expect(e.error).to.equal('os: unsupported operating system ID="alpine"');
        expect(e.done).to.equal(false);
    });
});

describe("hostprep logic: diff rules", () => {
    const conn = { address: "198.18.0.11", privateKey: "KEY", hostKey: ED };
    const old = { ...base(), connection: conn, reusePolicy: "retain" };
    const table: { name: string; patch: (a: any) => void; want: string[] }[] = [
        { name: "nothing", patch: () => undefined, want: [] },
        { name: "v prefix only", patch: (a) => (a.kubernetesVersion = "1.34.4"), want: [] },
        { name: "host key comment", patch: (a) => (a.connection.hostKey = `${ED} root@somewhere`), want: [] },
        {
            name: "explicit defaults",
            patch: (a) => ((a.connection.port = 22), (a.connection.user = "root"), (a.containerd.version = "1.7.27")),
            want: [],
        },
        { name: "address", patch: (a) => (a.connection.address = "198.18.0.12"), want: ["connection.address:replace"] },
        { name: "port", patch: (a) => (a.connection.port = 2222), want: ["connection.port:replace"] },
        { name: "user", patch: (a) => (a.connection.user = "ops"), want: ["connection.user:state"] },
        {
            name: "private key",
            patch: (a) => (a.connection.privateKey = "OTHER"),
            want: ["connection.privateKey:state"],
        },
        { name: "host key", patch: (a) => (a.connection.hostKey = ED2), want: ["connection.hostKey:state"] },
        {
            name: "bastion",
            patch: (a) => (a.connection.bastion = { address: "198.18.0.2", privateKey: "K", hostKey: ED }),
            want: ["connection.bastion:state"],
        },
        {
            name: "version",
            patch: (a) => (a.kubernetesVersion = "v1.34.5"),
            want: ["kubernetesVersion:prepare", "containerd.pauseImage:prepare"].slice(0, 1),
        },
        {
            name: "minor version",
            patch: (a) => (a.kubernetesVersion = "v1.33.1"),
            want: ["kubernetesVersion:prepare", "containerd.pauseImage:prepare"],
        },
        {
            name: "containerd version",
            patch: (a) => (a.containerd.version = "1.7.28"),
            want: ["containerd.version:prepare"],
        },
        {
            name: "one mirror",
            patch: (a) => (a.containerd.registryMirrors["docker.io"] = ["https://other.example"]),
            want: ['containerd.registryMirrors["docker.io"]:prepare'],
        },
        {
            name: "added registry",
            patch: (a) => (a.containerd.registryMirrors["quay.io"] = ["https://q"]),
            want: ['containerd.registryMirrors["quay.io"]:prepare'],
        },
        {
            name: "credentials",
            patch: (a) => (a.containerd.registryCredentials = { "r.io": { auth: "YTpi" } }),
            want: ["containerd.registryCredentials:prepare"],
        },
        {
            name: "package source",
            patch: (a) => (a.packageSource = { kind: "bundle", path: "/opt/other" }),
            want: ["packageSource:prepare"],
        },
        { name: "reusePolicy", patch: (a) => (a.reusePolicy = "clean"), want: ["reusePolicy:state"] },
    ];
    for (const t of table) {
        it(`${t.name} -> ${t.want.join(", ") || "no change"}`, () => {
            const n = JSON.parse(JSON.stringify(old));
            t.patch(n);
            expect(compare(fromInputs(old), fromInputs(n)).map((c) => `${c.path}:${c.kind}`)).to.deep.equal(t.want);
        });
    }

    it("split and join of a connection round-trip, secrets kept apart", () => {
        const c = {
            address: "a",
            port: 2222,
            user: "ops",
            privateKey: "K",
            passphrase: "P",
            hostKey: ED,
            bastion: { address: "b", password: "PW", hostKey: ED2 },
        };
        const { pub, sec } = splitConnection(c);
        expect(JSON.stringify(pub)).to.not.match(/"K"|"P"|"PW"/);
        expect(sec).to.deep.equal({ privateKey: "K", passphrase: "P", bastion: { password: "PW" } });
        expect(joinConnection(pub, sec)).to.deep.equal({
            ...c,
            trustOnFirstUse: false,
            bastion: { ...c.bastion, port: 22, user: "root", trustOnFirstUse: false },
        });
    });
});

describe("hostprep provider: check and diff (no host)", () => {
    let key: string;
    before(() => {
        const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/k`]);
        key = execFileSync("cat", [`${dir}/k`], { encoding: "utf8" });
        execFileSync("rm", ["-rf", dir]);
    });
    const inputs = () => ({
        ...base(),
        connection: { address: "198.18.0.11", privateKey: key, hostKey: ED },
        reusePolicy: "retain",
    });

    it("accepts valid inputs", async () => {
        expect((await provider.check({}, inputs())).failures).to.deep.equal([]);
    });
    it("requires hostKey unless trustOnFirstUse", async () => {
        const i: any = inputs();
        delete i.connection.hostKey;
        const f = (await provider.check({}, i)).failures!;
        expect(f.map((x) => x.property)).to.deep.equal(["connection.hostKey"]);
        expect(f[0].reason).to.include("ssh-keyscan -t ed25519 198.18.0.11");
        i.connection.trustOnFirstUse = true;
        expect((await provider.check({}, i)).failures).to.deep.equal([]);
    });
    it("names malformed connection properties", async () => {
        const i: any = inputs();
        i.connection.hostKey = "ssh-ed25519 !!";
        i.connection.port = 70000;
        const f = (await provider.check({}, i)).failures!;
        expect(f[0].property).to.equal("connection.port");
        i.connection.port = 22;
        const g = (await provider.check({}, i)).failures!;
        expect(g[0].property).to.equal("connection.hostKey");
        expect(g[0].reason).to.match(/not valid base64/);
    });
    it("skips only the inputs unknown at preview and checks every known one", async () => {
        const i: any = inputs();
        i.connection.address = UNKNOWN;
        i.kubernetesVersion = "junk";
        expect(((await provider.check({}, i)).failures ?? []).map((f) => f.property)).to.deep.equal([
            "kubernetesVersion",
        ]);
    });
    it("at preview, unknown fields are skipped, known fields beside them are checked", async () => {
        const cases: { name: string; patch: (a: any) => void; properties: string[] }[] = [
            {
                name: "unknown version, bad containerd version",
                patch: (a) => ((a.kubernetesVersion = UNKNOWN), (a.containerd.version = "v1")),
                properties: ["containerd.version"],
            },
            {
                name: "unknown mirror URL, bad reusePolicy",
                patch: (a) => ((a.containerd.registryMirrors["docker.io"] = [UNKNOWN]), (a.reusePolicy = "keep")),
                properties: ["reusePolicy"],
            },
            {
                name: "unknown containerd and packageSource, bad port",
                patch: (a) => ((a.containerd = UNKNOWN), (a.packageSource = UNKNOWN), (a.connection.port = 0)),
                properties: ["connection.port"],
            },
            {
                name: "unknown private key, bad user",
                patch: (a) => ((a.connection.privateKey = UNKNOWN), (a.connection.user = "o p s")),
                properties: ["connection.user"],
            },
            {
                name: "unknown host key, bad port",
                patch: (a) => ((a.connection.hostKey = UNKNOWN), (a.connection.port = 70000)),
                properties: ["connection.port"],
            },
            {
                name: "unknown bundle path with a sha256",
                patch: (a) => (a.packageSource = { kind: "bundle", path: UNKNOWN, sha256: "a".repeat(64) }),
                properties: [],
            },
            {
                name: "unknown bundle URL, bad sha256",
                patch: (a) => (a.packageSource = { kind: "bundle", url: UNKNOWN, sha256: "x" }),
                properties: ["packageSource.sha256"],
            },
            {
                name: "everything unknown",
                patch: (a) => {
                    for (const k of Object.keys(a)) a[k] = UNKNOWN;
                },
                properties: [],
            },
        ];
        for (const c of cases) {
            const i: any = inputs();
            c.patch(i);
            const f = ((await provider.check({}, i)).failures ?? []).map((x) => x.property);
            expect(f, c.name).to.deep.equal(c.properties);
        }
    });

    function outs(i: any): any {
        // the outputs create() would store, without contacting a host
        const { pub, sec } = splitConnection(i.connection);
        const p = normalizePrep(i);
        return {
            connection: pub,
            kubernetesVersion: p.kubernetesVersion,
            containerd: {
                version: p.containerd.version,
                pauseImage: p.containerd.pauseImage,
                registryMirrors: p.containerd.registryMirrors,
            },
            packageSource: p.packageSource,
            reusePolicy: i.reusePolicy,
            secrets: { connection: sec, registryCredentials: p.containerd.registryCredentials },
            hostKey: ED,
        };
    }
    const diffs: { name: string; patch: (a: any) => void; changes: boolean; replaces: string[] }[] = [
        { name: "same", patch: () => undefined, changes: false, replaces: [] },
        {
            name: "mirror",
            patch: (a) => (a.containerd.registryMirrors["docker.io"] = ["https://x"]),
            changes: true,
            replaces: [],
        },
        { name: "reusePolicy", patch: (a) => (a.reusePolicy = "clean"), changes: true, replaces: [] },
        {
            name: "address",
            patch: (a) => (a.connection.address = "198.18.0.12"),
            changes: true,
            replaces: ["connection"],
        },
    ];
    for (const d of diffs) {
        it(`diff: ${d.name}`, async () => {
            const i = inputs();
            const n: any = JSON.parse(JSON.stringify(i));
            d.patch(n);
            const r = await provider.diff("id", outs(i), { ...n, __provider: "x" });
            expect(r.changes).to.equal(d.changes);
            expect(r.replaces).to.deep.equal(d.replaces);
            // A replacement may reach the same machine: the old preparation goes first.
            expect(r.deleteBeforeReplace).to.equal(true);
        });
    }

    it("update without a prepare-relevant change does not contact the host", async () => {
        const i = inputs();
        const o = {
            ...outs(i),
            os: "debian",
            osVersion: "12",
            arch: "amd64",
            preparedVersion: "v1.34.4",
            steps: {},
            warnings: [],
            changedSteps: ["sysctl"],
        };
        // 198.18.0.11 may not exist: a connection attempt would fail this test
        const r = await provider.update("id", o, { ...i, reusePolicy: "clean" });
        expect(r.outs.reusePolicy).to.equal("clean");
        expect(r.outs.changedSteps).to.deep.equal([]);
        expect(r.outs.hostKey).to.equal(ED);
    });
});
