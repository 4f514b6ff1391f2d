// The connection arguments as the SSH client takes them: checked before any network traffic, and
// their secrets listed for redaction.
import { ConnectionArgs } from "../../model/connection";
import { SshError } from "./errors";
import { parsePublicKey, privateKeyProblem } from "./logic";

export type { ConnectionArgs } from "../../model/connection";

/** Secrets of a connection (and its bastion), for redaction. */
export function connectionSecrets(a: ConnectionArgs | undefined): string[] {
    if (!a) return [];
    return [a.privateKey, a.passphrase, a.password, ...connectionSecrets(a.bastion)].filter(
        (s): s is string => typeof s === "string" && s !== "",
    );
}

/** Validates connection arguments before any network traffic; throws naming the property. */
export function validateConnection(a: ConnectionArgs, prefix: string = "connection"): void {
    if (!a || typeof a.address !== "string" || a.address.trim() === "") {
        throw new SshError(`${prefix}.address: required (a host name or IP address)`, "config");
    }
    if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535)) {
        throw new SshError(`${prefix}.port: must be an integer 1..65535, got ${JSON.stringify(a.port)}`, "config");
    }
    if (a.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(a.user)) {
        throw new SshError(`${prefix}.user: not a valid user name: ${JSON.stringify(a.user)}`, "config");
    }
    if (!a.privateKey && !a.password && !a.agent) {
        throw new SshError(`${prefix}: no credentials; set privateKey, password or agent`, "config");
    }
    if (a.privateKey) {
        const p = privateKeyProblem(a.privateKey, a.passphrase, `${prefix}.privateKey`);
        if (p) throw new SshError(p, "config");
    }
    if (a.hostKey !== undefined && a.hostKey !== "") {
        try {
            parsePublicKey(a.hostKey, `${prefix}.hostKey`);
        } catch (e) {
            throw new SshError((e as Error).message, "config");
        }
    }
    if (a.bastion) validateConnection(a.bastion, `${prefix}.bastion`);
}
