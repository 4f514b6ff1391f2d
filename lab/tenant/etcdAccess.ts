/**
 * A directly started tenant's access to the DataStore (lab/tenant, for the v1beta4 join tests that
 * run a tenant API server newer than the real Kamaji accepts), set up the way Kamaji does per tenant:
 * a role named after the schema with READWRITE on "/<schema>/" .. GetPrefixRangeEnd, a
 * certificate-only user holding that role, and on delete: every key under the prefix, the role and
 * the user removed. All calls run as the DataStore's root client certificate.
 */
import { Etcd3 } from "etcd3";

export interface EtcdConnection {
    endpoints: string[];
    caPem: string;
    certPem: string;
    keyPem: string;
}

export function connect(c: EtcdConnection): Etcd3 {
    return new Etcd3({
        hosts: c.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `https://${e}`)),
        credentials: {
            rootCertificate: Buffer.from(c.caPem),
            certChain: Buffer.from(c.certPem),
            privateKey: Buffer.from(c.keyPem),
        },
        dialTimeout: 5000,
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 15_000 }),
    });
}

function alreadyExists(e: unknown): boolean {
    return /already exists/i.test(String((e as Error)?.message ?? e));
}
function notFound(e: unknown): boolean {
    return /not found|does not exist/i.test(String((e as Error)?.message ?? e));
}

/** Role `schema` with readwrite on the tenant prefix; user `user` (no password) holding it. Idempotent. */
export async function ensureTenantAccess(client: Etcd3, schema: string, user: string): Promise<void> {
    const prefix = tenantPrefix(schema);
    try {
        await client.auth.roleAdd({ name: schema });
    } catch (e) {
        if (!alreadyExists(e)) throw e;
    }
    await client.auth.roleGrantPermission({
        name: schema,
        perm: { permType: "Readwrite", key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix) },
    });
    try {
        await client.auth.userAdd({ name: user, options: { no_password: true } });
    } catch (e) {
        if (!alreadyExists(e)) throw e;
    }
    await client.auth.userGrantRole({ user, role: schema });
}

/** Deletes every key under the prefix, then the user and the role. Returns the number of keys deleted. */
export async function removeTenantAccess(client: Etcd3, schema: string, user: string): Promise<number> {
    const prefix = tenantPrefix(schema);
    const res = await client.kv.deleteRange({ key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix) });
    try {
        await client.auth.userDelete({ name: user });
    } catch (e) {
        if (!notFound(e)) throw e;
    }
    try {
        await client.auth.roleDelete({ role: schema });
    } catch (e) {
        if (!notFound(e)) throw e;
    }
    return Number(res.deleted ?? 0);
}

export async function countKeys(client: Etcd3, prefix: string): Promise<number> {
    const res = await client.kv.range({
        key: Buffer.from(prefix),
        range_end: prefixRangeEnd(prefix),
        count_only: true,
    });
    return Number(res.count ?? 0);
}

/** The key prefix Kamaji grants a tenant: "/<schema>/" (the trailing slash keeps /cp-a from covering /cp-aa). */
export function tenantPrefix(schema: string): string {
    if (!schema || schema.includes("/"))
        throw new Error(`dataStoreSchema: "${schema}" must be a non-empty name without "/"`);
    return `/${schema}/`;
}

/** etcd's GetPrefixRangeEnd: the key range end covering every key that starts with `prefix`. */
export function prefixRangeEnd(prefix: string): Buffer {
    const b = Buffer.from(prefix, "utf8");
    for (let i = b.length - 1; i >= 0; i--) {
        if (b[i] < 0xff) {
            const end = Buffer.from(b.subarray(0, i + 1));
            end[i] += 1;
            return end;
        }
    }
    return Buffer.from([0]); // every key
}
