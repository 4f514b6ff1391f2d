// Shared by the review and automation engine tests: the full lab (lab/lab up) described by
// .lab/lab.json, a spec on it, and a workspace directory that both the Automation API and the plain
// `pulumi` CLI use (so `pulumi preview --json` previews exactly what the embedding deploys).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { HcpSpec } from "../../automation/spec";
import { LAB_ADDONS, LabDescription, readLab, tenantLoadBalancerAddress } from "../../lab/defaultStack";
import { labCgroupRoot, labHostKubeletConfiguration, labPoolSettings } from "../../lab/nodeSettings";
import { podNetworkManifest } from "../../lab/podnet";
import { binDir, repoRoot, requireToolchain } from "./engine";
import { ensureLab } from "./lab";

export const PASSPHRASE = "review-tests";

/** The full lab (brought up if it is not running), or an error that says what is missing. */
export function requireFullLab(): LabDescription {
    requireToolchain();
    ensureLab();
    try {
        execFileSync("bash", [path.join(repoRoot, "lab", "lab"), "status"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (e) {
        const out = ((e as { stdout?: string }).stdout ?? "").trim();
        throw new Error(
            `these tests need the full lab, and \`lab/lab status\` says part of it is down; run \`bash lab/lab up\`:\n${out}`,
        );
    }
    return readLab();
}

export interface Workspace {
    dir: string;
    stateDir: string;
    env: NodeJS.ProcessEnv;
    /** Runs the real CLI in the workspace; returns stdout. */
    cli(args: string[], opts?: { allowFailure?: boolean }): string;
    dispose(): void;
}

/** A project directory for `projectName` whose program is tests/fixtures/previews/program (the embedding's program). */
export function newWorkspace(projectName: string, stackName: string): Workspace {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `hcp-${projectName}-`));
    const dir = path.join(root, "project");
    const stateDir = path.join(root, "state");
    fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
    fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
    fs.mkdirSync(dir, { recursive: true });
    const program = path.join(repoRoot, "tests", "fixtures", "previews", "program", "program.js");
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${projectName}\nruntime: nodejs\nmain: ${path.relative(dir, program)}\ndescription: hcp embedding under test\n`,
    );
    const env = {
        ...process.env,
        PATH: [binDir, path.join(repoRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: path.join(stateDir, "home"),
        PULUMI_BACKEND_URL: "file://" + path.join(stateDir, "backend"),
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    return {
        dir,
        stateDir,
        env,
        cli(args, opts = {}) {
            try {
                return execFileSync(
                    path.join(binDir, "pulumi"),
                    [...args, "--cwd", dir, "--stack", stackName, "--non-interactive"],
                    {
                        env,
                        encoding: "utf8",
                        stdio: ["ignore", "pipe", "pipe"],
                        maxBuffer: 256 * 1024 * 1024,
                    },
                );
            } catch (e) {
                if (opts.allowFailure) return (e as { stdout?: string }).stdout ?? "";
                throw new Error(`pulumi ${args.join(" ")} failed: ${(e as { stderr?: string }).stderr ?? e}`);
            }
        },
        dispose() {
            fs.rmSync(root, { recursive: true, force: true });
        },
    };
}

const read = (p: string) => fs.readFileSync(p, "utf8");

export interface LabHostRef {
    name: string;
    address: string;
    hostKey: string;
    privateKey: string;
}

/** A spec with one tenant on the lab's DataStore etcd and a pool of the given hosts. */
export function labSpec(
    lab: LabDescription,
    o: {
        prefix: string;
        namespace: string;
        /** The tenant's LoadBalancer address slot (lab/defaultStack.ts tenantLoadBalancerAddress). */
        slot: number;
        cidrBase: number;
        version: string;
        hosts: LabHostRef[];
        healthCheck?: boolean;
    },
): HcpSpec {
    const spec: HcpSpec = {
        managementCluster: {
            kubeconfig: read(lab.managementKubeconfig),
            podCidrs: ["10.244.0.0/16"],
            serviceCidrs: ["10.96.0.0/16"],
        },
        dataStores: [
            {
                name: `${o.prefix}-etcd`,
                endpoints: lab.dataStore.endpoints.split(",").map((e) => e.replace(/^https:\/\//, "")),
                tls: {
                    caCertificate: read(lab.dataStore.caCertificate),
                    caPrivateKey: read(lab.dataStore.caPrivateKey),
                    clientCertificate: read(lab.dataStore.clientCertificate),
                    clientPrivateKey: read(lab.dataStore.clientPrivateKey),
                },
                healthCheck: o.healthCheck,
            },
        ],
        controlPlanes: [
            {
                name: `${o.prefix}-team`,
                namespace: o.namespace,
                kubernetesVersion: o.version,
                replicas: 1,
                serviceType: "LoadBalancer",
                address: tenantLoadBalancerAddress(lab, o.slot),
                port: 6443,
                network: { podCidr: `10.${o.cidrBase}.0.0/16`, serviceCidr: `10.${o.cidrBase + 1}.0.0/16` },
                addons: LAB_ADDONS,
                cniManifest: podNetworkManifest({
                    image: lab.images.podnet,
                    apiEndpoint: `${tenantLoadBalancerAddress(lab, o.slot)}:6443`,
                }),
            },
        ],
        workerPools: [],
    };
    if (o.hosts.length > 0) {
        const bundle = lab.bundles[o.version];
        if (!bundle)
            throw new Error(
                `the lab has no package bundle for ${o.version} (it has ${Object.keys(lab.bundles).join(", ")}); run \`bash lab/lab up\` after the toolchain built it`,
            );
        spec.workerPools!.push({
            name: `${o.prefix}-team-workers`,
            controlPlane: `${o.prefix}-team`,
            kubernetesVersion: o.version,
            hosts: o.hosts.map((h) => ({
                address: h.address,
                nodeName: h.name,
                privateKey: h.privateKey,
                hostKey: h.hostKey,
                kubeletConfiguration: labHostKubeletConfiguration(labCgroupRoot(lab.network.net, h.name)),
            })),
            ...labPoolSettings(lab.registry),
            packageSource: { kind: "bundle", path: bundle },
            reusePolicy: "clean",
            maxUnavailable: 1,
        });
    }
    return spec;
}
