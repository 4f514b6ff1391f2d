// The foundation's smoke test: the real engine (Go-built CLI), a dynamic resource and a
// @pulumi/kubernetes object on the lab's real management cluster, through the whole lifecycle.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { newInlineStack, previewSteps, rawState, Step, TestStack, upSteps } from "../support/engine";
import { ensureManagementCluster, managementClient } from "../support/management";
import { Record } from "../support/fixtures/record";

describe("engine smoke: dynamic resource + ConfigMap on the management cluster", function () {
    this.timeout(10 * 60 * 1000);
    let ts: TestStack;
    const recordDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-smoke-"));
    const cmName = `hcp-smoke-${process.pid}`;
    const cmPath = `/api/v1/namespaces/default/configmaps/${cmName}`;
    const recordFile = path.join(recordDir, "greeting.json");
    const opNames = (steps: Step[]) => steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    /** The preview, then the up, each with one update: of the resource `name`, nothing else. */
    const previewAndApplyOneUpdate = async (name: string) => {
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({ update: 1 });
        expect(opNames(p.steps)).to.deep.equal([`update ${name}`]);
        const up = await upSteps(ts.stack);
        expect(up.counts).to.deep.equal({ update: 1 });
        expect(opNames(up.steps)).to.deep.equal([`update ${name}`]);
    };

    const program = async () => {
        const cfg = new pulumi.Config();
        const provider = new k8s.Provider("mgmt", { kubeconfig: cfg.requireSecret("kubeconfig") });
        // Each value feeds one resource, so a change shows which resource it reaches.
        const record = new Record("greeting", { dir: recordDir, name: "greeting", value: cfg.require("greeting") });
        const cm = new k8s.core.v1.ConfigMap(
            "smoke",
            // The note sits in an annotation: pulumi-kubernetes replaces ConfigMaps whose data changes.
            {
                metadata: { name: cmName, namespace: "default", annotations: { note: cfg.require("note") } },
                data: { purpose: "smoke" },
            },
            { provider },
        );
        return { file: record.file, configMap: cm.metadata.name };
    };

    before(async () => {
        const kubeconfig = ensureManagementCluster();
        ts = await newInlineStack("hcp-smoke", program, {
            kubeconfig: { value: kubeconfig, secret: true },
            greeting: { value: "hello" },
            note: { value: "first" },
        });
    });

    after(async () => {
        if (ts) await ts.dispose();
        fs.rmSync(recordDir, { recursive: true, force: true });
    });

    it("previews two creates", async () => {
        const p = await previewSteps(ts.stack);
        const creates = p.steps.filter((s) => s.op === "create");
        expect(creates.map((s) => s.urn.split("::").pop()).sort()).to.deep.equal(["greeting", "smoke"]);
    });

    it("creates both on up", async () => {
        const up = await ts.stack.up();
        expect(up.summary.result).to.equal("succeeded");
        const cm = await managementClient().get(cmPath);
        expect(cm.metadata.annotations.note).to.equal("first");
        expect(up.outputs.file.value).to.equal(recordFile);
        expect(JSON.parse(fs.readFileSync(recordFile, "utf8"))).to.deep.equal({ value: "hello" });
    });

    it("keeps the kubeconfig secret in state", async () => {
        const state = rawState(ts, "hcp-smoke");
        expect(state).to.include("ciphertext");
        expect(state).not.to.include("client-key-data");
        expect(state).not.to.include("PRIVATE KEY");
    });

    it("previews no changes right after up", async () => {
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({});
    });

    it("a changed ConfigMap input previews and applies one update, on the ConfigMap only", async () => {
        const recordWritten = fs.statSync(recordFile).mtimeMs;
        await ts.stack.setConfig("note", { value: "second" });
        await previewAndApplyOneUpdate("smoke");
        expect((await managementClient().get(cmPath)).metadata.annotations.note).to.equal("second");
        // The Record's file was not rewritten.
        expect(fs.statSync(recordFile).mtimeMs).to.equal(recordWritten);
        expect(JSON.parse(fs.readFileSync(recordFile, "utf8"))).to.deep.equal({ value: "hello" });
    });

    it("a changed Record input previews and applies one update, on the Record only", async () => {
        const cmBefore = await managementClient().get(cmPath);
        await ts.stack.setConfig("greeting", { value: "bonjour" });
        await previewAndApplyOneUpdate("greeting");
        expect(JSON.parse(fs.readFileSync(recordFile, "utf8"))).to.deep.equal({ value: "bonjour" });
        // The ConfigMap was not written to.
        expect((await managementClient().get(cmPath)).metadata.resourceVersion).to.equal(
            cmBefore.metadata.resourceVersion,
        );
    });

    it("destroys everything", async () => {
        const file = (await ts.stack.outputs()).file.value;
        const res = await ts.stack.destroy();
        expect(res.summary.result).to.equal("succeeded");
        expect(await managementClient().get(cmPath)).to.equal(undefined);
        expect(fs.existsSync(file)).to.equal(false);
    });
});
