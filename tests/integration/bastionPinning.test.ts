// A bastion is a host like the target: over real SSH, with trust on first use, PreparedHost and
// NodeJoin record the key the bastion presented and pin it from then on, so a bastion that later
// presents another key is refused; without trust on first use, check asks for bastion.hostKey.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as hostprep from "../../provider/hostprep/provider";
import * as nodejoin from "../../provider/kubeadm/provider";
import { HostLab, makeBundle, TestHost } from "../support/hosts";
import { labIp } from "../support/labNet";
import { labDir } from "../support/management";
import { rejection } from "../support/rejection";

describe("bastion host keys are pinned like the target's", function () {
    this.timeout(5 * 60 * 1000);
    const lab = new HostLab();
    const bundleDir = path.join(labDir, "bundles", `bastion-pinning-${process.pid}`);
    let bastion: TestHost;
    let target: TestHost;

    /** The target behind the bastion, both trusted on first use. */
    const connection = () => ({
        address: target.address,
        privateKey: target.privateKey,
        trustOnFirstUse: true,
        bastion: { address: bastion.address, privateKey: bastion.privateKey, trustOnFirstUse: true },
    });

    before(async () => {
        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
        [bastion, target] = await Promise.all([
            lab.create("t-bastion-1", labIp(161)),
            lab.create("t-bastion-2", labIp(162)),
        ]);
        await lab.installStandIns(target.name);
    });
    after(async () => {
        await lab.dispose();
        fs.rmSync(bundleDir, { recursive: true, force: true });
    });

    it("check asks for bastion.hostKey unless the bastion is trusted on first use", async () => {
        const news = {
            connection: { ...connection(), bastion: { address: bastion.address, privateKey: bastion.privateKey } },
            kubernetesVersion: "v1.34.4",
            packageSource: { kind: "bundle", path: bundleDir },
        };
        const prep = await hostprep.check({}, news);
        expect(prep.failures?.map((f) => f.property)).to.deep.equal(["connection.bastion.hostKey"]);
        expect(prep.failures?.[0].reason).to.match(/^required unless trustOnFirstUse is true: /);
        const join = await nodejoin.check({}, { ...news, nodeName: "n1", apiEndpoint: "192.0.2.1:6443" });
        expect(join.failures?.map((f) => f.property)).to.include("connection.bastion.hostKey");
    });

    it("PreparedHost records the bastion's key on first use and refuses another one afterwards", async () => {
        const created = await hostprep.create({
            connection: connection(),
            kubernetesVersion: "v1.34.4",
            packageSource: { kind: "bundle", path: bundleDir },
            reusePolicy: "clean",
        });
        expect(created.outs.hostKey).to.equal(target.hostKey);
        expect(created.outs.bastionHostKey).to.equal(bastion.hostKey);
        const other = await lab.replaceHostKey(bastion.name);
        try {
            expect(other).to.not.equal(bastion.hostKey);
            const e = await rejection(hostprep.clean(created.outs));
            expect(e.message).to.match(
                new RegExp(`^host key mismatch for ${bastion.address.replace(/\./g, "\\.")}:22: expected SHA256:`),
            );
            // The target was not touched: its record is still there.
            expect(await lab.readFile(target.name, "/var/lib/hcp-hostprep/managed")).to.not.equal(undefined);
        } finally {
            await lab.restoreHostKey(bastion.name);
        }
        await hostprep.clean(created.outs);
    });
});
