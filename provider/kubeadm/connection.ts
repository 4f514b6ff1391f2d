/** The SSH connection of a NodeJoin, with the host keys recorded at creation pinned. */
import { ConnectionArgs } from "../../lib/ssh/client";
import { parsePublicKey, pinRecordedHostKey, pinRecordedHostKeys } from "../../lib/ssh/logic";

export function connectionOf(inputs: any): ConnectionArgs {
    return inputs.connection as ConnectionArgs;
}

/** The connection with the keys recorded at creation (the host's, the bastion's) pinned unless set. */
export function pinnedConnectionOf(
    props: any,
    recorded: { hostKey?: string; bastionHostKey?: string },
): ConnectionArgs {
    return pinRecordedHostKeys(connectionOf(props), recorded.hostKey, recorded.bastionHostKey);
}

/**
 * The host key a connection pins, as "type base64": its hostKey, else the key recorded at creation
 * (trust on first use). Unparsable keys are returned as they are (check reports them).
 */
export function pinnedHostKey(connection: { hostKey?: string } | undefined, recorded?: string): string | undefined {
    const key = pinRecordedHostKey(connection ?? {}, recorded).hostKey;
    try {
        return key ? parsePublicKey(key).line : undefined;
    } catch {
        return key;
    }
}
