// The images the real Kamaji v1.0.0 operator runs, each one static binary from the toolchain, put
// where Kamaji's generated pod specs (and the kubeadm v1.30 addon manifests it renders) run it:
//
//   kube-apiserver, kube-controller-manager, kube-scheduler  command is the bare name, so the binary
//                           sits on the image's PATH (/usr/local/bin, as upstream's images have it)
//   proxy-server, proxy-agent  command "/proxy-server" / "/proxy-agent"
//   coredns                 no command, args "-conf /etc/coredns/Corefile": the entrypoint is /coredns
//   kamaji                  migrate Jobs run command "/kamaji"; the manager is started the same way
//
// Tags follow upstream: the Kubernetes images at the tenant's `spec.kubernetes.version`, the others
// at "v<version>". Kamaji pulls docker.io/clastix/kamaji as `clastix/kamaji:<tag>` (--migrate-image).
import * as fs from "fs";
import * as path from "path";
import type { ImageSpec } from "./buildOptions";
import { ImageEntry } from "./oci";
import { REPO, toolchainCache } from "./toolchain";

export interface OperatorVersions {
    /** Tenant Kubernetes versions, e.g. ["1.29.15", "1.30.2"]. */
    tenantKubernetes: string[];
    kamaji: string;
    konnectivity: string;
    coredns: string;
}

/** The PATH Kamaji's bare command names are looked up in (the runtime resolves them with it). */
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const CONTROL_PLANE_COMMANDS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/**
 * The toolchain's binary `name` of `family` at `version` (e.g. "kubernetes", "1.30.2",
 * "kube-apiserver"): <cache>/<family>-<version>/bin/<name>, else, for Kubernetes, the repository's
 * bin/kubernetes/v<version>/<name>. Undefined when neither exists.
 */
export function findToolchainBinary(family: string, version: string, name: string): string | undefined {
    const v = version.replace(/^v/, "");
    const candidates = [path.join(toolchainCache(), `${family}-${v}`, "bin", name)];
    if (family === "kubernetes") candidates.push(path.join(REPO, "bin", "kubernetes", `v${v}`, name));
    return candidates.find(isExecutable);
}

/** A scratch image of one static binary at `binPath`, started as `entrypoint`, with a writable /tmp. */
function binaryImage(kind: string, reference: string, source: string, binPath: string, ports?: string[]): ImageSpec {
    const entries: ImageEntry[] = [
        { path: binPath, source, mode: 0o755 },
        { path: "/tmp", directory: true, mode: 0o1777 },
    ];
    return {
        kind,
        references: [reference],
        entries,
        config: { entrypoint: [binPath], env: [PATH_ENV], ...(ports ? { exposedPorts: ports } : {}) },
    };
}

/**
 * The operator's image specs for the kinds `want` selects ("control-plane", "konnectivity",
 * "coredns", "kamaji"); what the toolchain lacks is listed in `missing`, as build.ts reports it.
 */
export function operatorImageSpecs(
    versions: OperatorVersions,
    want: (kind: string) => boolean,
    find: typeof findToolchainBinary = findToolchainBinary,
): { specs: ImageSpec[]; missing: string[] } {
    const specs: ImageSpec[] = [];
    const missing: string[] = [];
    const add = (
        kind: string,
        reference: string,
        family: string,
        version: string,
        name: string,
        binPath: string,
        ports?: string[],
    ) => {
        const source = find(family, version, name);
        if (source) specs.push(binaryImage(kind, reference, source, binPath, ports));
        else missing.push(`${reference} (no ${name} v${version} in the toolchain)`);
    };
    const tag = (v: string) => `v${v.replace(/^v/, "")}`;
    if (want("control-plane")) {
        for (const v of versions.tenantKubernetes) {
            for (const cmd of CONTROL_PLANE_COMMANDS) {
                add("control-plane", `registry.k8s.io/${cmd}:${tag(v)}`, "kubernetes", v, cmd, `/usr/local/bin/${cmd}`);
            }
        }
    }
    if (want("konnectivity")) {
        for (const name of ["proxy-server", "proxy-agent"]) {
            const ref = `registry.k8s.io/kas-network-proxy/${name}:${tag(versions.konnectivity)}`;
            add("konnectivity", ref, "konnectivity", versions.konnectivity, name, `/${name}`);
        }
    }
    if (want("coredns")) {
        const ref = `registry.k8s.io/coredns/coredns:${tag(versions.coredns)}`;
        add("coredns", ref, "coredns", versions.coredns, "coredns", "/coredns", ["53/tcp", "53/udp"]);
    }
    if (want("kamaji")) {
        const ref = `docker.io/clastix/kamaji:${tag(versions.kamaji)}`;
        add("kamaji", ref, "kamaji", versions.kamaji, "kamaji", "/kamaji");
    }
    return { specs, missing };
}
