// The lab's management cluster for tests: started (idempotently) through lab/management-cluster.sh.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { repoRoot } from "./engine";

export const labDir = process.env.HCP_LAB_DIR ?? path.join(repoRoot, ".lab");
export const managementKubeconfigPath = path.join(labDir, "management", "admin.kubeconfig");

export function ensureManagementCluster(): string {
    execFileSync("bash", [path.join(repoRoot, "lab", "management-cluster.sh"), "up"], {
        stdio: ["ignore", "ignore", "inherit"],
    });
    return fs.readFileSync(managementKubeconfigPath, "utf8");
}

interface Credentials {
    server: string;
    ca: Buffer;
    cert: Buffer;
    key: Buffer;
}

function credentials(): Credentials {
    const text = fs.readFileSync(managementKubeconfigPath, "utf8");
    const field = (name: string) => {
        const m = text.match(new RegExp(`${name}: (\\S+)`));
        if (!m) throw new Error(`${managementKubeconfigPath} has no ${name}`);
        return m[1];
    };
    const b64 = (name: string) => Buffer.from(field(name), "base64");
    return {
        server: field("server"),
        ca: b64("certificate-authority-data"),
        cert: b64("client-certificate-data"),
        key: b64("client-key-data"),
    };
}

/** A raw request against the management API; resolves with status and parsed body. */
export function managementApi(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: any }> {
    const c = credentials();
    const url = new URL(apiPath, c.server);
    return new Promise((resolve, reject) => {
        const req = https.request(
            url,
            { method, ca: c.ca, cert: c.cert, key: c.key, headers: { "content-type": "application/json" } },
            (res) => {
                let data = "";
                res.on("data", (d) => (data += d));
                res.on("end", () => {
                    let parsed: any = data;
                    try {
                        parsed = JSON.parse(data);
                    } catch {
                        /* not JSON */
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed });
                });
            },
        );
        req.on("error", reject);
        if (body !== undefined) req.write(JSON.stringify(body));
        req.end();
    });
}
