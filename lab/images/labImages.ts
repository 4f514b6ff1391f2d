// What the lab builds, given the selection (--only): one spec per image, and what cannot be built.
import { BuildOptions, ImageSpec } from "./buildOptions";
import { FileHashes } from "./files";
import { buildGoProgram } from "./goPrograms";
import { findIptablesRoot, findKubeProxy, kubeProxyEntries } from "./kubeProxyImage";
import { labKubeVersions, labOperatorVersions, packageVersion } from "./labVersions";
import { ImageConfig } from "./oci";
import { operatorImageSpecs } from "./operatorImages";

export const PAUSE_TAGS = ["3.10.1", "3.10", "3.9"];

type Log = (m: string) => void;

/** An image of one of the lab's Go programs: the static binary at /<binary>, as its entrypoint. */
function goProgramImage(
    kind: string,
    program: string,
    references: string[],
    config: ImageConfig,
    cacheDir: string,
    log: Log,
): ImageSpec {
    return {
        kind,
        references,
        entries: [{ path: `/${program}`, source: buildGoProgram(program, cacheDir, log), mode: 0o755 }],
        config,
    };
}

function agnhostImage(agnhost: { path: string; version: string }): ImageSpec {
    return {
        kind: "agnhost",
        references: [`registry.k8s.io/e2e-test-images/agnhost:${agnhost.version}`],
        entries: [
            { path: "/agnhost", source: agnhost.path, mode: 0o755 },
            { path: "/tmp", directory: true, mode: 0o1777 },
        ],
        config: { entrypoint: ["/agnhost"], cmd: ["pause"] },
    };
}

/** One kube-proxy image per version; a version without a binary or iptables goes to `missing`. */
function kubeProxyImages(opts: BuildOptions, cacheDir: string, hashes?: FileHashes) {
    const specs: ImageSpec[] = [];
    const missing: string[] = [];
    const root = opts.iptablesRoot ?? findIptablesRoot();
    for (const v of (opts.kubeVersions ?? labKubeVersions()).map((x) => x.replace(/^v/, ""))) {
        const bin = opts.kubeProxy?.[v] ?? findKubeProxy(v);
        if (!bin || !root) {
            missing.push(
                `registry.k8s.io/kube-proxy:v${v} (${!bin ? `no kube-proxy v${v} in the toolchain` : "no unpacked iptables: pass --iptables-root"})`,
            );
            continue;
        }
        specs.push({
            kind: "kube-proxy",
            references: [`registry.k8s.io/kube-proxy:v${v}`],
            entries: kubeProxyEntries(bin, root, hashes, cacheDir),
            config: {
                entrypoint: ["/usr/local/bin/kube-proxy"],
                env: [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "XTABLES_LIBDIR=/usr/lib/x86_64-linux-gnu/xtables",
                ],
            },
        });
    }
    return { specs, missing };
}

/** What to build, given the selection; what cannot be built is returned in `missing`. */
export function labImageSpecs(opts: BuildOptions, cacheDir: string, log: Log, hashes?: FileHashes) {
    const want = (k: string) => !opts.only || opts.only.includes(k);
    const version = packageVersion();
    const specs: ImageSpec[] = [];
    const missing: string[] = [];
    if (want("pause")) {
        const references = PAUSE_TAGS.map((t) => `registry.k8s.io/pause:${t}`);
        specs.push(goProgramImage("pause", "pause", references, { entrypoint: ["/pause"], env: [] }, cacheDir, log));
    }
    if (want("workload")) {
        const config = { entrypoint: ["/echo"], env: ["PORT=8080"], exposedPorts: ["8080/tcp"] };
        specs.push(goProgramImage("workload", "echo", [`hcp-lab/echo:${version}`], config, cacheDir, log));
    }
    if (opts.agnhost && want("agnhost")) specs.push(agnhostImage(opts.agnhost));
    if (want("podnet")) {
        const config = { entrypoint: ["/podnet"], env: [] };
        specs.push(goProgramImage("podnet", "podnet", [`hcp-lab/podnet:${version}`], config, cacheDir, log));
    }
    if (want("kube-proxy")) {
        const kubeProxy = kubeProxyImages(opts, cacheDir, hashes);
        specs.push(...kubeProxy.specs);
        missing.push(...kubeProxy.missing);
    }
    const operator = operatorImageSpecs(
        {
            ...labOperatorVersions(),
            ...(opts.tenantVersions ? { tenantKubernetes: opts.tenantVersions } : {}),
        },
        want,
    );
    specs.push(...operator.specs);
    missing.push(...operator.missing);
    return { specs, missing };
}
