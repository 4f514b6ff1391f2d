// Host key verification for ssh2's hostVerifier: the pinned key must match exactly; without one,
// only trust on first use accepts. The refusal says what to do, since ssh2's own error does not.
import { ConnectionWithDefaults } from "../../model/connection";
import { SshError } from "./errors";
import { fingerprint, PublicKey, publicKeyFromBlob, sameKey } from "./logic";

/** The verifier for one dial attempt, with what it saw: the presented key and, if refused, why. */
export interface HostKeyCheck {
    verify: (key: Buffer) => boolean;
    presented?: Buffer;
    error?: SshError;
}

export function hostKeyCheck(host: ConnectionWithDefaults, pinned: PublicKey | undefined): HostKeyCheck {
    const check: HostKeyCheck = {
        verify: (key) => {
            check.presented = Buffer.from(key);
            check.error = hostKeyRefusal(host, pinned, key);
            return !check.error;
        },
    };
    return check;
}

/** Why the presented key is refused, or undefined when it is accepted. A pinned key wins over trustOnFirstUse. */
function hostKeyRefusal(
    host: ConnectionWithDefaults,
    pinned: PublicKey | undefined,
    key: Buffer,
): SshError | undefined {
    const where = `${host.address}:${host.port}`;
    const fp = fingerprint(key);
    const presented = publicKeyFromBlob(key);
    if (pinned) {
        if (sameKey(pinned, key)) return undefined;
        return new SshError(
            `host key mismatch for ${where}: expected ${fingerprint(pinned)} (${pinned.type}) ` +
                `from connection.hostKey, but the host presented ${fp} (${presented.type}). ` +
                `Either the host was reinstalled or someone is intercepting the connection; verify the key out of band ` +
                `and update hostKey only if the change is expected`,
            "host-key",
            { expected: fingerprint(pinned), presented: fp, presentedKey: presented.line },
        );
    }
    if (host.trustOnFirstUse) return undefined;
    return new SshError(
        `no hostKey for ${where}: set connection.hostKey to the host's public key ` +
            `(get it out of band, e.g. \`ssh-keyscan -t ed25519 ${host.address}\` from a trusted network, or ` +
            `/etc/ssh/ssh_host_ed25519_key.pub on the host), or set trustOnFirstUse: true to accept the presented key ` +
            `once and record it. The host presented ${fp}`,
        "host-key",
        { presented: fp, presentedKey: presented.line },
    );
}
