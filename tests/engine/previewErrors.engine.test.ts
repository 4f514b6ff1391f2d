// Errors found after the program started (checks inside Outputs: the management kubeconfig parsed,
// the live tenant's version read) end a preview promptly with their message, on the component,
// on both paths: the plain `pulumi` CLI on a Pulumi.yaml project (the Node.js language host runs
// it under ts-node, where the SDK's util.inspect of such an error took minutes) and the
// Automation API. The live tenant is a TenantControlPlane object on the lab's management cluster.
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { KubeClient, resourcePath } from "../../lib/kube";
import { createCertificateAuthority } from "../../lib/pki";
import {
    binDir,
    compiledComponents,
    configuredDataStore,
    engineEnv,
    newInlineStack,
    repoRoot,
    requireToolchain,
    TestStack,
} from "../support/engine";
import { ensureKamajiCrdsAndNamespace, ensureManagementCluster } from "../support/management";

const projectDir = path.join(repoRoot, "tests", "fixtures", "preview-errors");
const tag = `pe${process.pid}`;
const tenantName = `team-${tag}`;
const NOT_YAML = "this: is: not yaml: [";
/** The CLI preview is killed after this long (before the fix these took 4 to 5 minutes, or hung). */
const KILL_MS = 400_000;
/**
 * A failing preview may take this much longer than one without errors, measured on the same machine
 * and load. Measured alone: 3 s each, baseline 4 s. While the SDK inspected the error's component
 * resource a failing preview took 20-40 s more (86 s under CI load), and 4-5 minutes before that.
 */
const SLACK_MS = 45_000;

const TCP = (name: string) =>
    resourcePath({
        group: "kamaji.clastix.io",
        version: "v1alpha1",
        plural: "tenantcontrolplanes",
        namespace: "default",
        name,
    });

const downgrade = `kubernetesVersion: cannot go from v1.34.0 down to v1.33.9: Kubernetes control planes cannot be downgraded; keep v1.34.0 (or a later patch), or recreate the tenant (the live TenantControlPlane default/${tenantName} is at v1.34.0)`;
const skip = `cannot go from v1.34.0 to v1.36.0 in one step: upgrade one minor version at a time; set v1.35.x first, apply, then continue`;
const notYaml = `  - kubeconfig: is not valid YAML (bad indentation of a mapping entry (1:9)); pass the file's contents`;

/** What makes a report useless: a stack trace, the SDK's prefixes, an "unhandled exception". */
function expectClean(text: string): void {
    expect(text).not.to.include("error serializing property");
    expect(text).not.to.include("unhandled exception");
    expect(text).not.to.match(/\n\s+at \S+ \(/);
}

describe("engine: errors found after the program started end the preview promptly with their message", function () {
    this.timeout(30 * 60 * 1000);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-preview-errors-"));
    const env = { ...process.env, ...engineEnv(stateDir) };
    let client: KubeClient;
    let kubeconfig: string;
    let ts: TestStack;

    /** `pulumi preview` of the Pulumi.yaml project: its combined output, exit status and duration. */
    const cliPreview = () =>
        new Promise<{ out: string; code: number | null; ms: number }>((resolve) => {
            const t0 = Date.now();
            const child = execFile(
                path.join(binDir, "pulumi"),
                ["preview", "--cwd", projectDir, "--stack", "pe", "--non-interactive", "--color", "never"],
                { env, timeout: KILL_MS, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 },
                (err, stdout, stderr) =>
                    resolve({
                        out: `${stdout}${stderr}`,
                        code: err ? ((err as any).code ?? null) : 0,
                        ms: Date.now() - t0,
                    }),
            );
            child.stdin?.end();
        });
    const pulumiCli = (args: string[], input?: string) =>
        new Promise<void>((resolve, reject) => {
            const child = execFile(
                path.join(binDir, "pulumi"),
                [...args, "--cwd", projectDir, "--stack", "pe", "--non-interactive"],
                { env },
                (err, _o, stderr) => (err ? reject(new Error(`pulumi ${args.join(" ")}: ${stderr}`)) : resolve()),
            );
            child.stdin?.end(input);
        });
    const setCli = (key: string, value: string, secret = false) =>
        pulumiCli(["config", "set", ...(secret ? ["--secret"] : []), key], value);

    /** The same program as the fixture's, inline for the Automation API. */
    const program = async () => {
        const hcp = compiledComponents();
        const cfg = new pulumi.Config();
        const mgmt = new hcp.ManagementCluster("mgmt", { kubeconfig: cfg.requireSecret("kubeconfig") });
        const store = configuredDataStore(hcp, mgmt, cfg.require("dataStoreName"));
        new hcp.HostedControlPlane("team", {
            managementCluster: mgmt,
            dataStore: store,
            name: cfg.require("tenantName"),
            namespace: cfg.require("namespace"),
            kubernetesVersion: cfg.require("version"),
            serviceType: "NodePort",
            address: "192.0.2.70",
        });
    };

    /** An Automation API preview: its error text and duration. */
    const apiPreview = async () => {
        const t0 = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const hung = new Promise<string>((r) => (timer = setTimeout(() => r("HUNG"), KILL_MS)));
        const text = await Promise.race([
            ts.stack.preview().then(
                () => "",
                (e: Error) => String(e?.message ?? e),
            ),
            hung,
        ]);
        clearTimeout(timer);
        return { text, ms: Date.now() - t0 };
    };

    before(async () => {
        requireToolchain();
        kubeconfig = ensureManagementCluster();
        client = KubeClient.fromKubeconfig(kubeconfig);
        await ensureKamajiCrdsAndNamespace(client);
        // The live tenant, at v1.34.0 (spec and what Kamaji reports installed).
        await client.create(TCP("").replace(/\/$/, ""), {
            apiVersion: "kamaji.clastix.io/v1alpha1",
            kind: "TenantControlPlane",
            metadata: { name: tenantName, namespace: "default" },
            spec: {
                dataStore: `etcd-${tag}`,
                controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "NodePort" } },
                kubernetes: { version: "v1.34.0", kubelet: { cgroupfs: "systemd" } },
                networkProfile: { address: "192.0.2.70", port: 6443 },
            },
        });
        await client.patch(`${TCP(tenantName)}/status`, {
            status: { kubernetesResources: { version: { status: "Ready", version: "v1.34.0" } } },
        });
        const ca = await createCertificateAuthority("preview-errors-ca", 30, [], "rsa"); // Kamaji v1.0.0 needs RSA
        const config: Record<string, { value: string; secret?: boolean }> = {
            kubeconfig: { value: kubeconfig, secret: true },
            etcdCa: { value: ca.certPem },
            etcdCaKey: { value: ca.keyPem, secret: true },
            dataStoreName: { value: `etcd-${tag}` },
            tenantName: { value: tenantName },
            namespace: { value: "default" },
            version: { value: "v1.33.9" },
        };
        fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
        await pulumiCli(["stack", "init"]);
        for (const [k, v] of Object.entries(config)) await setCli(k, v.value, v.secret);
        ts = await newInlineStack("hcp-preview-errors", program, config);
    });

    after(async () => {
        await client?.delete(TCP(tenantName)).catch(() => undefined);
        await pulumiCli(["stack", "rm", "--yes", "--force"]).catch(() => undefined);
        fs.rmSync(path.join(projectDir, "Pulumi.pe.yaml"), { force: true });
        fs.rmSync(stateDir, { recursive: true, force: true });
        if (ts) await ts.dispose();
    });

    const cases: { title: string; version: string; kubeconfig?: string; expected: string }[] = [
        { title: "a downgrade against the live tenant", version: "v1.33.9", expected: downgrade },
        { title: "a minor-version skip against the live tenant", version: "v1.36.0", expected: skip },
        {
            title: "a management kubeconfig that is not YAML",
            version: "v1.34.0",
            kubeconfig: NOT_YAML,
            expected: notYaml,
        },
    ];
    let baselineMs = 0;
    it("CLI on a Pulumi.yaml project: the same program without errors previews (the time baseline)", async () => {
        await setCli("version", "v1.34.0");
        const r = await cliPreview();
        expect(r.code, r.out).to.equal(0);
        baselineMs = r.ms;
    });

    for (const c of cases) {
        it(`CLI on a Pulumi.yaml project: ${c.title}`, async () => {
            await setCli("version", c.version);
            await setCli("kubeconfig", c.kubeconfig ?? kubeconfig, true);
            const r = await cliPreview();
            expect(baselineMs, "the baseline ran").to.be.above(0);
            expect(r.ms, `preview took ${r.ms} ms (without errors: ${baselineMs} ms):\n${r.out}`).to.be.below(
                baselineMs + SLACK_MS,
            );
            expect(r.code, r.out).to.not.equal(0);
            expect(r.out).to.include(c.expected);
            expectClean(r.out);
        });

        it(`Automation API: ${c.title}`, async () => {
            await ts.stack.setConfig("version", { value: c.version });
            await ts.stack.setConfig("kubeconfig", { value: c.kubeconfig ?? kubeconfig, secret: true });
            const r = await apiPreview();
            expect(r.text, "the preview fails").to.not.equal("");
            expect(r.text).to.not.equal("HUNG");
            expect(r.text).to.include(c.expected);
            expectClean(r.text);
        });
    }
});
