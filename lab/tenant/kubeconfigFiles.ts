// The tenant's kubeconfig files (super-admin, admin, controller-manager, scheduler), minted once
// and reused while they still name the same server and CA.
import * as fs from "fs";
import * as path from "path";
import { CertificateAndKey } from "../../lib/pki";
import { renderKubeconfig } from "./kubeconfig";
import { CLUSTER_ADMINS_GROUP, clientCertificate, writeSecretFile } from "./pki";

async function ensureKubeconfig(
    file: string,
    server: string,
    name: string,
    ca: CertificateAndKey,
    user: string,
    orgs: string[],
): Promise<string> {
    if (fs.existsSync(file)) {
        const text = fs.readFileSync(file, "utf8");
        if (text.includes(`server: ${server}`) && text.includes(Buffer.from(ca.certPem).toString("base64")))
            return text;
    }
    const cert = await clientCertificate(ca, user, orgs);
    const text = renderKubeconfig({
        clusterName: name,
        server,
        caPem: ca.certPem,
        userName: user,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
    });
    writeSecretFile(file, text);
    return text;
}

export interface TenantKubeconfigs {
    superAdmin: string;
    admin: string;
    controllerManager: string;
}

/** Writes each missing or stale kubeconfig under `dir`; returns the texts the caller hands out. */
export async function ensureTenantKubeconfigs(
    dir: string,
    server: string,
    name: string,
    ca: CertificateAndKey,
): Promise<TenantKubeconfigs> {
    const superAdmin = await ensureKubeconfig(
        path.join(dir, "super-admin.conf"),
        server,
        name,
        ca,
        "kubernetes-super-admin",
        ["system:masters"],
    );
    const admin = await ensureKubeconfig(path.join(dir, "admin.conf"), server, name, ca, "kubernetes-admin", [
        CLUSTER_ADMINS_GROUP,
    ]);
    const controllerManager = await ensureKubeconfig(
        path.join(dir, "controller-manager.conf"),
        server,
        name,
        ca,
        "system:kube-controller-manager",
        [],
    );
    await ensureKubeconfig(path.join(dir, "scheduler.conf"), server, name, ca, "system:kube-scheduler", []);
    return { superAdmin, admin, controllerManager };
}
