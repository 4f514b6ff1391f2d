// PreparedHost's clean (reusePolicy "clean") over real SSH removes only what its record on the host
// says the preparation installed: without a record it leaves the host as it is and says so, and a
// package that was installed (at another version) before the preparation stays installed.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as provider from "../../provider/hostprep/provider";
import { NO_RECORD } from "../../provider/hostprep/logic";
import { HostLab, makeBundle, TestHost } from "../support/hosts";
import { labIp } from "../support/labNet";
import { labDir } from "../support/management";

/** Configuration someone else put on the host, at the paths the preparation writes. */
const THEIRS: Record<string, string> = {
    "/etc/containerd/config.toml": "# their containerd configuration\nversion = 2\n",
    "/etc/sysctl.d/99-kubernetes.conf": "net.ipv4.ip_forward = 1\n",
    "/etc/modules-load.d/k8s.conf": "overlay\n",
    "/etc/crictl.yaml": "runtime-endpoint: unix:///run/their.sock\n",
};

describe("PreparedHost clean removes only what its record says it installed", function () {
    this.timeout(5 * 60 * 1000);
    const lab = new HostLab();
    const poolDir = path.join(labDir, "bundles", `clean-only-own-${process.pid}`);
    let bare: TestHost;
    let apt: TestHost;

    before(async () => {
        makeBundle(poolDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
        [bare, apt] = await Promise.all([lab.create("t-clean-1", labIp(156)), lab.create("t-clean-2", labIp(157))]);
        for (const h of [bare, apt]) await lab.installStandIns(h.name);
        await lab.installAptStandIns(apt.name, poolDir);
    });
    after(async () => {
        await lab.dispose();
        fs.rmSync(poolDir, { recursive: true, force: true });
    });

    it("without a record, removes nothing and says the record is missing", async () => {
        for (const [f, c] of Object.entries(THEIRS)) await lab.writeFile(bare.name, f, c);
        // What a PreparedHost's state would hold for this host, its record on the host gone.
        const outs: any = {
            connection: {
                address: bare.address,
                port: 22,
                user: "root",
                hostKey: bare.hostKey,
                trustOnFirstUse: false,
            },
            kubernetesVersion: "1.34.4",
            containerd: { version: "1.7.27", pauseImage: "registry.k8s.io/pause:3.10.1", registryMirrors: {} },
            packageSource: { kind: "bundle", path: poolDir },
            reusePolicy: "clean",
            secrets: { connection: { privateKey: bare.privateKey }, registryCredentials: {} },
            hostKey: bare.hostKey,
        };
        const report = await provider.clean(outs);
        expect(report!.warnings).to.deep.equal([`files: ${NO_RECORD}`]);
        expect(report!.steps).to.deep.equal({ files: "unchanged" });
        for (const [f, c] of Object.entries(THEIRS)) expect(await lab.readFile(bare.name, f), f).to.equal(c);
        // delete (which runs the clean) leaves it alone too, and succeeds: it may run twice.
        await provider.delete(`${bare.address}:22`, outs);
        for (const [f, c] of Object.entries(THEIRS)) expect(await lab.readFile(bare.name, f), f).to.equal(c);
    });

    it("leaves installed a containerd that was there (at another version) before the preparation", async () => {
        // containerd 1.6.20 installed from apt before we came.
        await lab.sh(apt.name, "echo 1.6.20-1 > /var/lib/hcp-standins/dpkg/containerd.version");
        const created = await provider.create({
            connection: { address: apt.address, privateKey: apt.privateKey, hostKey: apt.hostKey },
            kubernetesVersion: "v1.34.4",
            packageSource: { kind: "apt" },
            reusePolicy: "clean",
        });
        expect(created.outs.changedSteps).to.include("containerd-install");
        const report = await provider.clean(created.outs);
        const calls = await lab.standInCalls(apt.name);
        expect(calls).to.include("apt-get remove --purge -y -q kubelet kubeadm kubectl");
        expect(calls.filter((c) => c.startsWith("apt-get remove") && c.includes("containerd"))).to.deep.equal([]);
        expect(await lab.readFile(apt.name, "/var/lib/hcp-standins/dpkg/containerd.version")).to.not.equal(undefined);
        expect(report!.warnings).to.include(
            "packages: containerd was installed (version 1.6.20-1) before the preparation changed its version: left installed",
        );
    });
});
