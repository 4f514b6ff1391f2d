// A PreparedHost's connection as it is kept: what may be shown (outputs) apart from what is secret.
import { withConnectionDefaults } from "../../model/connection";
import { parsePublicKey } from "../../lib/ssh/logic";

/** The non-secret connection fields kept in outputs. */
export interface PublicConnection {
    address: string;
    port: number;
    user: string;
    hostKey?: string;
    trustOnFirstUse: boolean;
    agent?: string | boolean;
    bastion?: PublicConnection;
}

export interface SecretConnection {
    privateKey?: string;
    passphrase?: string;
    password?: string;
    bastion?: SecretConnection;
}

/** Splits a connection input into what may be shown and what is secret. */
export function splitConnection(c: any): { pub: PublicConnection; sec: SecretConnection } {
    const { port, user } = withConnectionDefaults(c);
    const pub: PublicConnection = {
        address: c.address,
        port,
        user,
        trustOnFirstUse: !!c.trustOnFirstUse,
    };
    if (c.hostKey) pub.hostKey = parsePublicKey(c.hostKey, "connection.hostKey").line;
    if (c.agent !== undefined && c.agent !== false) pub.agent = c.agent;
    const sec: SecretConnection = {};
    for (const k of ["privateKey", "passphrase", "password"] as const) if (c[k]) sec[k] = c[k];
    if (c.bastion) {
        const b = splitConnection(c.bastion);
        pub.bastion = b.pub;
        sec.bastion = b.sec;
    }
    return { pub, sec };
}

/** Joins them back into connection arguments for lib/ssh. */
export function joinConnection(pub: PublicConnection, sec: SecretConnection = {}): any {
    const out: any = { address: pub.address, port: pub.port, user: pub.user, trustOnFirstUse: pub.trustOnFirstUse };
    if (pub.hostKey) out.hostKey = pub.hostKey;
    if (pub.agent !== undefined) out.agent = pub.agent;
    for (const k of ["privateKey", "passphrase", "password"] as const) if (sec[k]) out[k] = sec[k];
    if (pub.bastion) out.bastion = joinConnection(pub.bastion, sec.bastion ?? {});
    return out;
}
