// The versions the lab's images are built at: the package's, and those of scripts/versions.env.
import * as fs from "fs";
import * as path from "path";
import { OperatorVersions } from "./operatorImages";
import { REPO } from "./toolchain";

export function packageVersion(): string {
    return JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
}

/** One variable of scripts/versions.env (its value without quotes), or "". */
export function versionsEnv(key: string): string {
    const env = fs.readFileSync(path.join(REPO, "scripts", "versions.env"), "utf8");
    return env.match(new RegExp(`^${key}="?([^"\\n]*)"?`, "m"))?.[1] ?? "";
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/**
 * Kubernetes versions of scripts/versions.env: KUBERNETES_VERSION, KUBERNETES_UPGRADE_VERSIONS and
 * TENANT_KUBERNETES_VERSIONS (the tenants' kube-proxy DaemonSet runs at the tenant's version).
 */
export function labKubeVersions(): string[] {
    const all = [
        versionsEnv("KUBERNETES_VERSION"),
        ...words(versionsEnv("KUBERNETES_UPGRADE_VERSIONS")),
        ...words(versionsEnv("TENANT_KUBERNETES_VERSIONS")),
    ];
    return [...new Set(all.filter(Boolean))];
}

/** The versions of the operator's images, from scripts/versions.env. */
export function labOperatorVersions(): OperatorVersions {
    return {
        tenantKubernetes: words(versionsEnv("TENANT_KUBERNETES_VERSIONS")),
        kamaji: versionsEnv("KAMAJI_VERSION"),
        konnectivity: versionsEnv("KONNECTIVITY_VERSION"),
        coredns: versionsEnv("COREDNS_VERSION"),
    };
}
