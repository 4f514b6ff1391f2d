/** The SSH connection inputs shared by PreparedHost and NodeJoin. */
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../../model/connection";

/** Each field of T as a Pulumi Input. */
export type InputsOf<T> = { [K in keyof T]: pulumi.Input<NonNullable<T[K]>> };

/** A host's connection as resource inputs: the fields of ConnectionArgs, each may be a Pulumi Input. */
export interface HostConnection extends InputsOf<Omit<ConnectionArgs, "bastion">> {
    /** A jump host; the target is reached through a direct-tcpip channel from it. */
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
