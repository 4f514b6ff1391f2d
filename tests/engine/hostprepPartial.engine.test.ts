// A preparation that fails half-way through the real engine is recorded in state (the engine's
// partial-failure state), so a destroy cleans what it had already written, and the next up
// prepares the host again once the cause is fixed.
import { expect } from "chai";
import { labDir } from "../support/management";
import { labIp } from "../support/labNet";
import * as fs from "fs";
import * as path from "path";
import { PreparedHost } from "../../provider/hostprep/resource";
import { destroyAndDispose, newInlineStack, TestStack } from "../support/engine";
import { HostLab, makeBundle, TestHost } from "../support/hosts";

const HOST = { name: "t-part-1", ip: labIp(151) };
const SYSCTL_FILE = "/etc/sysctl.d/99-kubernetes.conf";

describe("PreparedHost partial failure through the Pulumi engine", function () {
    this.timeout(10 * 60 * 1000);
    const lab = new HostLab();
    const bundleDir = path.join(labDir, "bundles", `hostprep-partial-${process.pid}`);
    let host: TestHost;
    let ts: TestStack;

    before(async () => {
        host = await lab.create(HOST.name, HOST.ip);
        await lab.installStandIns(host.name);
        ts = await newInlineStack("hcp-hostprep-partial", async () => {
            new PreparedHost("half", {
                connection: { address: host.address, privateKey: host.privateKey, hostKey: host.hostKey },
                kubernetesVersion: "v1.34.4",
                packageSource: { kind: "bundle", path: bundleDir },
                reusePolicy: "clean",
            });
        });
    });
    after(async () => {
        await destroyAndDispose(ts);
        await lab.dispose();
        fs.rmSync(bundleDir, { recursive: true, force: true });
    });

    it("a preparation that fails after changing the host is in state, and the next up prepares it", async () => {
        // The bundle's containerd is not the version asked for: the check comes after the swap,
        // module and sysctl steps have changed the host.
        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.1" });
        const failed = await ts.stack.up().then(
            () => "",
            (e: Error) => e.message,
        );
        expect(failed).to.match(/containerd/);
        expect(await lab.readFile(host.name, SYSCTL_FILE), "the sysctl step ran").to.not.equal(undefined);
        const preps = ((await ts.stack.exportStack()).deployment.resources ?? []).filter(
            (r: any) => r.type === "pulumi-nodejs:dynamic/hcp:PreparedHost",
        );
        expect(preps, "the failed preparation is recorded").to.have.length(1);
        expect(preps[0].outputs.incomplete).to.equal(true);
        expect(preps[0].outputs.reusePolicy).to.equal("clean");

        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
        const up = await ts.stack.up();
        expect(up.summary.result).to.equal("succeeded");
        expect(up.summary.resourceChanges?.update, "the next up prepares the recorded host").to.equal(1);
        expect(await lab.readFile(host.name, "/etc/containerd/config.toml")).to.include("SystemdCgroup");
    });

    it("a destroy after a failed preparation cleans what it wrote", async () => {
        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.1" });
        // A fresh failed preparation: the resource replaced by hand is out of scope, so destroy
        // first, then fail again and destroy.
        await ts.stack.destroy();
        expect(await lab.readFile(host.name, SYSCTL_FILE)).to.equal(undefined);
        await ts.stack.up().catch(() => undefined);
        expect(await lab.readFile(host.name, SYSCTL_FILE)).to.not.equal(undefined);
        await ts.stack.destroy();
        expect(await lab.readFile(host.name, SYSCTL_FILE), "the clean removed the sysctl file").to.equal(undefined);
        expect(await lab.readFile(host.name, "/var/lib/hcp-owner/prepared-host.json")).to.equal(undefined);
    });
});
