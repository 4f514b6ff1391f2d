// The SSH client of the providers (npm ssh2): pinned host keys, retries for dial errors only,
// exec from quoted argv (with `sudo -n` for non-root users), uploads through stdin.
// One concept a file; this module gathers them for importers.
export { connect, withConnection } from "./connect";
export { ConnectionArgs, connectionProblem, connectionSecrets, validateConnection } from "./connectionArgs";
export { ConnectOptions } from "./connectOptions";
export { SshConnection } from "./connection";
export { SshError } from "./errors";
export { ExecOptions, ExecResult } from "./exec";
export { UploadOptions } from "./upload";
