// Writing a file on the host through the command's stdin: works with sudo and needs no sftp.
import type { ExecOptions, ExecResult } from "./exec";
import { uploadArgv } from "./logic";

export interface UploadOptions {
    path: string;
    content: string | Buffer;
    /** Octal, e.g. "0644". */
    mode: string;
    /** "user" or "user:group"; default: whoever runs the write (root with sudo). */
    owner?: string;
    sudo?: boolean;
    timeoutMs?: number;
    secrets?: (string | undefined)[];
}

/** Something that runs argv on a host (an SshConnection). */
type Exec = (argv: readonly string[], o: ExecOptions) => Promise<ExecResult>;

/** Writes a file atomically (temp file + rename, see UPLOAD_SCRIPT). */
export async function uploadFile(exec: Exec, u: UploadOptions): Promise<void> {
    await exec(uploadArgv(u.path, u.mode, u.owner), {
        stdin: u.content,
        sudo: u.sudo,
        timeoutMs: u.timeoutMs,
        secrets: u.secrets,
    });
}
