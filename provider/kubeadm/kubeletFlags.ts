/**
 * kubeadm-flags.env, where kubeadm writes the kubelet's flags: read as sh and systemd read it, and
 * rewritten when kubeletExtraArgs or labels change, kubeadm's own flags kept.
 */
import { JoinSpec, kubeletArgs } from "./joinConfiguration";
import { KUBELET_FLAGS_ENV } from "./hostPaths";

const FLAGS_VAR = "KUBELET_KUBEADM_ARGS";
const FLAGS_LINE = new RegExp(`^\\s*(export\\s+)?${FLAGS_VAR}=(.*)$`);

/** A value as sh and systemd's EnvironmentFile read it: "double" (with \\ escapes), 'single' or bare. */
function unquote(raw: string): string {
    let out = "";
    let i = 0;
    while (i < raw.length) {
        const c = raw[i];
        if (c === '"') {
            i++;
            while (i < raw.length && raw[i] !== '"') {
                if (raw[i] === "\\" && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1])) i++;
                out += raw[i++];
            }
            if (i >= raw.length) throw new Error(`${KUBELET_FLAGS_ENV}: ${FLAGS_VAR} has an unterminated double quote`);
            i++;
        } else if (c === "'") {
            const end = raw.indexOf("'", i + 1);
            if (end < 0) throw new Error(`${KUBELET_FLAGS_ENV}: ${FLAGS_VAR} has an unterminated single quote`);
            out += raw.slice(i + 1, end);
            i = end + 1;
        } else if (c === "\\" && i + 1 < raw.length) {
            out += raw[i + 1];
            i += 2;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

/** The kubelet's arguments in kubeadm-flags.env, split at whitespace as systemd splits $KUBELET_KUBEADM_ARGS. */
export function parseKubeletFlagsEnv(content: string): string[] {
    const line = content
        .split("\n")
        .map((l) => FLAGS_LINE.exec(l))
        .filter((m) => m)
        .pop();
    return line ? unquote(line[2].trim()).split(/\s+/).filter(Boolean) : [];
}

/** kubeadm-flags.env with KUBELET_KUBEADM_ARGS set to `args`, double-quoted as kubeadm writes it; other lines kept. */
export function renderKubeletFlagsEnv(content: string, args: string[]): string {
    const line = `${FLAGS_VAR}="${args.join(" ").replace(/["\\$`]/g, "\\$&")}"`;
    const lines = content.replace(/\n$/, "").split("\n");
    let last = -1;
    lines.forEach((l, i) => {
        if (FLAGS_LINE.test(l)) last = i;
    });
    if (last >= 0) lines[last] = line;
    else if (lines.length === 1 && lines[0] === "") lines[0] = line;
    else lines.push(line);
    return lines.join("\n") + "\n";
}

/** "--name=value" or "--name" → name; anything else (kubeadm writes no such word) → undefined. */
function flagName(arg: string): string | undefined {
    return /^--([^=]+)/.exec(arg)?.[1];
}

/**
 * The kubelet's arguments after a kubeletExtraArgs change: the previous extra flags dropped, the
 * new ones set (in place when kubeadm wrote that flag too, else appended), --node-labels as the
 * labels define it; kubeadm's own flags kept as they are.
 */
export function kubeletFlagsAfter(
    current: string[],
    previousExtraArgs: Record<string, string> | undefined,
    desired: Pick<JoinSpec, "labels" | "kubeletExtraArgs">,
): string[] {
    const want = kubeletArgs(desired);
    const drop = new Set([...Object.keys(previousExtraArgs ?? {}), "node-labels"]);
    const placed = new Set<string>();
    const out: string[] = [];
    for (const arg of current) {
        const name = flagName(arg);
        if (name !== undefined && name in want) {
            if (!placed.has(name)) out.push(`--${name}=${want[name]}`);
            placed.add(name);
        } else if (name === undefined || !drop.has(name)) {
            out.push(arg);
        }
    }
    for (const name of Object.keys(want).sort()) if (!placed.has(name)) out.push(`--${name}=${want[name]}`);
    return out;
}

/** kubeadm-flags.env rewritten for the new kubeletExtraArgs and labels (see kubeletFlagsAfter). */
export function rewriteKubeletFlagsEnv(
    content: string,
    previousExtraArgs: Record<string, string> | undefined,
    desired: Pick<JoinSpec, "labels" | "kubeletExtraArgs">,
): string {
    return renderKubeletFlagsEnv(content, kubeletFlagsAfter(parseKubeletFlagsEnv(content), previousExtraArgs, desired));
}
