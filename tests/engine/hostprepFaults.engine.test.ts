// PreparedHost faults through the real engine: one `up` with a good host, a host presenting another
// key than the pinned one, a host refusing the private key, and an address nothing answers on.
// Each fault is reported with its cause, the faulty hosts are left untouched, and the good host is
// still prepared.
import { expect } from "chai";
import { labDir } from "../support/management";
import { labIp } from "../support/labNet";
import * as fs from "fs";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { PreparedHost } from "../../provider/hostprep/resource";
import { destroyAndDispose, newInlineStack, TestStack } from "../support/engine";
import { HostLab, makeBundle, TestHost } from "../support/hosts";

const GOOD = { name: "t-flt-1", ip: labIp(141) };
const WRONG_KEY = { name: "t-flt-2", ip: labIp(142) };
const WRONG_AUTH = { name: "t-flt-3", ip: labIp(143) };
const NOBODY = labIp(144); // no host has this address

describe("PreparedHost faults through the Pulumi engine", function () {
    this.timeout(10 * 60 * 1000);
    const lab = new HostLab();
    const bundleDir = path.join(labDir, "bundles", `hostprep-faults-${process.pid}`);
    let good: TestHost;
    let wrongKey: TestHost;
    let wrongAuth: TestHost;
    let ts: TestStack;

    const prepared = (name: string, connection: any) =>
        new PreparedHost(name, {
            connection,
            kubernetesVersion: "v1.34.4",
            packageSource: { kind: "bundle", path: bundleDir },
            reusePolicy: "clean",
        });
    const program = async () => {
        const conn = (h: TestHost) => ({ address: h.address, privateKey: h.privateKey, hostKey: h.hostKey });
        prepared("good", conn(good));
        prepared("wrong-host-key", { ...conn(wrongKey), hostKey: good.hostKey });
        prepared("wrong-private-key", { ...conn(wrongAuth), privateKey: lab.keys.strangerKey });
        prepared("unreachable", { ...conn(good), address: NOBODY });
    };

    before(async () => {
        makeBundle(bundleDir, { kubernetesVersion: "1.34.4", containerdVersion: "1.7.27" });
        [good, wrongKey, wrongAuth] = await Promise.all(
            [GOOD, WRONG_KEY, WRONG_AUTH].map((h) => lab.create(h.name, h.ip)),
        );
        for (const h of [good, wrongKey, wrongAuth]) await lab.installStandIns(h.name);
        ts = await newInlineStack("hcp-hostprep-faults", program);
    });
    after(async () => {
        await destroyAndDispose(ts);
        await lab.dispose();
        fs.rmSync(bundleDir, { recursive: true, force: true });
    });

    const errors: string[] = [];
    it("up fails, naming each fault with its cause", async () => {
        const onEvent = (e: automation.EngineEvent) => {
            const d = e.diagnosticEvent;
            if (d?.severity === "error" && d.urn) errors.push(`${d.urn.split("::").pop()}: ${d.message}`);
        };
        const failure = await ts.stack.up({ onEvent }).then(
            () => "",
            (e: Error) => e.message,
        );
        expect(failure, "up fails").to.not.equal("");
        const of = (name: string) => errors.filter((e) => e.startsWith(`${name}: `)).join("\n");
        expect(of("wrong-host-key")).to.match(
            /host key mismatch for 198\.18\.\d\.142:22: expected SHA256:\S+ \(ssh-ed25519\) from connection\.hostKey, but the host presented SHA256:\S+/,
        );
        expect(of("wrong-private-key")).to.match(
            /authentication as root on 198\.18\.\d\.143:22 failed \(tried: publickey\)/,
        );
        expect(of("unreachable")).to.match(/cannot reach root@198\.18\.\d\.144:22 after \d+ attempt/);
        expect(of("good")).to.equal("");
        // The private key in use never shows in what the engine reported.
        expect(errors.join("\n")).to.not.include("PRIVATE KEY");
    });

    it("the good host is prepared and recorded; the faulty hosts are untouched and not in state", async () => {
        expect(await lab.readFile(good.name, "/etc/containerd/config.toml")).to.include("SystemdCgroup = true");
        for (const h of [wrongKey, wrongAuth]) {
            expect(await lab.readFile(h.name, "/var/lib/hcp-hostprep/managed"), h.name).to.equal(undefined);
            expect(await lab.readFile(h.name, "/etc/containerd/config.toml"), h.name).to.equal(undefined);
        }
        const names = ((await ts.stack.exportStack()).deployment.resources ?? [])
            .filter((r: any) => r.type === "pulumi-nodejs:dynamic/hcp:PreparedHost")
            .map((r: any) => r.urn.split("::").pop());
        expect(names).to.deep.equal(["good"]);
    });
});
