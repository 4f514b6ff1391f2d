/**
 * What is on the host before a join: nothing, the state of a join cut short, another cluster's
 * node state, or a kubelet.conf (the host is joined already, to this cluster or another).
 */
import { SshConnection } from "../../lib/ssh/client";
import { readOwner } from "../ownership";
import { KUBELET_CONF, JOIN_MARKER, NODE_STATE_FILES, OWNER_PATH } from "./hostPaths";
import { DEFAULT_CRI_SOCKET } from "./joinConfiguration";
import { KUBEADM_RESET_TIMEOUT_MS } from "./timeouts";

export async function hasKubeletConf(ssh: SshConnection): Promise<boolean> {
    return (await ssh.exec(["test", "-f", KUBELET_CONF], { check: false })).code === 0;
}

/** Whether a join of this package began here and did not finish (its marker is there). */
export async function joinStarted(ssh: SshConnection): Promise<boolean> {
    return (await ssh.exec(["test", "-f", JOIN_MARKER], { check: false })).code === 0;
}

/** The node state files kubeadm left on the host (no kubelet.conf: a join cut short, or another cluster's). */
export async function nodeStateFiles(ssh: SshConnection): Promise<string[]> {
    const r = await ssh.exec(
        ["sh", "-c", 'for f; do [ -e "$f" ] && echo "$f"; done; true', "sh", ...NODE_STATE_FILES],
        {
            check: false,
        },
    );
    return r.stdout.split("\n").filter((l) => l !== "");
}

/** `kubeadm reset -f`: the host's node state wiped, kubelet stopped. */
export async function kubeadmReset(ssh: SshConnection, inputs: { criSocket?: string }): Promise<void> {
    await ssh.exec(["kubeadm", "reset", "-f", "--cri-socket", inputs.criSocket ?? DEFAULT_CRI_SOCKET], {
        timeoutMs: KUBEADM_RESET_TIMEOUT_MS,
    });
}

/**
 * A host already joined (kubelet.conf present) becomes this resource's when it is joined to this
 * cluster as this Node: another resource of the stack that joined it (the program renamed or
 * re-addressed the host) then finds it claimed and leaves it alone on delete. Joined elsewhere, it
 * is refused: taking it over would leave its cluster with a Node that this stack resets.
 */
export async function adopt(ssh: SshConnection, inputs: any): Promise<string> {
    const rec = await readOwner(ssh, OWNER_PATH);
    if (rec) {
        if (rec.caCertHash !== inputs.caCertHash || rec.nodeName !== inputs.nodeName)
            throw new Error(
                `connection.address: ${ssh.target} is joined as Node ${rec.nodeName} to a cluster whose CA is ${rec.caCertHash} ` +
                    `(another NodeJoin, recorded in ${OWNER_PATH}), not as Node ${inputs.nodeName} to this one (${inputs.caCertHash}). ` +
                    `Remove the host from the pool that joined it and run \`pulumi up\` first, then add it here`,
            );
        return "already joined (kubelet.conf present, joined to this cluster as this Node); join skipped";
    }
    // Joined before owner records existed, or by hand: this cluster's API server only.
    const conf = (await ssh.exec(["cat", "--", KUBELET_CONF])).stdout;
    const server = /^\s*server:\s*(\S+)\s*$/m.exec(conf)?.[1];
    if (server !== `https://${inputs.apiEndpoint}`)
        throw new Error(
            `connection.address: ${ssh.target} is joined to another cluster (its ${KUBELET_CONF} points to ${server ?? "no server"}, ` +
                `not https://${inputs.apiEndpoint}). Reset it from that cluster first (kubeadm reset -f), then run \`pulumi up\` again`,
        );
    return "already joined (kubelet.conf present); join skipped";
}
