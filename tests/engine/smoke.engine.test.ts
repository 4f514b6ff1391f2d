// The foundation's smoke test: the real engine (Go-built CLI), a dynamic resource and a
// @pulumi/kubernetes object on the lab's real management cluster, through the whole lifecycle.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { newInlineStack, previewSteps, changeCounts, rawState, TestStack } from "../support/engine";
import { ensureManagementCluster, managementClient } from "../support/management";
import { Record } from "../support/fixtures/record";

describe("engine smoke: dynamic resource + ConfigMap on the management cluster", function () {
    this.timeout(10 * 60 * 1000);
    let ts: TestStack;
    const recordDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-smoke-"));
    const cmName = `hcp-smoke-${process.pid}`;

    const program = async () => {
        const cfg = new pulumi.Config();
        const provider = new k8s.Provider("mgmt", { kubeconfig: cfg.requireSecret("kubeconfig") });
        const greeting = cfg.require("greeting");
        const record = new Record("greeting", { dir: recordDir, name: "greeting", value: greeting });
        const cm = new k8s.core.v1.ConfigMap(
            "smoke",
            // The greeting sits in an annotation: pulumi-kubernetes replaces ConfigMaps whose data changes.
            { metadata: { name: cmName, namespace: "default", annotations: { greeting } }, data: { purpose: "smoke" } },
            { provider },
        );
        return { file: record.file, configMap: cm.metadata.name };
    };

    before(async () => {
        const kubeconfig = ensureManagementCluster();
        ts = await newInlineStack("hcp-smoke", program, {
            kubeconfig: { value: kubeconfig, secret: true },
            greeting: { value: "hello" },
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
        const cm = await managementClient().get(`/api/v1/namespaces/default/configmaps/${cmName}`);
        expect(cm.metadata.annotations.greeting).to.equal("hello");
        expect(JSON.parse(fs.readFileSync(up.outputs.file.value, "utf8"))).to.deep.equal({ value: "hello" });
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

    it("previews exactly the update a changed input causes, then applies it", async () => {
        await ts.stack.setConfig("greeting", { value: "bonjour" });
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({ update: 2 });
        expect(p.steps.every((s) => s.op === "update")).to.equal(true);
        expect(p.steps.map((s) => s.urn.split("::").pop()).sort()).to.deep.equal(["greeting", "smoke"]);
        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ update: 2 });
        const cm = await managementClient().get(`/api/v1/namespaces/default/configmaps/${cmName}`);
        expect(cm.metadata.annotations.greeting).to.equal("bonjour");
    });

    it("destroys everything", async () => {
        const file = (await ts.stack.outputs()).file.value;
        const res = await ts.stack.destroy();
        expect(res.summary.result).to.equal("succeeded");
        const cm = await managementClient().get(`/api/v1/namespaces/default/configmaps/${cmName}`);
        expect(cm).to.equal(undefined);
        expect(fs.existsSync(file)).to.equal(false);
    });
});
