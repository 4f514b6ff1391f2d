// The one error type of the SSH client: `kind` says what failed, so callers can decide.
import { ConnectFailureKind } from "./logic";

/** What failed: connecting (dial, auth, host-key, config, other), or the command run on the host. */
export type SshErrorKind = ConnectFailureKind | "command" | "sudo" | "timeout" | "connection-lost";

/** An error from the SSH client; `kind` says what failed, `details` carries redacted output and codes. */
export class SshError extends Error {
    constructor(
        message: string,
        public readonly kind: SshErrorKind,
        public readonly details: Record<string, unknown> = {},
    ) {
        super(message);
        this.name = "SshError";
    }
}
