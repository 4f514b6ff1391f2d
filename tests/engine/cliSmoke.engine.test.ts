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
    const previewOps = () => {
        const out = JSON.parse(pulumi("preview", "--json"));
        return (out.steps ?? [])
            .filter(
                (s: any) =>
                    s.op !== "same" &&
                    !s.urn.includes("::pulumi:pulumi:Stack::") &&
                    !s.urn.includes("::pulumi:providers:"),
            )
            .map((s: any) => `${s.op} ${s.urn.split("::").pop()}`)
            .sort();
    };

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
        pulumi("up", "--yes");
        const cm = await managementClient().get(`/api/v1/namespaces/default/configmaps/${cmName}`);
        expect(cm.metadata.annotations.greeting).to.equal("hello");
        expect(previewOps()).to.deep.equal([]);
    });

    it("previews exactly the update a changed input causes, then applies it", async () => {
        pulumi("config", "set", "greeting", "salut");
        expect(previewOps()).to.deep.equal(["update greeting", "update smoke"]);
        pulumi("up", "--yes");
        const cm = await managementClient().get(`/api/v1/namespaces/default/configmaps/${cmName}`);
        expect(cm.metadata.annotations.greeting).to.equal("salut");
    });

    it("destroys everything", async () => {
        pulumi("destroy", "--yes");
        expect(await managementClient().get(`/api/v1/namespaces/default/configmaps/${cmName}`)).to.equal(undefined);
        expect(fs.existsSync(path.join(recordDir, "greeting.json"))).to.equal(false);
    });
});
