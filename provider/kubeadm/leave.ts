/** delete: the node leaves the cluster (cordon, drain, Node deleted) and the host is reset. */
import { KubeApiError, KubeClient } from "../../lib/kube/client";
import { SshConnection } from "../../lib/ssh/client";
import { owns, readOwner } from "../ownership";
import { connectionOf } from "./connection";
import { JOIN_CONFIG_PATH, JOIN_MARKER, OWNER_PATH, PATCHES_DIR } from "./hostPaths";
import { kubeadmReset } from "./hostState";
import { deleteNode, drain, setUnschedulable } from "./nodeOps";
import { drainTimeoutMs } from "./timeouts";

/** Cordons the Node; false when it is gone already. An unreachable tenant is an error that says what to do. */
async function cordon(client: KubeClient, props: any): Promise<boolean> {
    const name = props.nodeName;
    return setUnschedulable(client, name, true).catch((e) => {
        if (e instanceof KubeApiError && e.status === 0) {
            throw new Error(
                `cannot drain Node ${name}: the tenant API is unreachable (${e.message}). Bring the tenant back and retry; ` +
                    `if it is gone for good, reset the host by hand (kubeadm reset -f on ${connectionOf(props).address}) and drop this resource with \`pulumi state delete\``,
            );
        }
        throw e;
    });
}

/**
 * What reset leaves: CNI config, the backups `kubeadm upgrade node` keeps in /etc/kubernetes/tmp,
 * and the then empty directories kubeadm created. The CNI directory itself stays: a running
 * containerd watches it, and would not see the next join's network config in a new one.
 */
async function removeLeftovers(ssh: SshConnection): Promise<void> {
    await ssh.exec(["sh", "-c", 'rm -rf /etc/cni/net.d/* /etc/cni/net.d/.[!.]* "$@"', "sh", JOIN_CONFIG_PATH]);
    await ssh.exec(["rm", "-rf", JOIN_MARKER, "/etc/kubernetes/tmp", PATCHES_DIR, OWNER_PATH]);
    await ssh.exec(
        ["rmdir", "--ignore-fail-on-non-empty", "/etc/kubernetes/pki", "/etc/kubernetes", "/var/lib/kubelet"],
        {
            check: false,
        },
    );
}

/**
 * Leaves the cluster: cordon, drain, delete the Node (gone already is fine), `kubeadm reset -f`, CNI
 * config removed. Called once connected, so a host presenting another key is refused before the
 * Node is touched; a host that another NodeJoin has claimed since (its owner record is not this
 * resource's) is left as it is, Node included: it is that resource's now.
 */
export async function leave(ssh: SshConnection, client: KubeClient, props: any): Promise<void> {
    if (!owns(props.owner, await readOwner(ssh, OWNER_PATH))) return;
    if (await cordon(client, props)) {
        await drain(client, props.nodeName, drainTimeoutMs(props));
        await deleteNode(client, props.nodeName);
    }
    await kubeadmReset(ssh, props);
    await removeLeftovers(ssh);
}
