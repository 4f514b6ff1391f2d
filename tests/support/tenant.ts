// Test support for the tenant control-plane library and the Kamaji-contract controller: a DataStore
// etcd (lab/etcd-cluster.sh, mTLS + auth as kamaji-etcd runs it), the Kamaji CRDs, the controller
// process, and small REST/etcd helpers.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Etcd3 } from "etcd3";
import { KubeClient } from "../../lib/kube";
import { prefixRangeEnd } from "../../lab/tenant/etcdAccess";
import { installCrds } from "../../lab/installCrds";
import { repoRoot } from "./engine";
import { ensureManagementCluster, managementKubeconfigPath } from "./management";

export const binDir = path.join(repoRoot, "bin");

export function requireTenantBinaries(): void {
    for (const b of ["etcd", "kube-apiserver", "kube-controller-manager"]) {
        if (!fs.existsSync(path.join(binDir, b)))
            throw new Error(`${path.join(binDir, b)} is missing: run scripts/toolchain (npm test does this for you)`);
    }
}

export interface DataStoreEtcd {
    name: string;
    endpoints: string[];
    caPem: string;
    caKeyPem: string;
    rootCertPem: string;
    rootKeyPem: string;
}

/** A 1-member etcd with client-cert auth and `auth enable` (root user = CN root), via lab/etcd-cluster.sh. */
export function ensureDataStoreEtcd(name: string, basePort: number): DataStoreEtcd {
    const script = path.join(repoRoot, "lab", "etcd-cluster.sh");
    execFileSync("bash", [script, "up", name, "--members", "1", "--base-port", String(basePort), "--auth"], {
        stdio: ["ignore", "ignore", "inherit"],
    });
    const env = execFileSync("bash", [script, "env", name], { encoding: "utf8" });
    const get = (k: string) => {
        const m = new RegExp(`^(?:export )?${k}=['"]?([^'"\\n]*)['"]?$`, "m").exec(env);
        if (!m) throw new Error(`lab/etcd-cluster.sh env ${name} printed no ${k}`);
        return m[1];
    };
    const rd = (k: string) => fs.readFileSync(get(k), "utf8");
    return {
        name,
        endpoints: get("ETCD_ENDPOINTS").split(","),
        caPem: rd("ETCD_CACERT"),
        caKeyPem: rd("ETCD_CA_KEY"),
        rootCertPem: rd("ETCD_CERT"),
        rootKeyPem: rd("ETCD_KEY"),
    };
}

export function stopDataStoreEtcd(name: string): void {
    execFileSync("bash", [path.join(repoRoot, "lab", "etcd-cluster.sh"), "down", name], {
        stdio: ["ignore", "ignore", "inherit"],
    });
}

export function etcdRoot(ds: DataStoreEtcd): Etcd3 {
    return new Etcd3({
        hosts: ds.endpoints.map((e) => (e.startsWith("http") ? e : `https://${e}`)),
        credentials: {
            rootCertificate: Buffer.from(ds.caPem),
            certChain: Buffer.from(ds.rootCertPem),
            privateKey: Buffer.from(ds.rootKeyPem),
        },
    });
}

/** key -> create_revision for every key under `prefix`. */
export async function keysUnder(etcd: Etcd3, prefix: string): Promise<Map<string, string>> {
    const res = await etcd.kv.range({ key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix), keys_only: true });
    return new Map(res.kvs.map((kv) => [kv.key.toString("utf8"), String(kv.create_revision)]));
}

export async function etcdUsers(etcd: Etcd3): Promise<string[]> {
    return (await etcd.auth.userList({})).users ?? [];
}
export async function etcdRoles(etcd: Etcd3): Promise<string[]> {
    return (await etcd.auth.roleList({})).roles ?? [];
}

/** The management cluster (shared lab one) with the Kamaji CRDs installed. */
export async function managementWithCrds(): Promise<KubeClient> {
    ensureManagementCluster();
    const client = KubeClient.fromKubeconfig(fs.readFileSync(managementKubeconfigPath, "utf8"));
    await installCrds(client);
    return client;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A DataStore for `ds`: certificates inline, private keys through a Secret (both ContentRef forms). */
export async function createDataStore(
    client: KubeClient,
    dsName: string,
    ds: DataStoreEtcd,
    secretNamespace: string,
): Promise<void> {
    const secretName = `${dsName}-keys`;
    const secret = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: secretName, namespace: secretNamespace },
        data: { "ca.key": b64(ds.caKeyPem), "root.key": b64(ds.rootKeyPem) },
    };
    const sp = `/api/v1/namespaces/${secretNamespace}/secrets`;
    if (!(await client.get(`${sp}/${secretName}`))) await client.create(sp, secret);
    await client.create("/apis/kamaji.clastix.io/v1alpha1/datastores", {
        apiVersion: "kamaji.clastix.io/v1alpha1",
        kind: "DataStore",
        metadata: { name: dsName },
        spec: {
            driver: "etcd",
            endpoints: ds.endpoints.map((e) => e.replace(/^https?:\/\//, "")),
            tlsConfig: {
                certificateAuthority: {
                    certificate: { content: b64(ds.caPem) },
                    privateKey: {
                        secretReference: { name: secretName, namespace: secretNamespace, keyPath: "ca.key" },
                    },
                },
                clientCertificate: {
                    certificate: { content: b64(ds.rootCertPem) },
                    privateKey: {
                        secretReference: { name: secretName, namespace: secretNamespace, keyPath: "root.key" },
                    },
                },
            },
        },
    });
}

export function tenantControlPlane(
    ns: string,
    name: string,
    o: { dataStore: string; version: string; port: number; schema?: string },
): object {
    return {
        apiVersion: "kamaji.clastix.io/v1alpha1",
        kind: "TenantControlPlane",
        metadata: { name, namespace: ns },
        spec: {
            dataStore: o.dataStore,
            ...(o.schema ? { dataStoreSchema: o.schema, dataStoreUsername: o.schema } : {}),
            controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
            kubernetes: { version: o.version, kubelet: { cgroupfs: "systemd" } },
            networkProfile: { port: o.port, serviceCidr: "10.96.0.0/16", podCidr: "10.244.0.0/16" },
        },
    };
}

export const tcpPath = (ns: string, name?: string) =>
    `/apis/kamaji.clastix.io/v1alpha1/namespaces/${ns}/tenantcontrolplanes${name ? `/${name}` : ""}`;

export async function waitTcp(
    client: KubeClient,
    ns: string,
    name: string,
    pred: (tcp: any) => boolean,
    what: string,
    timeoutMs = 240_000,
): Promise<any> {
    return client.waitFor(tcpPath(ns, name), (o) => (o && pred(o) ? o : undefined), {
        timeoutMs,
        intervalMs: 500,
        description: `TenantControlPlane ${ns}/${name} ${what}`,
    });
}

export async function waitGone(client: KubeClient, p: string, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (await client.get(p)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} to be deleted`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

export function tmpStateDir(label: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `hcp-${label}-`));
}

/** True when a process with this pid exists (and is not a zombie). */
export function processAlive(pid: number | undefined): boolean {
    if (!pid) return false;
    try {
        process.kill(pid, 0);
        return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

/** A bootstrap-token Secret as `kubeadm token create` writes it. */
export function bootstrapTokenSecret(id: string, secret: string, expiresInMs = 3_600_000): object {
    return {
        apiVersion: "v1",
        kind: "Secret",
        type: "bootstrap.kubernetes.io/token",
        metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
        stringData: {
            "token-id": id,
            "token-secret": secret,
            expiration: new Date(Date.now() + expiresInMs).toISOString().replace(/\.\d+Z$/, "Z"),
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
            "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
        },
    };
}
