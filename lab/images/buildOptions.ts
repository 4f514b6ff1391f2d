// What a build of the lab's images is asked for (see build.ts), and one image to build.
import { ImageConfig, ImageEntry } from "./oci";

/** One image to build: its files, config, and the references it is pushed under. */
export interface ImageSpec {
    /** Short name (`pause`, `workload`, `podnet`, `kube-proxy`), what --only selects. */
    kind: string;
    references: string[];
    entries: ImageEntry[];
    config: ImageConfig;
}

export interface BuildOptions {
    registry: string;
    only?: string[];
    /** kube-proxy versions. Defaults to every version in scripts/versions.env (labKubeVersions). */
    kubeVersions?: string[];
    /** Tenant control plane versions. Defaults to TENANT_KUBERNETES_VERSIONS. */
    tenantVersions?: string[];
    /** version → kube-proxy binary, overriding the toolchain lookup. */
    kubeProxy?: Record<string, string>;
    iptablesRoot?: string;
    cacheDir?: string;
    skipMissing?: boolean;
    /**
     * An agnhost binary (k8s.io/kubernetes test/images/agnhost) and the version it is, pushed as
     * registry.k8s.io/e2e-test-images/agnhost:<version>. Optional: the workload is hcp-lab/echo.
     */
    agnhost?: { path: string; version: string };
    log?: (msg: string) => void;
}
