// The embedding through the real engine on the full lab: a DataStore (etcd health checked for real)
// and a tenant control plane, deployed with typed progress events and typed outputs; a concurrent
// deploy on the same stack fails with "stack is locked by …"; an aborted deploy is cancelled cleanly
// and the next one succeeds; secrets stay encrypted in config and state.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deploy, destroy, outputs, packageRoot, removeStack, StackOptions } from "../../automation/stack";
import { OperationCancelledError, StackLockedError } from "../../automation/errors";
import { ProgressEvent } from "../../automation/events";
import { HcpSpec } from "../../automation/spec";
import { LabDescription, tenantLoadBalancerAddress } from "../../lab/defaultStack";
import { deleteNamespace, ensureNamespace } from "../support/kube";
import { managementClient } from "../support/lab";
import { labSpec, PASSPHRASE, requireFullLab } from "../support/reviewLab";

const NAMESPACE = "hcp-automation";

describe("automation: the embedding on the full lab", function () {
    this.timeout(20 * 60 * 1000);
    let lab: LabDescription;
    let stateDir: string;
    let opts: StackOptions;
    let spec: HcpSpec;
    let argvLog: string;

    before(async () => {
        lab = requireFullLab();
        await ensureNamespace(managementClient(lab), NAMESPACE);
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-automation-"));
        // The CLI behind a wrapper that records every command line it is given.
        argvLog = path.join(stateDir, "argv.log");
        const wrapperBin = path.join(stateDir, "cli", "bin");
        fs.mkdirSync(wrapperBin, { recursive: true });
        fs.writeFileSync(
            path.join(wrapperBin, "pulumi"),
            `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${path.join(packageRoot, "bin", "pulumi")}' "$@"\n`,
            { mode: 0o755 },
        );
        opts = {
            projectName: "hcp-automation",
            stackName: "am",
            stateDir,
            secretsPassphrase: PASSPHRASE,
            pulumiRoot: path.dirname(wrapperBin),
            envVars: { PATH: [wrapperBin, path.join(packageRoot, "bin"), process.env.PATH ?? ""].join(path.delimiter) },
        };
        spec = labSpec(lab, {
            prefix: "am",
            namespace: NAMESPACE,
            slot: 20,
            cidrBase: 240,
            version: lab.kubernetesVersion,
            hosts: [],
        });
    });

    after(async () => {
        if (stateDir) {
            await destroy(undefined, opts).catch(() => undefined);
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
        if (lab) await deleteNamespace(managementClient(lab), NAMESPACE);
    });

    it("deploys with typed progress; a concurrent deploy on the same stack is refused as locked", async () => {
        const events: ProgressEvent[] = [];
        let firstStarted!: () => void;
        const started = new Promise<void>((r) => (firstStarted = r));
        const first = deploy(spec, {
            ...opts,
            onEvent: (e) => {
                events.push(e);
                if (e.kind === "started") firstStarted();
            },
        });
        await started;
        const second = await deploy(spec, opts).then(
            () => undefined,
            (e) => e,
        );
        expect(second).to.be.instanceOf(StackLockedError);
        expect(second.message).to.match(
            /^stack "am" is locked by \S+@\S+ \(pid \d+, since \S+\): another preview, deploy or destroy is running on it/,
        );
        const res = await first;
        expect(res.result).to.equal("succeeded");

        const seen = events
            .filter((e) => e.kind !== "warning")
            .map((e) => `${e.kind} ${(e as any).resourceType} ${(e as any).name}`);
        expect(seen).to.include.members([
            "started kubernetes:kamaji.clastix.io/v1alpha1:DataStore am-etcd-datastore",
            "finished kubernetes:kamaji.clastix.io/v1alpha1:DataStore am-etcd-datastore",
            "started pulumi-nodejs:dynamic/hcp:EtcdHealth am-etcd-health",
            "finished pulumi-nodejs:dynamic/hcp:EtcdHealth am-etcd-health",
            "started kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane am-team-tcp",
            "finished kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane am-team-tcp",
        ]);
        expect(events.some((e) => e.kind === "failed")).to.equal(false);

        const cp = res.outputs.controlPlanes["am-team"];
        expect(cp).to.include({
            tenantName: "am-team",
            namespace: NAMESPACE,
            kubernetesVersion: lab.kubernetesVersion,
        });
        expect(cp.endpoint).to.equal(`${tenantLoadBalancerAddress(lab, 20)}:6443`);
        expect(cp.caCertHash).to.match(/^sha256:[0-9a-f]{64}$/);
        expect(String(cp.kubeconfig)).to.equal("[secret]");
        expect(JSON.stringify(res.outputs)).not.to.include("apiVersion");
        expect(cp.kubeconfig.unwrap()).to.include("apiVersion: v1");
        expect(res.outputs.workerPools).to.deep.equal({});
    });

    /** No line of the spec's secrets, and no private key, appears in `text`. */
    const expectNoSecretOfTheSpec = (text: string, where: string) => {
        for (const secret of [
            spec.managementCluster.kubeconfig,
            spec.dataStores![0].tls.caPrivateKey,
            spec.dataStores![0].tls.clientPrivateKey!,
        ]) {
            for (const line of secret.split("\n").filter((l) => l.length > 40))
                expect(text, where).not.to.include(line);
        }
        expect(text, where).not.to.include("PRIVATE KEY");
    };

    it("keeps every secret of the spec encrypted in the stack config and state", () => {
        const files: string[] = [];
        const walk = (d: string) => {
            for (const f of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, f.name);
                if (f.isDirectory()) walk(p);
                else if (/\.(ya?ml|json)$/.test(f.name)) files.push(p);
            }
        };
        walk(stateDir);
        const text = files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
        expect(files.some((f) => f.endsWith("Pulumi.am.yaml"))).to.equal(true);
        expect(text).to.include("secure:");
        expectNoSecretOfTheSpec(text, "the stack's config and state");
    });

    it("never gives a secret to the CLI on its command line (where every process can read it)", () => {
        const argv = fs.readFileSync(argvLog, "utf8");
        expect(argv).to.match(/^config set --secret --raw --stack am hcp-automation:hcp-secret\./m);
        expectNoSecretOfTheSpec(argv, "the CLI's command lines");
    });

    it("an aborted deploy is cancelled cleanly; the next deploy completes it", async () => {
        const bigger: HcpSpec = JSON.parse(JSON.stringify(spec));
        bigger.controlPlanes!.push({
            ...bigger.controlPlanes![0],
            name: "am-team2",
            address: tenantLoadBalancerAddress(lab, 21),
            network: { podCidr: "10.242.0.0/16", serviceCidr: "10.243.0.0/16" },
        });
        const abort = new AbortController();
        const err = await deploy(bigger, {
            ...opts,
            signal: abort.signal,
            onEvent: (e) => {
                if (e.kind === "started") abort.abort();
            },
        }).then(
            () => undefined,
            (e) => e,
        );
        expect(err).to.be.instanceOf(OperationCancelledError);
        expect(err.message).to.match(/^deploy of stack "am" was cancelled/);
        const res = await deploy(bigger, opts);
        expect(res.result).to.equal("succeeded");
        expect(Object.keys((await outputs(opts)).controlPlanes).sort()).to.deep.equal(["am-team", "am-team2"]);
    });

    it("destroys and removes the stack", async () => {
        const res = await destroy(spec, opts);
        expect(res.result).to.equal("succeeded");
        expect(res.resourceChanges.delete).to.be.greaterThan(0);
        await removeStack(opts);
        expect(
            fs.existsSync(path.join(stateDir, "backend", ".pulumi", "stacks", "hcp-automation", "am.json")),
        ).to.equal(false);
    });
});
