/** The SSH connection inputs shared by PreparedHost and NodeJoin. */
import * as pulumi from "@pulumi/pulumi";

export interface HostConnection {
    address: pulumi.Input<string>;
    /** Default 22. */
    port?: pulumi.Input<number>;
    /** Default "root"; another user needs passwordless sudo. */
    user?: pulumi.Input<string>;
    privateKey?: pulumi.Input<string>;
    passphrase?: pulumi.Input<string>;
    password?: pulumi.Input<string>;
    /** An SSH agent socket path, or true for $SSH_AUTH_SOCK of the Pulumi process. */
    agent?: pulumi.Input<string | boolean>;
    /** The host's public key, "ssh-ed25519 AAAA..." (see /etc/ssh/ssh_host_ed25519_key.pub). */
    hostKey?: pulumi.Input<string>;
    /** Without hostKey: accept the key presented at creation and pin it from then on. */
    trustOnFirstUse?: pulumi.Input<boolean>;
    bastion?: HostConnection;
}

/** The connection with its credentials (also the bastion's) wrapped as secrets, the rest left plain for previews. */
export function secretConnection(c: HostConnection): pulumi.Inputs {
    const s = <T>(v: pulumi.Input<T> | undefined) => (v === undefined ? undefined : pulumi.secret(v));
    return {
        address: c.address,
        port: c.port,
        user: c.user,
        privateKey: s(c.privateKey),
        passphrase: s(c.passphrase),
        password: s(c.password),
        agent: c.agent,
        hostKey: c.hostKey,
        trustOnFirstUse: c.trustOnFirstUse,
        bastion: c.bastion ? secretConnection(c.bastion) : undefined,
    };
}

/**
 * A worker host made ready for `kubeadm join` over SSH: swap off, kernel modules and sysctls,
 * containerd (systemd cgroups, pause image, registry mirrors and credentials), kubelet, kubeadm and
 * kubectl at the pinned version, kubelet enabled. Preparation is idempotent; an update re-runs it and
 * reports which steps changed. Changing the address or port replaces the resource.
 */
