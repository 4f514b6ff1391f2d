// The connection arguments as the SSH client takes them: checked before any network traffic, and
// their secrets listed for redaction.
import { ConnectionArgs } from "../../model/connection";
import { SshError } from "./errors";
import { InvalidProperty, PropertyError } from "../../model/rules/propertyError";
import { parsePublicKey, privateKeyReason } from "./logic";

export type { ConnectionArgs } from "../../model/connection";

/** Secrets of a connection (and its bastion), for redaction. */
export function connectionSecrets(a: ConnectionArgs | undefined): string[] {
    if (!a) return [];
    return [a.privateKey, a.passphrase, a.password, ...connectionSecrets(a.bastion)].filter(
        (s): s is string => typeof s === "string" && s !== "",
    );
}

/**
 * The first problem of connection arguments (the bastion's after the host's), or undefined:
 * checked before any network traffic.
 */
export function connectionProblem(a: ConnectionArgs, prefix: string = "connection"): PropertyError | undefined {
    const at = (path: string, reason: string): PropertyError => ({ propertyPath: path, reason });
    if (!a || typeof a.address !== "string" || a.address.trim() === "")
        return at(`${prefix}.address`, "required (a host name or IP address)");
    if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535))
        return at(`${prefix}.port`, `must be an integer 1..65535, got ${JSON.stringify(a.port)}`);
    if (a.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(a.user))
        return at(`${prefix}.user`, `not a valid user name: ${JSON.stringify(a.user)}`);
    if (!a.privateKey && !a.password && !a.agent)
        return at(prefix, "no credentials; set privateKey, password or agent");
    const keyReason = a.privateKey ? privateKeyReason(a.privateKey, a.passphrase) : undefined;
    if (keyReason) return at(`${prefix}.privateKey`, keyReason);
    if (a.hostKey !== undefined && a.hostKey !== "") {
        try {
            parsePublicKey(a.hostKey, `${prefix}.hostKey`);
        } catch (e) {
            if (e instanceof InvalidProperty) return e;
            throw e;
        }
    }
    return a.bastion ? connectionProblem(a.bastion, `${prefix}.bastion`) : undefined;
}

/** Validates connection arguments before any network traffic; throws naming the property. */
export function validateConnection(a: ConnectionArgs, prefix: string = "connection"): void {
    const p = connectionProblem(a, prefix);
    if (p) throw new SshError(`${p.propertyPath}: ${p.reason}`, "config");
}
