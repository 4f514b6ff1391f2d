/**
 * Stand-in kubelet for the lab's worker hosts (this machine has no container runtime, cgroups or
 * systemd, so the real kubelet cannot run). It does what kubelet does after `kubeadm join` hands
 * over, against the real tenant API:
 *   1. TLS bootstrap: with bootstrap-kubelet.conf (the join token) it posts a CSR for
 *      CN=system:node:<name>, O=system:nodes (signer kubernetes.io/kube-apiserver-client-kubelet),
 *      waits for the tenant's controller-manager to approve and sign it, writes
 *      /var/lib/kubelet/pki/kubelet-client-current.pem and kubelet.conf;
 *   2. registers its Node (labels from --node-labels, taints from --register-with-taints);
 *   3. reports Ready and renews its Lease in kube-node-lease every 10 s;
 *   4. serves /healthz on the config's healthzBindAddress:healthzPort (default 127.0.0.1:10248).
 * It runs no pods. `--version` prints the version the lab bundle stamped into it.
 */
import "reflect-metadata";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import * as x509 from "@peculiar/x509";
import { KubeApiError, KubeClient } from "../../provider/kube/client";
import { parseKubeconfig } from "../../provider/kube/kubeconfig";
import { toPem } from "../../provider/pki/mint";

x509.cryptoProvider.set(crypto.webcrypto as any);

type Flags = Record<string, string>;

/** Parses `--name=value` and `--name value` flags; later flags win, as with the real kubelet. */
export function parseFlags(argv: string[]): Flags {
    const flags: Flags = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) continue;
        const eq = a.indexOf("=");
        if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
        else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags[a.slice(2)] = argv[++i];
        else flags[a.slice(2)] = "true";
    }
    return flags;
}

/** `a=b,c=d` → {a: "b", c: "d"} */
export function parseLabels(text: string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of (text ?? "").split(",").filter(Boolean)) {
        const [k, v = ""] = part.split("=");
        out[k] = v;
    }
    return out;
}

/** `key=value:Effect,key2:Effect` → taints */
export function parseTaints(text: string | undefined): { key: string; value?: string; effect: string }[] {
    return (text ?? "")
        .split(",")
        .filter(Boolean)
        .map((t) => {
            const [kv, effect] = t.split(":");
            const [key, value] = kv.split("=");
            return value === undefined ? { key, effect } : { key, value, effect };
        });
}

const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} kubelet-standin: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kubeconfigText(server: string, caPem: string, user: Record<string, string>): string {
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: "default-cluster",
                cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
            },
        ],
        contexts: [
            {
                name: "default-context",
                context: { cluster: "default-cluster", namespace: "default", user: "default-auth" },
            },
        ],
        "current-context": "default-context",
        users: [{ name: "default-auth", user }],
    });
}

async function tlsBootstrap(
    nodeName: string,
    bootstrapPath: string,
    kubeconfigPath: string,
    certDir: string,
): Promise<void> {
    const boot = parseKubeconfig(fs.readFileSync(bootstrapPath, "utf8"));
    const client = new KubeClient(boot);
    const keys = (await crypto.webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
        "sign",
        "verify",
    ])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: `O=system:nodes, CN=system:node:${nodeName}`,
        keys,
        signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    const created = await client.create("/apis/certificates.k8s.io/v1/certificatesigningrequests", {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { generateName: "node-csr-" },
        spec: {
            request: Buffer.from(csr.toString("pem")).toString("base64"),
            signerName: "kubernetes.io/kube-apiserver-client-kubelet",
            usages: ["digital signature", "client auth"],
        },
    });
    log(`posted CSR ${created.metadata.name}; waiting for approval and signature`);
    const certB64 = await client.waitFor(
        `/apis/certificates.k8s.io/v1/certificatesigningrequests/${created.metadata.name}`,
        (o) => o?.status?.certificate,
        { timeoutMs: 120_000, intervalMs: 500, description: `CSR ${created.metadata.name} to be signed` },
    );
    const keyPem = toPem(await crypto.webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
    fs.mkdirSync(certDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
    const file = path.join(certDir, `kubelet-client-${stamp}.pem`);
    fs.writeFileSync(file, Buffer.from(certB64, "base64").toString("utf8") + keyPem, { mode: 0o600 });
    const current = path.join(certDir, "kubelet-client-current.pem");
    fs.rmSync(current, { force: true });
    fs.symlinkSync(file, current);
    const kc = kubeconfigText(boot.server, boot.ca ?? "", { "client-certificate": current, "client-key": current });
    fs.writeFileSync(kubeconfigPath, kc, { mode: 0o600 });
    log(`TLS bootstrap done; wrote ${kubeconfigPath}`);
}

function internalIP(): string {
    for (const addrs of Object.values(os.networkInterfaces())) {
        for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
    }
    return "127.0.0.1";
}

function nodeStatus(version: string) {
    const now = new Date().toISOString();
    const cond = (type: string, status: string, reason: string, message: string) => ({
        type,
        status,
        reason,
        message,
        lastHeartbeatTime: now,
        lastTransitionTime: now,
    });
    return {
        conditions: [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status (lab stand-in)"),
        ],
        addresses: [
            { type: "InternalIP", address: internalIP() },
            { type: "Hostname", address: os.hostname() },
        ],
        capacity: { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: "110" },
        allocatable: { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: "110" },
        nodeInfo: {
            kubeletVersion: version,
            kubeProxyVersion: "",
            containerRuntimeVersion: "containerd://1.7.27",
            operatingSystem: "linux",
            architecture: process.arch === "x64" ? "amd64" : process.arch,
            osImage: readOsImage(),
            kernelVersion: os.release(),
            machineID: "",
            systemUUID: "",
            bootID: "",
        },
    };
}

function readOsImage(): string {
    try {
        const m = fs.readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)"?/m);
        return m ? m[1] : "Linux";
    } catch {
        return "Linux";
    }
}

/** Creates the Node if missing, reports its status, and returns its uid. */
async function registerNode(client: KubeClient, name: string, flags: Flags, version: string): Promise<string> {
    const labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": process.arch === "x64" ? "amd64" : process.arch,
        ...parseLabels(flags["node-labels"]),
    };
    const taints = parseTaints(flags["register-with-taints"]);
    let node = await client.get(`/api/v1/nodes/${name}`);
    if (!node) {
        node = await client.create("/api/v1/nodes", {
            apiVersion: "v1",
            kind: "Node",
            metadata: { name, labels },
            spec: taints.length ? { taints } : {},
        });
        log(`registered Node ${name}`);
    }
    await client.patch(`/api/v1/nodes/${name}/status`, { status: nodeStatus(version) }, "merge");
    return node.metadata.uid;
}

async function renewLease(client: KubeClient, name: string, nodeUid: string): Promise<void> {
    const p = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
    const spec = {
        holderIdentity: name,
        leaseDurationSeconds: 40,
        renewTime: new Date().toISOString().replace("Z", "000Z"),
    };
    const lease = await client.get(p);
    if (!lease) {
        await client.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            // Owned by the Node, so the garbage collector removes it with the Node.
            metadata: {
                name,
                namespace: "kube-node-lease",
                ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: nodeUid }],
            },
            spec,
        });
    } else {
        await client.patch(p, { spec }, "merge");
    }
}

function serveHealthz(config: any): http.Server {
    const port = config.healthzPort ?? 10248;
    const host = config.healthzBindAddress ?? "127.0.0.1";
    const server = http.createServer((req, res) => {
        res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "text/plain" });
        res.end(req.url === "/healthz" ? "ok" : "not found");
    });
    server.listen(port, host);
    return server;
}

async function main(argv: string[]): Promise<void> {
    const flags = parseFlags(argv);
    const version = flags["standin-version"] ?? "v0.0.0";
    if (flags.version) {
        process.stdout.write(`Kubernetes ${version}\n`);
        return;
    }
    const configPath = flags.config ?? "/var/lib/kubelet/config.yaml";
    if (!fs.existsSync(configPath)) {
        // The real kubelet exits here too, and systemd keeps restarting it until kubeadm writes the file.
        log(`failed to load kubelet config file ${configPath}: no such file`);
        process.exit(1);
    }
    const config: any = yaml.load(fs.readFileSync(configPath, "utf8")) ?? {};
    const nodeName = (flags["hostname-override"] ?? os.hostname()).toLowerCase();
    const kubeconfigPath = flags.kubeconfig ?? "/etc/kubernetes/kubelet.conf";
    const certDir = flags["cert-dir"] ?? "/var/lib/kubelet/pki";
    if (!fs.existsSync(kubeconfigPath)) {
        const boot = flags["bootstrap-kubeconfig"];
        if (!boot || !fs.existsSync(boot)) {
            log(`${kubeconfigPath} does not exist and no bootstrap kubeconfig was given`);
            process.exit(1);
        }
        await tlsBootstrap(nodeName, boot, kubeconfigPath, certDir);
    }
    const client = new KubeClient(parseKubeconfig(fs.readFileSync(kubeconfigPath, "utf8")));
    serveHealthz(config);
    log(
        `node ${nodeName} (${version}) running; healthz on ${config.healthzBindAddress ?? "127.0.0.1"}:${config.healthzPort ?? 10248}`,
    );
    let nodeUid = "";
    let nodeGone = false;
    for (let tick = 0; ; tick++) {
        try {
            if (!nodeUid) {
                nodeUid = await registerNode(client, nodeName, flags, version);
            } else if (!nodeGone && tick % 2 === 0) {
                await client.patch(`/api/v1/nodes/${nodeName}/status`, { status: nodeStatus(version) }, "merge");
            }
            if (!nodeGone) await renewLease(client, nodeName, nodeUid);
        } catch (e) {
            // Like the real kubelet: a deleted Node is not re-created until the kubelet restarts.
            nodeGone = nodeUid !== "" && e instanceof KubeApiError && e.notFound;
            log(
                nodeGone
                    ? `Node ${nodeName} not found; not re-registering`
                    : `heartbeat failed: ${(e as Error).message}`,
            );
        }
        await sleep(10_000);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e) => {
        log(`fatal: ${(e as Error).message}`);
        process.exit(1);
    });
}
