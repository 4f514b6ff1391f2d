/**
 * The tenant's PKI, laid out as kubeadm lays out /etc/kubernetes/pki, under `<dir>/pki`.
 * Minted once and reused: a restart (or a version change) keeps the CA, so joined nodes and
 * published kubeconfigs stay valid. Keys are written 0600.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CertificateAndKey, createCertificateAuthority, issueCertificate } from "../../lib/pki";
import { isParsedCidr, nthAddress, parseCidr } from "../../model/network";

/** kubeadm's group bound to cluster-admin by the ClusterRoleBinding of the same name (kubeadm >= 1.29). */
export const CLUSTER_ADMINS_GROUP = "kubeadm:cluster-admins";

export interface TenantPkiPaths {
    dir: string;
    caCrt: string;
    caKey: string;
    apiserverCrt: string;
    apiserverKey: string;
    kubeletClientCrt: string;
    kubeletClientKey: string;
    saKey: string;
    saPub: string;
    etcdCa: string;
    etcdCrt: string;
    etcdKey: string;
}

export function pkiPaths(dir: string): TenantPkiPaths {
    const p = path.join(dir, "pki");
    return {
        dir: p,
        caCrt: path.join(p, "ca.crt"),
        caKey: path.join(p, "ca.key"),
        apiserverCrt: path.join(p, "apiserver.crt"),
        apiserverKey: path.join(p, "apiserver.key"),
        kubeletClientCrt: path.join(p, "apiserver-kubelet-client.crt"),
        kubeletClientKey: path.join(p, "apiserver-kubelet-client.key"),
        saKey: path.join(p, "sa.key"),
        saPub: path.join(p, "sa.pub"),
        etcdCa: path.join(p, "etcd", "ca.crt"),
        etcdCrt: path.join(p, "etcd", "server.crt"),
        etcdKey: path.join(p, "etcd", "server.key"),
    };
}

export function writeSecretFile(file: string, content: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
}

function readPair(crt: string, key: string): CertificateAndKey | undefined {
    if (!fs.existsSync(crt) || !fs.existsSync(key)) return undefined;
    return { certPem: fs.readFileSync(crt, "utf8"), keyPem: fs.readFileSync(key, "utf8") };
}

function writePair(crt: string, key: string, pair: CertificateAndKey): void {
    fs.mkdirSync(path.dirname(crt), { recursive: true });
    fs.writeFileSync(crt, pair.certPem);
    writeSecretFile(key, pair.keyPem);
}

/** The DNS names and IPs the serving certificate must carry (kubeadm's GetAPIServerAltNames, plus the lab's). */
export function apiServerAltNames(opts: {
    name: string;
    serviceCidr: string;
    clusterDomain: string;
    addresses: string[];
    certSans: string[];
}): { dnsNames: string[]; ipAddresses: string[] } {
    const dns = new Set<string>([
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        `kubernetes.default.svc.${opts.clusterDomain}`,
        opts.name,
    ]);
    const ips = new Set<string>(["127.0.0.1", firstServiceIp(opts.serviceCidr)]);
    for (const a of [...opts.addresses, ...opts.certSans]) {
        if (!a) continue;
        if (/^[0-9.]+$/.test(a) || a.includes(":")) ips.add(a);
        else dns.add(a);
    }
    return { dnsNames: [...dns], ipAddresses: [...ips] };
}

/** The first usable address of an IPv4 CIDR: the `kubernetes` Service's ClusterIP. */
export function firstServiceIp(cidr: string): string {
    return nthIp(cidr, 1);
}

/** The n-th address of a service CIDR (n = 10 gives kubeadm's default cluster DNS IP). */
export function nthIp(cidr: string, n: number): string {
    const c = parseCidr(cidr);
    if (!isParsedCidr(c)) throw new Error(`serviceCidr: "${cidr}" ${c.error}`);
    return nthAddress(c, n);
}

export interface TenantPkiOptions {
    name: string;
    dir: string;
    serviceCidr: string;
    clusterDomain: string;
    /** Addresses the API is reached at (bind/advertise address), added to the serving cert. */
    addresses: string[];
    certSans: string[];
    /** Reuse this CA (e.g. the one in `<tcp>-ca`) instead of minting one. */
    ca?: CertificateAndKey;
    etcd: { ca: string; cert: string; key: string };
}

export interface TenantPki {
    paths: TenantPkiPaths;
    ca: CertificateAndKey;
}

/** Mints (or reuses) every certificate and key the tenant's processes need. */
export async function ensureTenantPki(opts: TenantPkiOptions): Promise<TenantPki> {
    const p = pkiPaths(opts.dir);
    fs.mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    let ca = readPair(p.caCrt, p.caKey);
    if (opts.ca && (!ca || ca.certPem.trim() !== opts.ca.certPem.trim())) {
        ca = opts.ca;
        writePair(p.caCrt, p.caKey, ca);
        // A different CA invalidates everything signed by the old one.
        for (const f of [p.apiserverCrt, p.kubeletClientCrt]) fs.rmSync(f, { force: true });
        for (const f of fs.readdirSync(opts.dir))
            if (f.endsWith(".conf")) fs.rmSync(path.join(opts.dir, f), { force: true });
    }
    if (!ca) {
        ca = await createCertificateAuthority("kubernetes", 3650);
        writePair(p.caCrt, p.caKey, ca);
    }
    // The serving certificate is re-minted when the wanted names are not all in it (e.g. a new address).
    const alt = apiServerAltNames(opts);
    const existing = readPair(p.apiserverCrt, p.apiserverKey);
    if (!existing || !certCovers(existing.certPem, alt)) {
        writePair(
            p.apiserverCrt,
            p.apiserverKey,
            await issueCertificate(ca, { commonName: "kube-apiserver", ...alt, usages: ["server"], validity: 365 }),
        );
    }
    if (!readPair(p.kubeletClientCrt, p.kubeletClientKey)) {
        writePair(
            p.kubeletClientCrt,
            p.kubeletClientKey,
            await issueCertificate(ca, {
                commonName: "kube-apiserver-kubelet-client",
                organizations: [CLUSTER_ADMINS_GROUP],
                usages: ["client"],
                validity: 365,
            }),
        );
    }
    if (!fs.existsSync(p.saKey) || !fs.existsSync(p.saPub)) {
        const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
        writeSecretFile(p.saKey, privateKey.export({ type: "pkcs1", format: "pem" }) as string);
        fs.writeFileSync(p.saPub, publicKey.export({ type: "spki", format: "pem" }) as string);
    }
    fs.mkdirSync(path.dirname(p.etcdCa), { recursive: true, mode: 0o700 });
    fs.writeFileSync(p.etcdCa, opts.etcd.ca);
    fs.writeFileSync(p.etcdCrt, opts.etcd.cert);
    writeSecretFile(p.etcdKey, opts.etcd.key);
    return { paths: p, ca };
}

function certCovers(certPem: string, alt: { dnsNames: string[]; ipAddresses: string[] }): boolean {
    try {
        const c = new crypto.X509Certificate(certPem);
        if (c.validTo && new Date(c.validTo).getTime() < Date.now() + 86_400_000) return false;
        const san = c.subjectAltName ?? "";
        return (
            alt.dnsNames.every((d) => san.includes(`DNS:${d}`)) &&
            alt.ipAddresses.every((ip) => san.includes(`IP Address:${ip}`))
        );
    } catch {
        return false;
    }
}

/** A client certificate for a kubeconfig, signed by the tenant CA. */
export function clientCertificate(
    ca: CertificateAndKey,
    commonName: string,
    organizations: string[] = [],
): Promise<CertificateAndKey> {
    return issueCertificate(ca, { commonName, organizations, usages: ["client"], validity: 365 });
}
