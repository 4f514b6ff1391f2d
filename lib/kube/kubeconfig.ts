/**
 * Kubeconfig parsing for the small REST client in `./client.ts`: pure, synchronous, no network.
 *
 * Supported: the current context (or a named one); `server`; `certificate-authority-data` /
 * `certificate-authority` (file); `insecure-skip-tls-verify`; `tls-server-name`;
 * `client-certificate-data` / `client-key-data` (or their file forms); `token` / `tokenFile`;
 * `username` / `password`. Not supported (a clear error says so): `exec` and `auth-provider` plugins.
 *
 * Error messages never include credential values.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";

/** Everything needed to open TLS connections to one API server. */
export interface KubeCredentials {
    /** `https://host:port` with any path prefix (no trailing slash). */
    server: string;
    /** PEM of the CA bundle to trust; undefined = the system roots. */
    ca?: string;
    insecureSkipTlsVerify: boolean;
    tlsServerName?: string;
    clientCertificate?: string;
    clientKey?: string;
    token?: string;
    username?: string;
    password?: string;
    /** The context the credentials came from, for messages. */
    context: string;
}

export class KubeconfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KubeconfigError";
    }
}

function named(list: unknown, kind: string, name: string): any {
    if (!Array.isArray(list))
        throw new KubeconfigError(
            `kubeconfig: has no "${kind}s" list; pass a complete kubeconfig (kubectl config view --raw --minify)`,
        );
    const hit = list.find((e: any) => e && e.name === name);
    if (!hit)
        throw new KubeconfigError(`kubeconfig: ${kind} "${name}" is not defined; check the context's ${kind} entry`);
    return hit[kind] ?? {};
}

function dataOrFile(
    obj: any,
    dataKey: string,
    fileKey: string,
    what: string,
    readFile: (p: string) => string,
): string | undefined {
    if (typeof obj[dataKey] === "string" && obj[dataKey] !== "") {
        const text = Buffer.from(obj[dataKey], "base64").toString("utf8");
        if (!text.includes("-----BEGIN"))
            throw new KubeconfigError(
                `kubeconfig: ${dataKey} is not base64-encoded PEM (${what}); encode the PEM file with base64 -w0`,
            );
        return text;
    }
    if (typeof obj[fileKey] === "string" && obj[fileKey] !== "") {
        try {
            return readFile(obj[fileKey]);
        } catch (e) {
            throw new KubeconfigError(
                `kubeconfig: cannot read ${fileKey} ${obj[fileKey]} (${(e as NodeJS.ErrnoException).code ?? "error"}); embed it as ${dataKey} instead (kubectl config view --raw --flatten)`,
            );
        }
    }
    return undefined;
}

/**
 * Parses a kubeconfig (YAML or JSON) and returns the credentials of `context` (default: the
 * current context, or the only context when there is exactly one).
 */
export function parseKubeconfig(
    text: string,
    context?: string,
    readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8"),
): KubeCredentials {
    if (typeof text !== "string" || text.trim() === "")
        throw new KubeconfigError("kubeconfig: is empty; pass the contents of the file, not its path");
    let doc: any;
    try {
        doc = yaml.load(text);
    } catch (e) {
        throw new KubeconfigError(
            `kubeconfig: is not valid YAML (${(e as Error).message.split("\n")[0]}); pass the file's contents`,
        );
    }
    if (!doc || typeof doc !== "object") {
        throw new KubeconfigError(
            "kubeconfig: is not a kubeconfig document (expected apiVersion: v1, kind: Config); did you pass a file path instead of its contents?",
        );
    }
    const contexts: any[] = Array.isArray(doc.contexts) ? doc.contexts : [];
    let ctxName = context ?? doc["current-context"];
    if (!ctxName && contexts.length === 1) ctxName = contexts[0].name;
    if (!ctxName)
        throw new KubeconfigError("kubeconfig: has no current-context; set one (kubectl config use-context NAME)");
    const ctx = named(doc.contexts, "context", ctxName);
    if (!ctx.cluster) throw new KubeconfigError(`kubeconfig: context "${ctxName}" names no cluster`);
    const cluster = named(doc.clusters, "cluster", ctx.cluster);
    const user = ctx.user ? named(doc.users, "user", ctx.user) : {};
    if (typeof cluster.server !== "string" || !/^https?:\/\//.test(cluster.server)) {
        throw new KubeconfigError(`kubeconfig: cluster "${ctx.cluster}" has no https:// server URL`);
    }
    if (user.exec || user["auth-provider"]) {
        throw new KubeconfigError(
            `kubeconfig: user "${ctx.user}" uses an ${user.exec ? "exec" : "auth-provider"} plugin, which this client does not run; use a kubeconfig with a client certificate or token (e.g. a ServiceAccount token)`,
        );
    }
    const creds: KubeCredentials = {
        server: cluster.server.replace(/\/+$/, ""),
        ca: dataOrFile(cluster, "certificate-authority-data", "certificate-authority", "the CA", readFile),
        insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
        tlsServerName: typeof cluster["tls-server-name"] === "string" ? cluster["tls-server-name"] : undefined,
        clientCertificate: dataOrFile(
            user,
            "client-certificate-data",
            "client-certificate",
            "the client certificate",
            readFile,
        ),
        clientKey: dataOrFile(user, "client-key-data", "client-key", "the client key", readFile),
        token: typeof user.token === "string" && user.token !== "" ? user.token : undefined,
        username: typeof user.username === "string" ? user.username : undefined,
        password: typeof user.password === "string" ? user.password : undefined,
        context: ctxName,
    };
    if (!creds.token && typeof user.tokenFile === "string") {
        try {
            creds.token = readFile(user.tokenFile).trim();
        } catch (e) {
            throw new KubeconfigError(
                `kubeconfig: cannot read tokenFile ${user.tokenFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
            );
        }
    }
    if (!!creds.clientCertificate !== !!creds.clientKey) {
        throw new KubeconfigError(
            `kubeconfig: user "${ctx.user}" has a client certificate without its key (or the reverse); supply both`,
        );
    }
    return creds;
}
