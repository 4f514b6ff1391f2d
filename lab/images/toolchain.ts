// Where the toolchain's binaries are: the shared cache scripts/toolchain builds into, and this
// repository (whose bin/ links into that cache).
import * as os from "os";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..", "..");

/** $HCP_TOOLCHAIN_CACHE, else ~/.cache/pulumi-hcp-toolchain (what scripts/toolchain uses). */
export function toolchainCache(): string {
    return process.env.HCP_TOOLCHAIN_CACHE || path.join(os.homedir(), ".cache", "pulumi-hcp-toolchain");
}
