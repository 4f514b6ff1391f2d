/** The kubelet's files kubeadm reads on a join or upgrade: the flags file and the configuration patch. */
import { SshConnection, SshError } from "../../lib/ssh/client";
import { KUBELET_FLAGS_ENV, KUBELET_PATCH_PATH, PATCHES_DIR } from "./hostPaths";
import { renderKubeletPatch } from "./joinConfiguration";
import { rewriteKubeletFlagsEnv } from "./kubeletFlags";

/** Reads kubeadm-flags.env; a missing file means kubeadm did not join this host (or it was reset by hand). */
async function readKubeletFlags(ssh: SshConnection): Promise<string> {
    try {
        return (await ssh.exec(["sh", "-c", 'test -f "$1" || exit 3; cat -- "$1"', "sh", KUBELET_FLAGS_ENV])).stdout;
    } catch (e) {
        if (e instanceof SshError && e.kind === "command" && e.details.code === 3) {
            throw new Error(
                `kubeletExtraArgs: ${KUBELET_FLAGS_ENV} is missing on ${ssh.target}, so the host was not joined by kubeadm ` +
                    `or was reset by hand; run \`pulumi refresh\` or replace the NodeJoin`,
            );
        }
        throw e;
    }
}

/** Writes kubeadm-flags.env for the new kubeletExtraArgs and labels (temp file + rename); the kubelet reads it on restart. */
export async function writeKubeletFlags(ssh: SshConnection, olds: any, news: any): Promise<void> {
    const content = await readKubeletFlags(ssh);
    let next: string;
    try {
        next = rewriteKubeletFlagsEnv(content, olds.kubeletExtraArgs, news);
    } catch (e) {
        throw new Error(
            `kubeletExtraArgs: cannot rewrite the kubelet's flags on ${ssh.target}: ${(e as Error).message}; ` +
                `fix the file as kubeadm writes it (KUBELET_KUBEADM_ARGS="--flag=value ...") and retry`,
        );
    }
    if (next !== content) await ssh.upload({ path: KUBELET_FLAGS_ENV, content: next, mode: "0644" });
}

/** The kubeletConfiguration patch kubeadm applies (join, upgrade): written, or removed when there is none. */
export async function writeKubeletPatch(ssh: SshConnection, inputs: any): Promise<void> {
    const patch = renderKubeletPatch(inputs.kubeletConfiguration);
    if (patch) await ssh.upload({ path: KUBELET_PATCH_PATH, content: patch, mode: "0644" });
    else await ssh.exec(["rm", "-rf", PATCHES_DIR]);
}

/** `--patches` for kubeadm commands that write the kubelet's configuration. */
export const patchesFlag = (inputs: any) =>
    renderKubeletPatch(inputs.kubeletConfiguration) ? [`--patches=${PATCHES_DIR}`] : [];
