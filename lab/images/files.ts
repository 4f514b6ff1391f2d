// Facts about files the build relies on: whether one is an executable, and content digests
// remembered across runs.
import * as crypto from "crypto";
import * as fs from "fs";

export function sha256Hex(data: Buffer | string): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

export function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/**
 * sha256 of files, remembered across runs by (path, size, mtime, inode) in <cache>/file-hashes.json,
 * so a warm run does not read the large binaries again; a file that changed in any of those is
 * read and hashed anew.
 */
export class FileHashes {
    private memo: Record<string, { size: number; mtimeMs: number; ino: number; sha256: string }> = {};
    private dirty = false;
    constructor(private readonly file?: string) {
        if (file && fs.existsSync(file)) {
            try {
                this.memo = JSON.parse(fs.readFileSync(file, "utf8"));
            } catch {
                this.memo = {};
            }
        }
    }
    /** Whether the file is as when it was last hashed. */
    unchanged(p: string): boolean {
        const st = fs.statSync(p);
        const m = this.memo[p];
        return !!m && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ino === st.ino;
    }
    sha256(p: string): string {
        const st = fs.statSync(p);
        const m = this.memo[p];
        if (m && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ino === st.ino) return m.sha256;
        const sha256 = sha256Hex(fs.readFileSync(p));
        this.memo[p] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
        this.dirty = true;
        return sha256;
    }
    save(): void {
        if (!this.file || !this.dirty) return;
        fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.memo));
        fs.renameSync(`${this.file}.tmp`, this.file);
        this.dirty = false;
    }
}
