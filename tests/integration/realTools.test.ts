// Real tools judge what the package generates: shellcheck reads every host script, a real
// containerd loads every config.toml, and the real kubeadm validates every JoinConfiguration.
import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    NormalizedPrep,
    normalizePrep,
    PrepArgs,
    renderCleanScript,
    renderContainerdConfig,
    renderPrepareScript,
} from "../../provider/hostprep/logic";
import { JoinSpec, renderJoinConfiguration } from "../../provider/kubeadm/joinConfiguration";
import { binDir } from "../support/engine";

/** A tool the suite needs; scripts/setup installs each of them. */
function tool(file: string): string {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/setup (npm test does this for you)`);
    return file;
}

const SHELLCHECK = "/usr/bin/shellcheck";
// Debian's containerd (1.6), unpacked by scripts/setup: it reads the version 2 config format.
const CONTAINERD = path.join(binDir, "debian", "containerd");

const mirrors = { "docker.io": ["https://mirror-a.example", "https://mirror-b.example"], "*": ["https://any.example"] };
const credentials = {
    "docker.io": { username: "robot", password: "pw-value" },
    "ghcr.io": { auth: "cm9ib3Q6cHc=" },
    "quay.io": { identityToken: "id-token-value" },
};
const preps: Record<string, PrepArgs> = {
    "bundle directory": { kubernetesVersion: "v1.34.4", packageSource: { kind: "bundle", path: "/opt/hcp-bundle" } },
    "bundle URL with sha256, mirrors and credentials": {
        kubernetesVersion: "v1.34.4",
        containerd: { registryMirrors: mirrors, registryCredentials: credentials },
        packageSource: { kind: "bundle", url: "https://packages.example/k8s.tgz", sha256: "0".repeat(64) },
    },
    "apt defaults": { kubernetesVersion: "v1.35.4", packageSource: { kind: "apt" } },
    "apt with a containerd repository and a pause image": {
        kubernetesVersion: "v1.30.14",
        containerd: { version: "1.7.27", pauseImage: "registry.example/pause:3.9", registryMirrors: mirrors },
        packageSource: {
            kind: "apt",
            containerdPackage: "containerd.io",
            containerdRepository: "https://download.example/linux/debian bookworm stable",
            containerdSigningKeyUrl: "https://download.example/linux/debian/gpg",
        },
    },
    "containerd 2.x": {
        kubernetesVersion: "v1.34.4",
        containerd: { version: "2.1.4", registryCredentials: credentials },
        packageSource: { kind: "bundle", path: "/opt/hcp-bundle" },
    },
};
const normalized: [string, NormalizedPrep][] = Object.entries(preps).map(([n, a]) => [n, normalizePrep(a)]);

describe("real tools: shellcheck reads every host script", () => {
    for (const [name, prep] of normalized) {
        for (const [kind, render] of [
            ["preparation", renderPrepareScript],
            ["clean-up", renderCleanScript],
        ] as const) {
            it(`${kind} script, ${name}`, () => {
                const r = spawnSync(tool(SHELLCHECK), ["--shell=bash", "--severity=warning", "--format=gcc", "-"], {
                    input: render(prep),
                    encoding: "utf8",
                });
                expect(r.stdout + r.stderr, "shellcheck findings").to.equal("");
                expect(r.status).to.equal(0);
            });
        }
    }

    it("shellcheck does find a fault of the kind it guards against", () => {
        const r = spawnSync(tool(SHELLCHECK), ["--shell=bash", "--severity=warning", "-"], {
            input: 'f=$1\nrm -rf "$F"/$f\n',
            encoding: "utf8",
        });
        expect(r.status).to.not.equal(0);
    });
});

describe("real tools: containerd loads every config.toml PreparedHost writes", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-containerd-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** `containerd config dump` of FILE: what containerd really read from it. */
    function dump(config: string): string {
        const file = path.join(dir, "config.toml");
        fs.writeFileSync(file, config, { mode: 0o600 });
        return execFileSync(tool(CONTAINERD), ["--config", file, "config", "dump"], { encoding: "utf8" });
    }

    for (const [name, prep] of normalized.filter(([, p]) => p.containerd.version.startsWith("1."))) {
        it(`${name}: systemd cgroups, the pause image, certs.d and credentials as containerd reads them`, () => {
            const d = dump(renderContainerdConfig(prep));
            expect(d).to.match(/^\s*SystemdCgroup = true$/m);
            expect(d).to.match(/^\s*default_runtime_name = "runc"$/m);
            expect(d).to.include(`sandbox_image = "${prep.containerd.pauseImage}"`);
            expect(d).to.include('config_path = "/etc/containerd/certs.d"');
            for (const c of Object.values(prep.containerd.registryCredentials) as any[]) {
                if (c.username) expect(d).to.include(`username = "${c.username}"`);
                if (c.auth) expect(d).to.include(`auth = "${c.auth}"`);
                if (c.identityToken) expect(d).to.include(`identitytoken = "${c.identityToken}"`);
            }
        });
    }

    it("containerd refuses a broken file (the check can fail)", () => {
        expect(() => dump('version = 2\n[plugins."io.containerd.grpc.v1.cri"\n')).to.throw(/failed to load TOML/);
    });
});

describe("real tools: kubeadm validates every JoinConfiguration", () => {
    const base: JoinSpec = {
        kubernetesVersion: "v1.34.4",
        apiEndpoint: "198.18.0.1:16600",
        token: "abcdef.0123456789abcdef",
        caCertHash: "sha256:" + "ab".repeat(32),
        nodeName: "worker-1",
    };
    const full: Partial<JoinSpec> = {
        labels: { "example.com/pool": "a", tier: "web" },
        taints: [
            { key: "dedicated", value: "gpu", effect: "NoSchedule" },
            { key: "example.com/draining", effect: "PreferNoSchedule" },
        ],
        kubeletExtraArgs: { "max-pods": "50", "node-ip": "198.18.0.11" },
        ignorePreflightErrors: ["Swap", "SystemVerification"],
        criSocket: "unix:///run/containerd/containerd.sock",
    };
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-kubeadm-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function validate(kubeadmVersion: string, config: string): ReturnType<typeof spawnSync> {
        const file = path.join(dir, "join.yaml");
        fs.writeFileSync(file, config, { mode: 0o600 });
        const kubeadm = tool(path.join(binDir, "kubernetes", kubeadmVersion, "kubeadm"));
        return spawnSync(kubeadm, ["config", "validate", "--config", file], { encoding: "utf8" });
    }

    // v1beta4 (Kubernetes >= 1.31) by the kubeadm of each version the toolchain built; v1beta3 (below
    // 1.31) by the oldest built kubeadm, which still reads v1beta3.
    const cases: [string, string, JoinSpec][] = [
        ["v1.34.4", "v1beta4, minimal", base],
        ["v1.34.4", "v1beta4, labels, taints, extra args", { ...base, ...full }],
        [
            "v1.35.4",
            "v1beta4 for v1.35, labels, taints, extra args",
            { ...base, ...full, kubernetesVersion: "v1.35.4" },
        ],
        ["v1.34.4", "v1beta3, minimal", { ...base, kubernetesVersion: "v1.30.14" }],
        ["v1.34.4", "v1beta3, labels, taints, extra args", { ...base, ...full, kubernetesVersion: "v1.30.14" }],
    ];
    for (const [kubeadmVersion, name, spec] of cases) {
        it(`kubeadm ${kubeadmVersion} accepts ${name}`, () => {
            const r = validate(kubeadmVersion, renderJoinConfiguration(spec));
            expect(r.status, String(r.stderr)).to.equal(0);
        });
    }

    it("kubeadm refuses a JoinConfiguration with a malformed token (the check can fail)", () => {
        const r = validate("v1.34.4", renderJoinConfiguration({ ...base, token: "not-a-token" }));
        expect(r.status).to.not.equal(0);
        expect(String(r.stderr)).to.match(/token/i);
    });
});
