// PreparedHost's inputs made whole: the defaults applied once (normalizePrep), and which of the
// values are secret.
import { parseRecordedVersion } from "../../model/version";
import { validatePrep } from "./inputRules";
import { DEFAULT_CONTAINERD_VERSION, NormalizedPrep, PackageSource, PrepArgs, RegistryCredential } from "./inputs";

/** The pause image kubeadm expects for a Kubernetes minor version. */
export function defaultPauseImage(kubernetesVersion: string): string {
    const minor = parseRecordedVersion(kubernetesVersion)?.minor ?? 0;
    const tag = minor >= 34 ? "3.10.1" : minor >= 31 ? "3.10" : "3.9";
    return `registry.k8s.io/pause:${tag}`;
}

/** Defaults applied; throws on invalid input. */
export function normalizePrep(a: PrepArgs): NormalizedPrep {
    const failures = validatePrep(a);
    if (failures.length) throw new Error(failures.map((x) => `${x.propertyPath}: ${x.reason}`).join("\n"));
    const kv = parseRecordedVersion(a.kubernetesVersion)!;
    const kubernetesVersion = `${kv.major}.${kv.minor}.${kv.patch}`;
    const c = a.containerd ?? {};
    const mirrors: Record<string, string[]> = {};
    for (const k of Object.keys(c.registryMirrors ?? {}).sort()) mirrors[k] = [...c.registryMirrors![k]];
    const creds: Record<string, RegistryCredential> = {};
    for (const k of Object.keys(c.registryCredentials ?? {}).sort()) creds[k] = c.registryCredentials![k];
    let packageSource: PackageSource;
    if (a.packageSource.kind === "apt") {
        const s = a.packageSource;
        const repository = s.repository ?? `https://pkgs.k8s.io/core:/stable:/v${kv.major}.${kv.minor}/deb/`;
        packageSource = {
            kind: "apt",
            repository,
            signingKeyUrl: s.signingKeyUrl ?? repository.replace(/\/?$/, "/") + "Release.key",
            containerdPackage: s.containerdPackage ?? "containerd",
            ...(s.containerdRepository
                ? { containerdRepository: s.containerdRepository, containerdSigningKeyUrl: s.containerdSigningKeyUrl }
                : {}),
        };
    } else {
        const s = a.packageSource;
        packageSource = {
            kind: "bundle",
            ...(s.path ? { path: s.path } : { url: s.url }),
            ...(s.sha256 ? { sha256: s.sha256 } : {}),
        };
    }
    return {
        kubernetesVersion,
        containerd: {
            version: c.version ?? DEFAULT_CONTAINERD_VERSION,
            pauseImage: c.pauseImage ?? defaultPauseImage(kubernetesVersion),
            registryMirrors: mirrors,
            registryCredentials: creds,
            cgroupDriver: c.cgroupDriver ?? "systemd",
            restrictOOMScoreAdj: c.restrictOOMScoreAdj ?? false,
        },
        packageSource,
    };
}

/** Strings that must never appear in logs or errors: the registry credentials (and their encodings), the bundle URL. */
export function prepSecrets(p: NormalizedPrep): string[] {
    const out: string[] = [];
    if (p.packageSource.kind === "bundle" && p.packageSource.url) out.push(p.packageSource.url);
    for (const c of Object.values(p.containerd.registryCredentials)) {
        const x = c as any;
        for (const v of [x.password, x.auth, x.identityToken]) if (typeof v === "string" && v) out.push(v);
        if (x.username && x.password) out.push(Buffer.from(`${x.username}:${x.password}`).toString("base64"));
    }
    return out;
}
