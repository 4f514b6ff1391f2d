// PreparedHost through the real Pulumi engine (Automation API, inline program, local backend) on
// three real sshd hosts. Needs root and the Go-built CLI in bin/.
import { expect } from "chai";
import { labDir } from "../support/management";
import { labIp } from "../support/labNet";
import * as fs from "fs";
import * as path from "path";
import { PreparedHost } from "../../provider/hostprep/resource";
import { destroyAndDispose, changeCounts, newInlineStack, previewSteps, TestStack } from "../support/engine";
import { HostLab, makeBundle, TestHost } from "../support/hosts";
import { measure } from "../support/measure";

const IPS = [labIp(121), labIp(122), labIp(123)];
const NAMES = ["t-eng-1", "t-eng-2", "t-eng-3"];
const REGISTRY_PASSWORD = "engine-registry-pa55word";

interface HostSpec {
    mirror: string;
    reusePolicy: "retain" | "clean";
}

describe("PreparedHost through the Pulumi engine", function () {
    this.timeout(15 * 60 * 1000);
    const lab = new HostLab();
    const bundleDir = path.join(labDir, "bundles", `hostprep-engine-${process.pid}`);
    let hosts: TestHost[];
    let ts: TestStack;
    // What the program declares; tests change it between runs.
    const specs: Record<string, HostSpec> = {
        [NAMES[0]]: { mirror: "https://mirror-a.example", reusePolicy: "retain" },
        [NAMES[1]]: { mirror: "https://mirror-a.example", reusePolicy: "clean" },
        [NAMES[2]]: { mirror: "https://mirror-a.example", reusePolicy: "clean" },
    };

    const program = async () => {
        const out: Record<string, unknown> = {};
        hosts.forEach((h, i) => {
            const spec = specs[NAMES[i]];
            if (!spec) return;
            const r = new PreparedHost(NAMES[i], {
                connection: { address: h.address, user: h.user, privateKey: h.privateKey, hostKey: h.hostKey },
                kubernetesVersion: "v1.34.4",
                containerd: {
                    registryMirrors: { "docker.io": [spec.mirror] },
                    registryCredentials: { "registry.example.com": { username: "robot", password: REGISTRY_PASSWORD } },
                },
                packageSource: { kind: "bundle", path: bundleDir },
                reusePolicy: spec.reusePolicy,
            });
            out[NAMES[i]] = {
                changedSteps: r.changedSteps,
                os: r.os,
                preparedVersion: r.preparedVersion,
                hostKey: r.hostKey,
            };
        });
        return out;
    };

    const name = (urn: string) => urn.split("::").pop();

    before(async () => {
        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
        hosts = await Promise.all([
            lab.create(NAMES[0], IPS[0]),
            lab.create(NAMES[1], IPS[1], { user: "ops", sudo: true }),
            lab.create(NAMES[2], IPS[2]),
        ]);
        for (const n of NAMES) await lab.installStandIns(n);
        ts = await newInlineStack("hcp-hostprep", program);
    });
    after(async () => {
        await destroyAndDispose(ts);
        await lab.dispose();
        fs.rmSync(bundleDir, { recursive: true, force: true });
    });

    it("previews three creates", async () => {
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({ create: 4 }); // the stack and three hosts
        const hostSteps = p.steps.filter((s) => s.urn.includes("::pulumi-nodejs:dynamic/hcp:PreparedHost::"));
        expect(hostSteps.map((s) => `${s.op} ${name(s.urn)}`).sort()).to.deep.equal(NAMES.map((n) => `create ${n}`));
    });

    it("prepares three hosts on up", async () => {
        const t = Date.now();
        const up = await ts.stack.up();
        measure("pulumi up, three hosts", Date.now() - t);
        expect(up.summary.result).to.equal("succeeded");
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ create: 4 }); // the stack and three hosts
        for (const n of NAMES) {
            const o = up.outputs[n].value;
            expect(o.os).to.equal("debian");
            expect(o.preparedVersion).to.equal("v1.34.4");
            expect(o.changedSteps).to.include("containerd-config");
            expect(await lab.readFile(n, "/etc/containerd/certs.d/docker.io/hosts.toml")).to.include(
                "mirror-a.example",
            );
        }
    });

    it("keeps keys and registry credentials encrypted in state", async () => {
        // exportStack shows secrets decrypted, inside secret envelopes: none may appear outside one
        const SIG = "4dabf18193072939515e22adb298388d";
        const exposed: string[] = [];
        const walk = (x: unknown, p: string, inSecret: boolean): void => {
            if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${p}[${i}]`, inSecret));
            else if (x && typeof x === "object")
                for (const [k, v] of Object.entries(x)) walk(v, `${p}.${k}`, inSecret || SIG in x);
            else if (typeof x === "string" && (x.includes("PRIVATE KEY") || x.includes(REGISTRY_PASSWORD)) && !inSecret)
                exposed.push(p);
        };
        walk(await ts.stack.exportStack(), "", false);
        expect(exposed).to.deep.equal([]);
        // and the backend's files hold them only encrypted
        const files: string[] = [];
        const list = (d: string) =>
            fs
                .readdirSync(d, { withFileTypes: true })
                .forEach((e) => (e.isDirectory() ? list(path.join(d, e.name)) : files.push(path.join(d, e.name))));
        list(path.join(ts.stateDir, "backend"));
        const raw = files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
        expect(raw).to.include(labIp(121)); // the address is not secret
        expect(raw).to.not.include("PRIVATE KEY");
        expect(raw).to.not.include(REGISTRY_PASSWORD);
    });

    it("a second up changes nothing", async () => {
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({});
        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({});
    });

    it("a mirror change previews exactly the hosts it touches, and up re-runs only that step", async () => {
        specs[NAMES[0]].mirror = "https://mirror-b.example";
        specs[NAMES[2]].mirror = "https://mirror-b.example";
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({ update: 2 });
        expect(p.steps.map((s) => `${s.op} ${name(s.urn)}`).sort()).to.deep.equal([
            `update ${NAMES[0]}`,
            `update ${NAMES[2]}`,
        ]);
        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ update: 2 });
        expect(up.outputs[NAMES[0]].value.changedSteps).to.deep.equal(["registry-mirrors"]);
        expect(up.outputs[NAMES[2]].value.changedSteps).to.deep.equal(["registry-mirrors"]);
        expect(await lab.readFile(NAMES[1], "/etc/containerd/certs.d/docker.io/hosts.toml")).to.include(
            "mirror-a.example",
        );
        expect(await lab.readFile(NAMES[2], "/etc/containerd/certs.d/docker.io/hosts.toml")).to.include(
            "mirror-b.example",
        );
    });

    it("removing a host from the program previews its delete; up cleans it", async () => {
        delete specs[NAMES[1]];
        const p = await previewSteps(ts.stack);
        expect(p.steps.map((s) => `${s.op} ${name(s.urn)}`)).to.deep.equal([`delete ${NAMES[1]}`]);
        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ delete: 1 });
        expect(await lab.readFile(NAMES[1], "/etc/containerd/config.toml")).to.equal(undefined);
        expect(await lab.readFile(NAMES[1], "/usr/local/bin/kubelet")).to.equal(undefined);
    });

    it("destroy leaves each host as its reusePolicy says", async () => {
        const res = await ts.stack.destroy();
        expect(res.summary.result).to.equal("succeeded");
        expect(changeCounts(res.summary.resourceChanges as any)).to.deep.equal({ delete: 3 }); // two hosts and the stack
        // retain
        expect(await lab.readFile(NAMES[0], "/etc/containerd/config.toml")).to.include("SystemdCgroup = true");
        expect(await lab.readFile(NAMES[0], "/usr/local/bin/kubelet")).to.not.equal(undefined);
        // clean
        expect(await lab.readFile(NAMES[2], "/etc/containerd/config.toml")).to.equal(undefined);
        expect(await lab.readFile(NAMES[2], "/var/lib/hcp-hostprep/managed")).to.equal(undefined);
    });
});
