/**
 * A tiny, dependency-free Kubernetes REST client over `node:https`, configured from a kubeconfig
 * string. Used by the components for preflight checks at preview (CRDs served, LoadBalancer
 * support, the live TenantControlPlane's version) and by tests and the lab for waiting on objects.
 *
 * Deliberately small: get / list / create / replace / patch / delete, discovery, and
 * watch-by-polling (`waitFor`). No @kubernetes/client-node. Requests time out (15 s by default) and
 * errors carry the HTTP status, the API's reason and the request path, never credentials.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as http from "http";
import * as https from "https";
import { KubeCredentials, parseKubeconfig } from "./kubeconfig";

export type PatchType = "merge" | "json" | "strategic" | "apply";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
    merge: "application/merge-patch+json",
    json: "application/json-patch+json",
    strategic: "application/strategic-merge-patch+json",
    apply: "application/apply-patch+yaml",
};

/** A non-2xx answer from the API server (or a transport failure when `status` is 0). */
export class KubeApiError extends Error {
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        readonly reason: string,
        readonly apiMessage: string,
    ) {
        super(
            `${method} ${path}: ${status === 0 ? "" : `HTTP ${status} `}${reason}${apiMessage ? `: ${apiMessage}` : ""}`,
        );
        this.name = "KubeApiError";
    }
    get notFound(): boolean {
        return this.status === 404;
    }
    get conflict(): boolean {
        return this.status === 409;
    }
}

export interface ResourceRef {
    /** "" or undefined for the core group. */
    group?: string;
    version: string;
    /** Lower-case plural, e.g. "tenantcontrolplanes". */
    plural: string;
    namespace?: string;
    name?: string;
    subresource?: string;
}

/** The REST path of a resource, a collection, or a subresource. */
export function resourcePath(r: ResourceRef): string {
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const ns = r.namespace ? `/namespaces/${encodeURIComponent(r.namespace)}` : "";
    const name = r.name ? `/${encodeURIComponent(r.name)}` : "";
    const sub = r.name && r.subresource ? `/${r.subresource}` : "";
    return `${base}${ns}/${r.plural}${name}${sub}`;
}

export interface RequestOptions {
    body?: unknown;
    contentType?: string;
    query?: Record<string, string | undefined>;
    timeoutMs?: number;
}

export interface WaitOptions {
    /** Give up after this long; default 5 minutes. */
    timeoutMs?: number;
    /** Poll interval; default 1 s. */
    intervalMs?: number;
    /** Names the thing awaited in the timeout error, e.g. "TenantControlPlane default/a to be Ready". */
    description?: string;
}

export class KubeClient {
    private readonly agent: https.Agent | http.Agent;
    private readonly url: URL;

    constructor(
        readonly credentials: KubeCredentials,
        private readonly defaultTimeoutMs = 15_000,
    ) {
        this.url = new URL(credentials.server);
        this.agent =
            this.url.protocol === "https:"
                ? new https.Agent({
                      keepAlive: false,
                      ca: credentials.ca,
                      cert: credentials.clientCertificate,
                      key: credentials.clientKey,
                      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
                      servername: credentials.tlsServerName,
                  })
                : new http.Agent({ keepAlive: false });
    }

    static fromKubeconfig(kubeconfig: string, context?: string, timeoutMs?: number): KubeClient {
        return new KubeClient(parseKubeconfig(kubeconfig, context), timeoutMs);
    }

    /** Sends one request; resolves with the parsed JSON body of a 2xx answer, rejects with {@link KubeApiError} otherwise. */
    request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
        const prefix = this.url.pathname.replace(/\/+$/, "");
        const qs = Object.entries(opts.query ?? {})
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
            .join("&");
        const fullPath = prefix + path + (qs ? `?${qs}` : "");
        const headers: Record<string, string> = { accept: "application/json" };
        let payload: string | undefined;
        if (opts.body !== undefined) {
            payload = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
            headers["content-type"] = opts.contentType ?? "application/json";
            headers["content-length"] = String(Buffer.byteLength(payload));
        }
        const c = this.credentials;
        if (c.token) headers.authorization = `Bearer ${c.token}`;
        else if (c.username !== undefined && c.password !== undefined) {
            headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
        }
        const mod = this.url.protocol === "https:" ? https : http;
        const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
        return new Promise<T>((resolve, reject) => {
            const req = mod.request(
                {
                    protocol: this.url.protocol,
                    hostname: this.url.hostname.replace(/^\[|\]$/g, ""),
                    port: this.url.port || (this.url.protocol === "https:" ? 443 : 80),
                    method,
                    path: fullPath,
                    headers,
                    agent: this.agent as any,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (d: Buffer) => chunks.push(d));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let body: any = text;
                        try {
                            body = text === "" ? undefined : JSON.parse(text);
                        } catch {
                            /* not JSON: keep the text */
                        }
                        const status = res.statusCode ?? 0;
                        if (status >= 200 && status < 300) return resolve(body as T);
                        const reason =
                            (body && typeof body === "object" && body.reason) || res.statusMessage || "error";
                        const message =
                            body && typeof body === "object" ? (body.message ?? "") : String(text).slice(0, 300);
                        reject(new KubeApiError(method, path, status, reason, message));
                    });
                    res.on("error", (e) => reject(new KubeApiError(method, path, 0, "connection error", e.message)));
                },
            );
            req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
            req.on("error", (e) => reject(new KubeApiError(method, path, 0, `cannot reach ${c.server}`, e.message)));
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** The object at `path`, or undefined when it does not exist (404). */
    async get<T = any>(path: string): Promise<T | undefined> {
        try {
            return await this.request<T>("GET", path);
        } catch (e) {
            if (e instanceof KubeApiError && e.notFound) return undefined;
            throw e;
        }
    }

    /** The items of a collection, optionally filtered by label selector. */
    async list<T = any>(path: string, labelSelector?: string): Promise<T[]> {
        const res = await this.request<{ items?: T[] }>("GET", path, { query: { labelSelector } });
        return res?.items ?? [];
    }

    create<T = any>(collectionPath: string, obj: unknown): Promise<T> {
        return this.request<T>("POST", collectionPath, { body: obj });
    }

    replace<T = any>(path: string, obj: unknown): Promise<T> {
        return this.request<T>("PUT", path, { body: obj });
    }

    /**
     * Patches an object. `apply` is server-side apply and needs `fieldManager`; `force` takes
     * over fields another manager owns.
     */
    patch<T = any>(
        path: string,
        patch: unknown,
        type: PatchType = "merge",
        opts: { fieldManager?: string; force?: boolean } = {},
    ): Promise<T> {
        if (type === "apply" && !opts.fieldManager) throw new Error("patch: server-side apply needs a fieldManager");
        return this.request<T>("PATCH", path, {
            body: patch,
            contentType: PATCH_CONTENT_TYPES[type],
            query: {
                fieldManager: opts.fieldManager,
                force: opts.force === undefined ? undefined : String(opts.force),
            },
        });
    }

    /**
     * Deletes an object; resolves false when it was already gone. With `dryRun` the API server runs
     * the admission chain (webhooks included) and deletes nothing.
     */
    async delete(
        path: string,
        propagationPolicy: "Foreground" | "Background" | "Orphan" = "Background",
        opts: { dryRun?: boolean } = {},
    ): Promise<boolean> {
        try {
            await this.request("DELETE", path, {
                body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy },
                query: { dryRun: opts.dryRun ? "All" : undefined },
            });
            return true;
        } catch (e) {
            if (e instanceof KubeApiError && e.notFound) return false;
            throw e;
        }
    }

    /**
     * The resource names served for an API group version (e.g. "kamaji.clastix.io/v1alpha1"), or
     * undefined when the group version is not served at all.
     */
    async servedResources(groupVersion: string): Promise<string[] | undefined> {
        const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
        const res = await this.get<{ resources?: { name: string }[] }>(path);
        if (!res) return undefined;
        return (res.resources ?? []).map((r) => r.name);
    }

    /**
     * Polls `path` until `predicate` returns a truthy value, and resolves with that value.
     * A missing object (404) counts as "not yet". Transport errors are retried until the deadline;
     * API errors other than 404 are thrown at once (a 403 will not fix itself).
     */
    async waitFor<R>(
        path: string,
        predicate: (obj: any | undefined) => R | undefined | false | null,
        opts: WaitOptions = {},
    ): Promise<R> {
        const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
        const intervalMs = opts.intervalMs ?? 1000;
        const deadline = Date.now() + timeoutMs;
        let last = "";
        for (;;) {
            try {
                const obj = await this.get(path);
                const r = predicate(obj);
                if (r) return r;
                last = obj === undefined ? "the object does not exist yet" : "the condition is not met yet";
            } catch (e) {
                if (!(e instanceof KubeApiError) || e.status !== 0) throw e;
                last = e.message;
            }
            if (Date.now() >= deadline) {
                throw new Error(
                    `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${opts.description ?? path} (${last})`,
                );
            }
            await sleep(intervalMs);
        }
    }
}
