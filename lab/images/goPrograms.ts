// The lab's own Go programs (lab/images/<name>), built statically into the cache.
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isExecutable } from "./files";
import { REPO } from "./toolchain";

const IMAGES_SRC = path.join(REPO, "lab", "images");

let goVersionMemo: string | undefined;
function goVersion(): string {
    goVersionMemo ??= execFileSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).trim();
    return goVersionMemo;
}

/**
 * Builds lab/images/<name> statically (CGO_ENABLED=0, linux/amd64) into the cache, keyed by its
 * sources and the Go version; returns the binary. A cached binary is reused without running go.
 */
export function buildGoProgram(name: string, cacheDir: string, log: (m: string) => void): string {
    const src = path.join(IMAGES_SRC, name);
    const files = fs
        .readdirSync(src)
        .filter((f) => /\.go$|^go\.(mod|sum)$/.test(f) && !f.endsWith("_test.go"))
        .sort();
    const h = crypto.createHash("sha256").update(goVersion());
    for (const f of files) h.update(f + "\0").update(fs.readFileSync(path.join(src, f)));
    const out = path.join(cacheDir, "bin", `${name}-${h.digest("hex").slice(0, 16)}`);
    if (isExecutable(out)) return out;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const t0 = Date.now();
    const tmp = `${out}.tmp${process.pid}`;
    const r = spawnSync("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", tmp, "."], {
        cwd: src,
        env: { ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOARCH: "amd64", GOFLAGS: "-buildvcs=false" },
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`go build of lab/images/${name} failed:\n${r.stderr}${r.error ?? ""}`);
    fs.renameSync(tmp, out);
    log(`built lab/images/${name} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return out;
}
