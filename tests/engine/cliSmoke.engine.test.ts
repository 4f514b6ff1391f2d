// The same lifecycle as smoke.engine.test.ts, through the plain `pulumi` CLI on a Pulumi.yaml
// project, which needs the Go-built Node.js language host.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { binDir, engineEnv, repoRoot, requireToolchain } from "../support/engine";
import { ensureManagementCluster, managementClient } from "../support/management";

const projectDir = path.join(repoRoot, "tests", "fixtures", "cli-smoke");

describe("engine smoke through the pulumi CLI (Pulumi.yaml project)", function () {
    this.timeout(10 * 60 * 1000);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-cli-smoke-"));
    const recordDir = path.join(stateDir, "records");
    const cmName = `hcp-cli-smoke-${process.pid}`;
    const cmPath = `/api/v1/namespaces/default/configmaps/${cmName}`;
    const recordFile = path.join(recordDir, "greeting.json");
    const env = { ...process.env, ...engineEnv(stateDir) };
    const pulumi = (...args: string[]) =>
        execFileSync(
            path.join(binDir, "pulumi"),
            [...args, "--cwd", projectDir, "--stack", "smoke", "--non-interactive"],
            {
                env,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
    /** "op name" of each step that changes something (the stack itself and providers left out). */
    const changing = (steps: { op: string; urn: string }[]) =>
        steps
            .filter(
                (s) =>
                    s.op !== "same" &&
                    !s.urn.includes("::pulumi:pulumi:Stack::") &&
                    !s.urn.includes("::pulumi:providers:"),
            )
            .map((s) => `${s.op} ${s.urn.split("::").pop()}`)
            .sort();
    const previewOps = () => changing(JSON.parse(pulumi("preview", "--json")).steps ?? []);
    /** Runs `up` and returns what it changed, from its stream of JSON engine events (one per line). */
    const upOps = () =>
        changing(
            pulumi("up", "--yes", "--skip-preview", "--json")
                .split("\n")
                .filter((line) => line.startsWith("{"))
                .map((line) => JSON.parse(line).resourcePreEvent)
                .filter((e) => e && !e.planning)
                .map((e) => e.metadata),
        );

    before(() => {
        requireToolchain();
        const kubeconfig = ensureManagementCluster();
        fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
        execFileSync(
            path.join(binDir, "pulumi"),
            ["stack", "init", "smoke", "--cwd", projectDir, "--non-interactive"],
            { env, stdio: "ignore" },
        );
        execFileSync(
            path.join(binDir, "pulumi"),
            ["config", "set", "--secret", "kubeconfig", "--cwd", projectDir, "--stack", "smoke"],
            {
                env,
                input: kubeconfig,
                stdio: ["pipe", "ignore", "inherit"],
            },
        );
        pulumi("config", "set", "greeting", "hello");
        pulumi("config", "set", "note", "first");
        pulumi("config", "set", "recordDir", recordDir);
        pulumi("config", "set", "configMapName", cmName);
    });

    after(() => {
        try {
            pulumi("destroy", "--yes");
            pulumi("stack", "rm", "--yes");
        } catch {
            /* the test already destroyed it */
        }
        fs.rmSync(path.join(projectDir, "Pulumi.smoke.yaml"), { force: true });
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("previews two creates", () => {
        expect(previewOps()).to.deep.equal(["create greeting", "create smoke"]);
    });

    it("ups, then previews no changes", async () => {
        expect(upOps()).to.deep.equal(["create greeting", "create smoke"]);
        const cm = await managementClient().get(cmPath);
        expect(cm.metadata.annotations.note).to.equal("first");
        expect(JSON.parse(fs.readFileSync(recordFile, "utf8"))).to.deep.equal({ value: "hello" });
        expect(previewOps()).to.deep.equal([]);
    });

    it("a changed ConfigMap input previews and applies one update, on the ConfigMap only", async () => {
        const recordWritten = fs.statSync(recordFile).mtimeMs;
        pulumi("config", "set", "note", "second");
        expect(previewOps()).to.deep.equal(["update smoke"]);
        expect(upOps()).to.deep.equal(["update smoke"]);
        expect((await managementClient().get(cmPath)).metadata.annotations.note).to.equal("second");
        // The Record's file was not rewritten.
        expect(fs.statSync(recordFile).mtimeMs).to.equal(recordWritten);
        expect(JSON.parse(fs.readFileSync(recordFile, "utf8"))).to.deep.equal({ value: "hello" });
    });

    it("a changed Record input previews and applies one update, on the Record only", async () => {
        const cmBefore = await managementClient().get(cmPath);
        pulumi("config", "set", "greeting", "salut");
        expect(previewOps()).to.deep.equal(["update greeting"]);
        expect(upOps()).to.deep.equal(["update greeting"]);
        expect(JSON.parse(fs.readFileSync(recordFile, "utf8"))).to.deep.equal({ value: "salut" });
        // The ConfigMap was not written to.
        expect((await managementClient().get(cmPath)).metadata.resourceVersion).to.equal(
            cmBefore.metadata.resourceVersion,
        );
    });

    it("destroys everything", async () => {
        pulumi("destroy", "--yes");
        expect(await managementClient().get(cmPath)).to.equal(undefined);
        expect(fs.existsSync(recordFile)).to.equal(false);
    });
});
