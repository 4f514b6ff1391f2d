// PreparedHost's provider against three real sshd hosts (lab/worker-hosts.sh), with stand-ins for
// systemctl and modprobe and a bundle of stand-in binaries. Needs root.
// Over 400 lines: one suite per behaviour of the provider on real hosts, sharing one set of hosts.
import { expect } from "chai";
import { bridgeIp, labIp } from "../support/labNet";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as provider from "../../provider/hostprep/provider";
import { HostLab, makeBundle, repoRoot, TestHost } from "../support/hosts";
import { rejection } from "../support/rejection";
import { measure } from "../support/measure";

const IPS = [labIp(111), labIp(112), labIp(113)];
const NAMES = ["t-prep-1", "t-prep-2", "t-prep-3"];

describe("PreparedHost provider on real hosts", function () {
    this.timeout(300000);
    const lab = new HostLab();
    const bundleDir = path.join(repoRoot, ".lab", "bundles", `hostprep-test-${process.pid}`);
    let hosts: TestHost[];
    let outs: any[] = [];
    let ids: string[] = [];

    const inputs = (i: number, patch: (a: any) => void = () => undefined): any => {
        const h = hosts[i];
        const a: any = {
            connection: { address: h.address, port: 22, user: h.user, privateKey: h.privateKey, hostKey: h.hostKey },
            kubernetesVersion: "v1.34.4",
            containerd: {
                version: "1.7.27",
                registryMirrors: {
                    "docker.io": ["https://mirror-a.example"],
                    "quay.io": ["https://quay-mirror.example"],
                },
            },
            packageSource: { kind: "bundle", path: bundleDir },
            reusePolicy: i === 0 ? "retain" : "clean",
        };
        patch(a);
        return a;
    };

    before(async () => {
        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
        hosts = await Promise.all([
            lab.create(NAMES[0], IPS[0]),
            lab.create(NAMES[1], IPS[1], { user: "ops", sudo: true }),
            lab.create(NAMES[2], IPS[2]),
        ]);
        await lab.addUser(NAMES[2], "nosudo", false);
        for (const n of NAMES) await lab.installStandIns(n);
        // host 2 has a swap line in fstab, to be commented out and restored on clean
        await lab.sh(NAMES[1], "echo '/swapfile none swap sw 0 0' >> /etc/fstab");
    });
    after(async () => {
        await lab.dispose();
        fs.rmSync(bundleDir, { recursive: true, force: true });
    });

    it("prepares three hosts in parallel (root, root, sudo user)", async () => {
        const t0 = Date.now();
        const results = await Promise.all(
            hosts.map(async (_h, i) => {
                const t = Date.now();
                const r = await provider.create(inputs(i));
                measure(`first preparation of ${NAMES[i]}${i === 1 ? " (via sudo)" : ""}`, Date.now() - t);
                return r;
            }),
        );
        measure("three hosts in parallel", Date.now() - t0);
        ids = results.map((r) => r.id!);
        outs = results.map((r) => r.outs);
        expect(ids).to.deep.equal(IPS.map((ip) => `${ip}:22`));
        for (const o of outs) {
            expect(o.os).to.equal("debian");
            expect(o.osVersion).to.equal("12");
            expect(o.arch).to.equal("amd64");
            expect(o.preparedVersion).to.equal("v1.34.4");
            expect(o.warnings).to.deep.equal([]);
            expect(o.changedSteps).to.include.members([
                "kernel-modules",
                "sysctl",
                "containerd-install",
                "kubernetes-packages",
                "containerd-config",
                "registry-mirrors",
                "containerd-service",
                "kubelet-service",
            ]);
        }
        expect(outs[1].changedSteps).to.include("swap");
        expect(outs[0].changedSteps).to.not.include("swap");
        expect(outs.map((o) => o.hostKey)).to.deep.equal(hosts.map((h) => h.hostKey));
    });

    it("left the host as kubeadm needs it", async () => {
        for (const n of NAMES) {
            const cfg = (await lab.readFile(n, "/etc/containerd/config.toml"))!;
            expect(cfg).to.include("SystemdCgroup = true");
            expect(cfg).to.include('sandbox_image = "registry.k8s.io/pause:3.10.1"');
            expect(cfg).to.include('config_path = "/etc/containerd/certs.d"');
            expect(await lab.readFile(n, "/etc/containerd/certs.d/docker.io/hosts.toml")).to.include(
                '[host."https://mirror-a.example"]',
            );
            expect(await lab.readFile(n, "/etc/modules-load.d/k8s.conf"))
                .to.match(/^overlay$/m)
                .and.match(/^br_netfilter$/m);
            expect(await lab.readFile(n, "/etc/sysctl.d/99-kubernetes.conf")).to.include("net.ipv4.ip_forward = 1");
            // sysctl is per network namespace: the host's value changed
            expect((await lab.exec(n, ["cat", "/proc/sys/net/ipv4/ip_forward"])).trim()).to.equal("1");
            expect((await lab.exec(n, ["/usr/local/bin/kubeadm", "version", "-o", "short"])).trim()).to.equal(
                "v1.34.4",
            );
            expect(
                (await lab.sh(n, "stat -c '%a' /etc/containerd/config.toml /usr/local/bin/kubelet")).split("\n"),
            ).to.deep.equal(["600", "755", ""]);
            const calls = await lab.standInCalls(n);
            expect(calls).to.include.members([
                "systemctl enable containerd",
                "systemctl restart containerd",
                "systemctl enable kubelet",
            ]);
            expect((await lab.exec(n, ["systemctl", "is-enabled", "kubelet"])).trim()).to.equal("enabled");
        }
        expect(await lab.readFile(NAMES[1], "/etc/fstab")).to.include("# hcp-disabled: /swapfile none swap sw 0 0");
        // the machine itself is untouched
        expect(fs.existsSync("/etc/containerd/certs.d/docker.io/hosts.toml")).to.equal(false);
        expect(fs.existsSync("/var/lib/hcp-hostprep")).to.equal(false);
    });

    it("a second run changes nothing", async () => {
        const t0 = Date.now();
        const again = await Promise.all(hosts.map((_h, i) => provider.create(inputs(i))));
        measure("second (no-op) run, three hosts in parallel", Date.now() - t0);
        for (const r of again) {
            expect(r.outs.changedSteps).to.deep.equal([]);
            expect(Object.values(r.outs.steps).every((s) => s === "unchanged")).to.equal(true);
        }
        // Each create claims the host with a new owner record: these states are the hosts' owners now.
        outs = again.map((r) => r.outs);
    });

    it("changing one registry mirror re-runs only that step", async () => {
        const news = hosts.map((_h, i) =>
            inputs(
                i,
                (a) =>
                    (a.containerd.registryMirrors["docker.io"] = [
                        "https://mirror-b.example",
                        "https://mirror-c.example",
                    ]),
            ),
        );
        for (let i = 0; i < 3; i++) {
            const d = await provider.diff(ids[i], outs[i], news[i]);
            expect(d).to.deep.equal({ changes: true, replaces: [], deleteBeforeReplace: true });
            expect(provider.changesOf(outs[i], news[i])).to.deep.equal([
                { path: 'containerd.registryMirrors["docker.io"]', kind: "prepare" },
            ]);
        }
        const before = await Promise.all(NAMES.map((n) => lab.standInCalls(n)));
        const ups = await Promise.all(hosts.map((_h, i) => provider.update(ids[i], outs[i], news[i])));
        for (let i = 0; i < 3; i++) {
            expect(ups[i].outs!.changedSteps).to.deep.equal(["registry-mirrors"]);
            const toml = (await lab.readFile(NAMES[i], "/etc/containerd/certs.d/docker.io/hosts.toml"))!;
            expect(toml)
                .to.include('[host."https://mirror-b.example"]')
                .and.include('[host."https://mirror-c.example"]')
                .and.not.include("mirror-a");
            // no restart: containerd reads hosts.toml per pull
            const calls = (await lab.standInCalls(NAMES[i])).slice(before[i].length);
            expect(calls.filter((c) => / (restart|enable) /.test(c))).to.deep.equal([]);
        }
        outs = ups.map((u) => u.outs);
    });

    it("removing a registry removes its hosts.toml", async () => {
        const n = inputs(0, (a) => {
            a.containerd.registryMirrors = { "docker.io": ["https://mirror-b.example", "https://mirror-c.example"] };
        });
        const r = await provider.update(ids[0], outs[0], n);
        expect(r.outs!.changedSteps).to.deep.equal(["registry-mirrors"]);
        expect(await lab.readFile(NAMES[0], "/etc/containerd/certs.d/quay.io/hosts.toml")).to.equal(undefined);
        expect((await lab.sh(NAMES[0], "ls /etc/containerd/certs.d")).trim()).to.equal("docker.io");
        outs[0] = r.outs;
    });

    it("registry credentials: written 0600, containerd restarted, kept out of plain outputs", async () => {
        const password = "reg-pa$$word-'\"-xyz";
        const n = inputs(2, (a) => {
            a.containerd.registryMirrors["docker.io"] = ["https://mirror-b.example", "https://mirror-c.example"];
            a.containerd.registryCredentials = { "registry.example.com": { username: "robot", password } };
        });
        const r = await provider.update(ids[2], outs[2], n);
        expect(r.outs!.changedSteps).to.deep.equal(["containerd-config", "containerd-service"]);
        const cfg = (await lab.readFile(NAMES[2], "/etc/containerd/config.toml"))!;
        expect(cfg).to.include(`password = ${JSON.stringify(password)}`);
        const { secrets, ...plain } = r.outs as any;
        expect(JSON.stringify(plain)).to.not.include(password);
        expect(JSON.stringify(plain)).to.not.include("PRIVATE KEY");
        expect(secrets.registryCredentials["registry.example.com"].password).to.equal(password);
        outs[2] = r.outs;
    });

    it("reusePolicy change does not touch the host", async () => {
        const before = await lab.standInCalls(NAMES[0]);
        const n = inputs(0, (a) => {
            a.containerd.registryMirrors = { "docker.io": ["https://mirror-b.example", "https://mirror-c.example"] };
            a.reusePolicy = "clean";
        });
        expect(provider.changesOf(outs[0], n)).to.deep.equal([{ path: "reusePolicy", kind: "state" }]);
        const r = await provider.update(ids[0], outs[0], n);
        expect(r.outs!.reusePolicy).to.equal("clean");
        expect(await lab.standInCalls(NAMES[0])).to.deep.equal(before);
        // and back
        const back = await provider.update(ids[0], r.outs, { ...n, reusePolicy: "retain" });
        outs[0] = back.outs;
    });

    it("a user without passwordless sudo gets a clear error", async () => {
        const e = await rejection(provider.create(inputs(2, (a) => (a.connection.user = "nosudo"))));
        expect(e.message).to.match(/^user nosudo cannot run sudo without a password on 198\.18\.\d\.113: /);
    });

    describe("operating systems", () => {
        let original: string;
        before(async () => {
            original = (await lab.readFile(NAMES[2], "/etc/os-release"))!;
        });
        /** Gives the third host another /etc/os-release (afterEach puts its own back). */
        const setOsRelease = (content: string) => lab.writeFile(NAMES[2], "/etc/os-release", content);
        afterEach(() => setOsRelease(original));

        it("refuses an unsupported OS, naming the ID found and the supported ones", async () => {
            await setOsRelease('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\n');
            const e = await rejection(provider.create(inputs(2)));
            expect(e.message).to.match(
                /^preparing 198\.18\.\d\.113:22: os: unsupported operating system ID="alpine" in \/etc\/os-release; supported: debian, ubuntu/,
            );
            expect(e.message).to.not.include("PRIVATE KEY");
            // the host's /etc/os-release is its own: the machine's stays Debian
            expect(fs.readFileSync("/etc/os-release", "utf8")).to.match(/^ID=debian$/m);
        });

        it("accepts ubuntu and reports it", async () => {
            await setOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n');
            const r = await provider.create(inputs(2));
            expect([r.outs.os, r.outs.osVersion]).to.deep.equal(["ubuntu", "24.04"]);
        });

        it("accepts a rhel-like host with a bundle but not with apt", async () => {
            await setOsRelease('NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n');
            const r = await provider.create(inputs(2));
            expect(r.outs.os).to.equal("rocky");
            const e = await rejection(provider.create(inputs(2, (a) => (a.packageSource = { kind: "apt" }))));
            expect(e.message).to.include(
                'os: packageSource.kind "apt" needs debian or ubuntu, but this host is ID="rocky"',
            );
        });
    });

    it("without br_netfilter: bridge sysctls skipped and reported, the rest applied", async () => {
        await provider.create(inputs(2)); // settle the host at these inputs first
        // hide the bridge sysctls inside this host only (its own mount namespace)
        await lab.sh(
            NAMES[2],
            "mount -t tmpfs hcp-hide /proc/sys/net/bridge && echo 0 > /proc/sys/net/ipv4/ip_forward",
        );
        try {
            const r = await provider.create(inputs(2));
            outs[2] = r.outs; // this create owns the host now
            expect(r.outs.warnings).to.have.length(1);
            expect(r.outs.warnings[0]).to.match(
                /^kernel-modules: br_netfilter cannot be loaded \(modprobe: FATAL: Module br_netfilter not found/,
            );
            expect(r.outs.changedSteps).to.deep.equal(["sysctl"]);
            expect((await lab.exec(NAMES[2], ["cat", "/proc/sys/net/ipv4/ip_forward"])).trim()).to.equal("1");
            expect(await lab.standInCalls(NAMES[2])).to.include("modprobe br_netfilter");
        } finally {
            await lab.sh(NAMES[2], "umount /proc/sys/net/bridge");
        }
    });

    it("a connection dropped mid-preparation: the re-run converges", async () => {
        // start from a clean host, then cut every session while the script is inside systemctl
        const cleaned = await provider.clean(outs[2]);
        expect(cleaned, "clean ran (the state owns the host)").to.have.property("done", true);
        expect(await lab.readFile(NAMES[2], "/var/lib/hcp-hostprep/managed")).to.equal(undefined);
        await lab.pauseAt(NAMES[2], "systemctl");
        const run = rejection(provider.create(inputs(2)));
        await lab.waitPaused(NAMES[2]);
        await lab.dropSessions(NAMES[2]);
        const e = await run;
        expect(e.message).to.match(/was lost while running bash -s/);
        await lab.resume(NAMES[2]);
        const partial = (await lab.sh(NAMES[2], "cat /var/lib/hcp-hostprep/managed")).split("\n").filter(Boolean);
        expect(partial).to.include("/etc/containerd/config.toml");
        const t = Date.now();
        const r = await provider.create(inputs(2));
        measure("re-run after a dropped connection", Date.now() - t);
        expect(r.outs.changedSteps).to.include("containerd-service");
        expect(r.outs.changedSteps).to.not.include("containerd-config"); // written before the cut
        expect((await lab.exec(NAMES[2], ["systemctl", "is-active", "containerd"])).trim()).to.equal("active");
        const third = await provider.create(inputs(2));
        expect(third.outs.changedSteps).to.deep.equal([]);
        expect(
            (await lab.sh(NAMES[2], "find /etc /usr/local/bin -name '*.hcp-*' 2>/dev/null | wc -l")).trim(),
        ).to.equal("0");
        outs[2] = third.outs; // the last create owns the host
    });

    it("installs from a bundle tarball served over HTTP, checking its sha256", async () => {
        const tarball = path.join(lab.keys.dir, "bundle.tgz");
        execFileSync("tar", ["-czf", tarball, "-C", path.dirname(bundleDir), path.basename(bundleDir)]);
        const sha256 = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
        const server = http.createServer((req, res) => {
            if (req.url === "/bundle.tgz") fs.createReadStream(tarball).pipe(res);
            else res.writeHead(404).end();
        });
        await new Promise<void>((r) => server.listen(0, bridgeIp, () => r()));
        try {
            const port = (server.address() as any).port;
            const url = `http://${bridgeIp}:${port}/bundle.tgz`;
            const r = await provider.update(
                ids[0],
                outs[0],
                inputs(0, (a) => (a.packageSource = { kind: "bundle", url, sha256 })),
            );
            // same binaries, another source: nothing to change on the host
            expect(r.outs!.changedSteps).to.deep.equal(["registry-mirrors"]);
            const bad = await rejection(
                provider.create(inputs(0, (a) => (a.packageSource = { kind: "bundle", url, sha256: "0".repeat(64) }))),
            );
            // The URL is secret (it may carry credentials): the message names it, never shows it.
            expect(bad.message).to.include(
                `package-source: bundle packageSource.url has sha256 ${sha256}, packageSource.sha256 says ${"0".repeat(64)}`,
            );
            expect(bad.message).to.not.include(url).and.not.include(`${bridgeIp}:${port}`);
            const { secrets, ...plain } = r.outs as any;
            expect(JSON.stringify(plain)).to.not.include(url);
            expect(secrets.packageSourceUrl).to.equal(url);
            outs[0] = r.outs;
        } finally {
            server.close();
        }
    });

    it("a bundle with the wrong version is refused before installing", async () => {
        const other = path.join(repoRoot, ".lab", "bundles", `hostprep-test-${process.pid}-old`);
        makeBundle(other, { kubernetesVersion: "1.33.9", containerdVersion: "1.7.27" });
        try {
            const e = await rejection(
                provider.create(inputs(0, (a) => (a.packageSource = { kind: "bundle", path: other }))),
            );
            expect(e.message).to.include(
                "kubernetes-packages: the bundle's kubeadm reports version 1.33.9 but 1.34.4 is wanted",
            );
            expect((await lab.exec(NAMES[0], ["/usr/local/bin/kubeadm", "version", "-o", "short"])).trim()).to.equal(
                "v1.34.4",
            );
        } finally {
            fs.rmSync(other, { recursive: true, force: true });
        }
    });

    it("trust on first use records the key and pins it afterwards", async () => {
        const i = inputs(0, (a) => {
            delete a.connection.hostKey;
            a.connection.trustOnFirstUse = true;
        });
        const r = await provider.create(i);
        expect(r.outs.hostKey).to.equal(hosts[0].hostKey);
        // The recorded key is pinned from then on: had the host presented another key at creation
        // (here: the recorded key is host 2's), an update that re-runs preparation is refused.
        const recordedOther = { ...r.outs, hostKey: hosts[1].hostKey };
        const n = inputs(0, (a) => {
            delete a.connection.hostKey;
            a.connection.trustOnFirstUse = true;
            a.containerd.registryMirrors["docker.io"] = ["https://mirror-z.example"];
        });
        const e = await rejection(provider.update(ids[0], recordedOther, n));
        expect(e.message).to.match(
            /^host key mismatch for 198\.18\.\d\.111:22: expected SHA256:\S+ \(ssh-ed25519\) from connection\.hostKey, but the host presented SHA256:\S+/,
        );
    });

    it("delete: retain leaves the host as it is, clean removes what preparation installed", async () => {
        const files = [
            "/etc/containerd/config.toml",
            "/etc/containerd/certs.d/docker.io/hosts.toml",
            "/usr/local/bin/kubelet",
            "/etc/sysctl.d/99-kubernetes.conf",
            "/etc/modules-load.d/k8s.conf",
            "/var/lib/hcp-hostprep/managed",
        ];
        await Promise.all(ids.map((id, i) => provider.delete(id, outs[i])));
        for (const f of files) expect(await lab.readFile(NAMES[0], f), `${NAMES[0]} ${f}`).to.not.equal(undefined);
        for (const n of NAMES.slice(1)) {
            for (const f of files) expect(await lab.readFile(n, f), `${n} ${f}`).to.equal(undefined);
            expect(
                (
                    await lab.sh(n, "ls -d /etc/containerd /etc/systemd/system/kubelet.service.d 2>/dev/null || true")
                ).trim(),
            ).to.equal("");
            expect((await lab.exec(n, ["sh", "-c", "systemctl is-enabled kubelet || true"])).trim()).to.equal(
                "disabled",
            );
        }
        expect(await lab.readFile(NAMES[1], "/etc/fstab"))
            .to.match(/^\/swapfile none swap sw 0 0$/m)
            .and.not.include("hcp-disabled");
        // delete is idempotent: a second clean finds nothing to do
        await provider.delete(ids[1], outs[1]);
    });

    describe("apt package source (stand-in apt tools, no network)", () => {
        const NAME = "t-prep-4";
        let h: TestHost;
        let out: any;
        const aptInputs = () => ({
            connection: { address: h.address, privateKey: h.privateKey, hostKey: h.hostKey },
            kubernetesVersion: "v1.34.4",
            containerd: { registryMirrors: { "docker.io": ["https://mirror-a.example"] } },
            packageSource: { kind: "apt" },
            reusePolicy: "clean",
        });
        before(async () => {
            h = await lab.create(NAME, labIp(114));
            await lab.installStandIns(NAME);
            await lab.installAptStandIns(NAME, bundleDir);
        });

        it("adds the repository, installs pinned versions and holds them", async () => {
            const r = await provider.create(aptInputs());
            out = r.outs;
            expect(r.outs.changedSteps).to.include.members([
                "package-source",
                "containerd-install",
                "kubernetes-packages",
            ]);
            expect(r.outs.preparedVersion).to.equal("v1.34.4");
            expect(await lab.readFile(NAME, "/etc/apt/sources.list.d/kubernetes.list")).to.equal(
                "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\n",
            );
            const calls = await lab.standInCalls(NAME);
            expect(calls).to.include(
                "curl -fsSL --retry 3 --connect-timeout 10 https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key",
            );
            expect(calls).to.include(
                "apt-get install -y -q --allow-downgrades --allow-change-held-packages containerd=1.7.27*",
            );
            for (const p of ["kubelet", "kubeadm", "kubectl"]) {
                expect(calls).to.include(
                    `apt-get install -y -q --allow-downgrades --allow-change-held-packages ${p}=1.34.4-*`,
                );
                expect(calls).to.include(`apt-mark hold ${p}`);
            }
            expect(calls).to.include("apt-mark hold containerd");
            expect(calls.filter((c) => c === "apt-get update -q")).to.have.length(1);
        });

        it("a second run installs nothing", async () => {
            const before = (await lab.standInCalls(NAME)).length;
            const r = await provider.create(aptInputs());
            out = r.outs; // this create owns the host now
            expect(r.outs.changedSteps).to.deep.equal([]);
            const calls = (await lab.standInCalls(NAME)).slice(before);
            expect(calls.filter((c) => /^apt-get (install|update)|^apt-mark hold|^curl/.test(c))).to.deep.equal([]);
        });

        it("re-holds a package someone unheld", async () => {
            await lab.exec(NAME, ["apt-mark", "unhold", "kubelet"]);
            const r = await provider.create(aptInputs());
            out = r.outs; // this create owns the host now
            expect(r.outs.changedSteps).to.deep.equal(["kubernetes-packages"]);
        });

        it("clean unholds and purges what it installed and removes the repository", async () => {
            await provider.delete(`${h.address}:22`, out);
            const calls = await lab.standInCalls(NAME);
            expect(calls).to.include("apt-get remove --purge -y -q containerd kubelet kubeadm kubectl");
            expect((await lab.exec(NAME, ["apt-mark", "showhold"])).trim()).to.equal("");
            expect(await lab.readFile(NAME, "/etc/apt/sources.list.d/kubernetes.list")).to.equal(undefined);
            expect(await lab.readFile(NAME, "/etc/apt/keyrings/kubernetes-apt-keyring.gpg")).to.equal(undefined);
            expect(await lab.readFile(NAME, "/usr/local/bin/kubeadm")).to.equal(undefined);
        });
    });

    it("clean on a host that is gone says how to get out", async () => {
        process.env.HCP_SSH_DIAL_ATTEMPTS = "1";
        try {
            const gone = { ...outs[2], connection: { ...outs[2].connection, address: labIp(251) } };
            const e = await rejection(provider.delete(`${labIp(251)}:22`, gone));
            expect(e.message).to.match(/^cannot reach root@198\.18\.\d\.251:22 after 1 attempt/);
            expect(e.message).to.include(
                'set reusePolicy: "retain" (an update that does not touch the host) and delete again',
            );
        } finally {
            delete process.env.HCP_SSH_DIAL_ATTEMPTS;
        }
    });
});
