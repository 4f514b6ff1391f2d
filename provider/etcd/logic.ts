/**
 * Pure logic for the etcd DataStore health check: endpoint parsing, input validation, error
 * classification, and the interpretation of per-endpoint probes into a verdict.
 *
 * Verdict rules (n = number of endpoints given, quorum = floor(n/2)+1):
 *  - error:   fewer than quorum endpoints answer a linearizable read, or any alarm (NOSPACE, CORRUPT)
 *             is raised. The message names the endpoints / alarms and the fix.
 *  - warning: quorum holds but a minority of endpoints is unhealthy; names them.
 *  - ok:      every endpoint is healthy and no alarm is raised.
 *
 * "Healthy" follows `etcdctl endpoint health`: a linearizable (serializable=false) Range of the key
 * "health" succeeds, or fails only with "permission denied" (the request was committed through raft,
 * so the member has a leader and quorum; the client user just may not read that key).
 */
import type { dynamic } from "@pulumi/pulumi";
import { validateClientTlsBundle } from "../../lib/pki/logic";

export type PropertyFailure = dynamic.CheckFailure;

export const DEFAULT_TIMEOUT_MS = 3000;

/** An endpoint as given and the URL a client dials. */
export interface ParsedEndpoint {
    given: string;
    url: string;
    host: string;
    port: number;
}

/**
 * Parse a DataStore endpoint. Kamaji's `spec.endpoints` are bare "host:port" (Kamaji adds https://);
 * "https://host:port" is accepted too. Throws with the rule when invalid.
 */
export function parseEndpoint(given: string): ParsedEndpoint {
    if (typeof given !== "string" || given.trim() === "")
        throw new Error('must be "host:port" or "https://host:port"; got an empty value');
    const s = given.trim();
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
    if (scheme && scheme[1].toLowerCase() !== "https") {
        throw new Error(`must use https (the DataStore requires mutual TLS); got "${given}"`);
    }
    let u: URL;
    try {
        u = new URL(scheme ? s : `https://${s}`);
    } catch {
        throw new Error(`must be "host:port" or "https://host:port"; got "${given}"`);
    }
    if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash || u.username) {
        throw new Error(`must be "host:port" without a path, query or user; got "${given}"`);
    }
    if (!u.port) throw new Error(`must include a port (etcd's client port is usually 2379); got "${given}"`);
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    return { given, url: `https://${u.host}`, host, port: Number(u.port) };
}

export interface EtcdHealthInputs {
    endpoints: unknown;
    caCertificate: unknown;
    clientCertificate: unknown;
    clientPrivateKey: unknown;
    timeoutMs?: unknown;
}

/** Every problem with the inputs, each naming its property; empty when usable. Pure (time is a parameter). */
export function validateEtcdHealthInputs(inputs: EtcdHealthInputs, now: Date): PropertyFailure[] {
    const failures: PropertyFailure[] = [];
    const eps = inputs.endpoints;
    if (!Array.isArray(eps) || eps.length === 0) {
        failures.push({
            property: "endpoints",
            reason: 'endpoints: must list the DataStore\'s etcd client endpoints ("host:2379" or "https://host:2379"); got none',
        });
    } else {
        const seen = new Map<string, number>();
        eps.forEach((e, i) => {
            try {
                const p = parseEndpoint(e as string);
                const prev = seen.get(p.url);
                if (prev !== undefined) {
                    failures.push({
                        property: "endpoints",
                        reason: `endpoints[${i}]: "${e}" repeats endpoints[${prev}]; list each member once (the quorum is computed from the list)`,
                    });
                } else seen.set(p.url, i);
            } catch (err) {
                failures.push({ property: "endpoints", reason: `endpoints[${i}]: ${(err as Error).message}` });
            }
        });
    }
    if (inputs.timeoutMs !== undefined && inputs.timeoutMs !== null) {
        const t = inputs.timeoutMs;
        if (typeof t !== "number" || !Number.isInteger(t) || t < 100 || t > 60_000) {
            failures.push({
                property: "timeoutMs",
                reason: `timeoutMs: must be an integer number of milliseconds in 100..60000; got ${JSON.stringify(t)}`,
            });
        }
    }
    failures.push(
        ...validateClientTlsBundle(
            {
                caCertificate: inputs.caCertificate,
                clientCertificate: inputs.clientCertificate,
                clientPrivateKey: inputs.clientPrivateKey,
            },
            now,
        ).map((f) => ({ property: f.propertyPath, reason: f.reason })),
    );
    return failures;
}

/** What one endpoint answered. Produced by the network layer (health.ts), consumed by {@link interpretHealth}. */
export interface EndpointProbe {
    endpoint: string;
    /** The linearizable read of "health" succeeded (or failed only with permission denied). */
    readOk: boolean;
    readError?: string;
    status?: { version: string; dbSize: number; memberId: string; leaderId: string };
    statusError?: string;
    /** Alarms as this endpoint reports them (the list is cluster-wide, replicated through raft). */
    alarms?: { memberId: string; alarm: string }[];
    alarmError?: string;
    latencyMs: number;
}

export interface EndpointStatus {
    endpoint: string;
    healthy: boolean;
    version?: string;
    dbSize?: number;
    memberId?: string;
    /** This endpoint is the raft leader. */
    leader: boolean;
    latencyMs: number;
    error?: string;
}

export interface RaisedAlarm {
    alarm: string;
    memberId: string;
    endpoint?: string;
}

export type HealthLevel = "ok" | "warning" | "error";

export interface EtcdHealthReport {
    level: HealthLevel;
    /** One paragraph: what is wrong, which endpoints/alarms, and the fix. */
    message: string;
    endpoints: EndpointStatus[];
    healthyCount: number;
    total: number;
    quorum: number;
    leaderEndpoint?: string;
    alarms: RaisedAlarm[];
    checkedAt: string;
}

const TLS_CLIENT_REJECTED =
    /alert (unknown ca|bad certificate|certificate required|certificate unknown|unsupported certificate|access denied|decrypt error)/i;
const TLS_SERVER_UNTRUSTED =
    /unable to verify the first certificate|self[- ]signed certificate|unable to get (local )?issuer certificate|certificate signature failure|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN/i;

/**
 * A one-line explanation of a client error, naming the cause and the fix; the classified phrase of
 * the raw error is kept in brackets. `timeoutMs` is the deadline that applied.
 */
export function explainError(raw: string, timeoutMs: number): string {
    const m = (re: RegExp) => re.exec(raw)?.[0];
    let hit: string | undefined;
    if ((hit = m(TLS_CLIENT_REJECTED))) {
        return `TLS: the member rejected the client certificate [${hit}]: clientCertificate is not signed by a CA in the member's --trusted-ca-file, or is expired or not for client auth; use a client certificate issued by the DataStore CA`;
    }
    if ((hit = m(TLS_SERVER_UNTRUSTED))) {
        return `TLS: the member's server certificate is not signed by caCertificate [${hit}]; pass the CA that issued the etcd server certificates`;
    }
    if ((hit = m(/Hostname\/IP does not match certificate's altnames/) ?? m(/ERR_TLS_CERT_ALTNAME_INVALID/))) {
        return `TLS: the member's server certificate does not name this address [${hit}]; use an endpoint listed in the certificate's subjectAltName, or reissue it with this name`;
    }
    if ((hit = m(/certificate has expired|CERT_HAS_EXPIRED/))) {
        return `TLS: the member's server certificate has expired [${hit}]; renew the etcd server certificates`;
    }
    if ((hit = m(/wrong version number|packet length too long|unknown protocol|http_request/i))) {
        return `TLS: the endpoint does not speak TLS [${hit}]; is etcd serving plain http on it? The DataStore must use https with --client-cert-auth`;
    }
    if ((hit = m(/ECONNREFUSED[^.\s]*/)))
        return `connection refused [${hit}]: the member is not running or not listening on this address`;
    if ((hit = m(/ENOTFOUND \S+|EAI_AGAIN \S+/)))
        return `name does not resolve [${hit}]; check the endpoint's host name`;
    if ((hit = m(/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/)))
        return `unreachable [${hit}]; check routing and firewalls to the member`;
    if ((hit = m(/ECONNRESET|socket hang up|Connection dropped|ended by the other party/i))) {
        return `connection reset [${hit}]: the member closed the connection (restarting, or a TLS/proxy problem)`;
    }
    if ((hit = m(/etcdserver: no leader|etcdserver: leader changed/)))
        return `no raft leader [${hit}]: the member cannot reach a quorum of its peers`;
    if ((hit = m(/DEADLINE_EXCEEDED|deadline exceeded|request timed out|timed out/i))) {
        return `no answer within ${timeoutMs} ms [${hit}]: the member is partitioned from its peers, has no leader, or is overloaded`;
    }
    if ((hit = m(/permission denied|PERMISSION_DENIED/))) {
        return `permission denied [${hit}]: the client certificate's CN is not an etcd user with the needed role; use the root client certificate`;
    }
    if ((hit = m(/user name is empty|user name not found|invalid auth token/i))) {
        return `authentication failed [${hit}]: etcd auth is enabled and the client certificate's CN is not a known user; use the root client certificate`;
    }
    // Unknown: keep the first line, without gRPC's timestamp and resolution-note noise.
    const first = raw
        .split("\n")[0]
        .replace(/\s*Resolution note:.*$/, "")
        .trim();
    return first || "unknown error";
}

function shortId(id: string): string {
    // etcd prints member IDs in hex; the gRPC API returns them as decimal strings.
    try {
        return BigInt(id).toString(16);
    } catch {
        return id;
    }
}

/** Member ID as etcdctl prints it (hex). */
export function memberIdHex(id: string): string {
    return shortId(id);
}

const ALARM_FIX: Record<string, string> = {
    NOSPACE:
        "the member's backend reached --quota-backend-bytes and etcd refuses writes. Fix: get the revision (etcdctl endpoint status -w json), compact it (etcdctl compact <rev>), defragment every member (etcdctl defrag --cluster), then etcdctl alarm disarm; or raise --quota-backend-bytes",
    CORRUPT:
        "a member's data diverges from its peers. Fix: stop that member, etcdctl member remove it, re-add it with an empty data dir (or restore from a snapshot), then etcdctl alarm disarm",
};

function joinList(items: string[]): string {
    return items.join("; ");
}

/**
 * Interpret per-endpoint probes into a report. Pure: `checkedAt` is a parameter.
 */
export function interpretHealth(probes: EndpointProbe[], checkedAt: Date): EtcdHealthReport {
    const total = probes.length;
    const quorum = Math.floor(total / 2) + 1;

    // The leader as reported by endpoints that answered status; the most common answer wins.
    const votes = new Map<string, number>();
    for (const p of probes) {
        if (p.readOk && p.status && p.status.leaderId && p.status.leaderId !== "0") {
            votes.set(p.status.leaderId, (votes.get(p.status.leaderId) ?? 0) + 1);
        }
    }
    const leaderId = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const byMember = new Map<string, string>();
    for (const p of probes) if (p.status?.memberId) byMember.set(p.status.memberId, p.endpoint);

    const endpoints: EndpointStatus[] = probes.map((p) => {
        const errors: string[] = [];
        if (!p.readOk && p.readError) errors.push(p.readError);
        return {
            endpoint: p.endpoint,
            healthy: p.readOk,
            version: p.status?.version,
            dbSize: p.status?.dbSize,
            memberId: p.status ? memberIdHex(p.status.memberId) : undefined,
            leader: !!(p.readOk && p.status && leaderId !== undefined && p.status.memberId === leaderId),
            latencyMs: p.latencyMs,
            error: errors.length > 0 ? errors.join("; ") : undefined,
        };
    });

    // Alarms are cluster-wide: union what every endpoint reported, one entry per (member, alarm).
    const alarmMap = new Map<string, RaisedAlarm>();
    for (const p of probes) {
        for (const a of p.alarms ?? []) {
            if (a.alarm === "None" || a.alarm === "NONE") continue;
            const alarm = a.alarm.toUpperCase();
            alarmMap.set(`${a.memberId}/${alarm}`, {
                alarm,
                memberId: memberIdHex(a.memberId),
                endpoint: byMember.get(a.memberId),
            });
        }
    }
    const alarms = [...alarmMap.values()].sort((a, b) => (a.alarm + a.memberId).localeCompare(b.alarm + b.memberId));

    const healthy = endpoints.filter((e) => e.healthy);
    const unhealthy = endpoints.filter((e) => !e.healthy);
    const healthyCount = healthy.length;
    const leaderEndpoint = endpoints.find((e) => e.leader)?.endpoint;
    const describeUnhealthy = joinList(unhealthy.map((e) => `${e.endpoint} (${e.error ?? "unhealthy"})`));

    const problems: string[] = [];
    let level: HealthLevel = "ok";
    if (healthyCount < quorum) {
        level = "error";
        problems.push(
            `etcd quorum lost: ${healthyCount} of ${total} endpoints healthy, ${quorum} needed. Unhealthy: ${describeUnhealthy}. ` +
                `The DataStore cannot serve reads or writes, so every tenant control plane on it is down. ` +
                `Fix: start the stopped members (or restore the cluster from a snapshot), then run again`,
        );
    }
    if (alarms.length > 0) {
        level = "error";
        const kinds = [...new Set(alarms.map((a) => a.alarm))];
        for (const kind of kinds) {
            const on = alarms
                .filter((a) => a.alarm === kind)
                .map((a) => `member ${a.memberId}${a.endpoint ? ` (${a.endpoint})` : ""}`)
                .join(", ");
            problems.push(
                `etcd alarm ${kind} raised on ${on}: ${ALARM_FIX[kind] ?? "see the etcd logs of that member, fix the cause, then etcdctl alarm disarm"}`,
            );
        }
    }
    if (level === "ok" && unhealthy.length > 0) {
        level = "warning";
        problems.push(
            `etcd degraded: ${healthyCount} of ${total} endpoints healthy (quorum of ${quorum} holds). Unhealthy: ${describeUnhealthy}. ` +
                `${healthyCount - quorum === 0 ? "One more failure loses quorum. " : ""}Fix: restart or replace the unhealthy member(s)`,
        );
    }
    let message: string;
    if (level === "ok") {
        const versions = [...new Set(healthy.map((e) => e.version).filter((v): v is string => !!v))];
        message = `etcd healthy: ${healthyCount} of ${total} endpoints, leader ${leaderEndpoint ?? "unknown"}${versions.length ? `, version ${versions.join("/")}` : ""}`;
    } else {
        message = problems.join(". ");
    }
    return {
        level,
        message,
        endpoints,
        healthyCount,
        total,
        quorum,
        leaderEndpoint,
        alarms,
        checkedAt: checkedAt.toISOString(),
    };
}

/** One endpoint as the resource stores it. */
export interface StoredEndpointStatus {
    endpoint: string;
    healthy: boolean;
    version?: string;
    dbSize?: number;
    leader: boolean;
    memberId?: string;
    error?: string;
}

/** The properties the resource stores as outputs (no credentials). */
export function reportOutputs(report: EtcdHealthReport): {
    statuses: StoredEndpointStatus[];
    healthyCount: number;
    leaderEndpoint: string;
    alarms: RaisedAlarm[];
    level: HealthLevel;
    message: string;
    checkedAt: string;
} {
    return {
        statuses: report.endpoints.map((e) => {
            const o: StoredEndpointStatus = {
                endpoint: e.endpoint,
                healthy: e.healthy,
                leader: e.leader,
            };
            if (e.version !== undefined) o.version = e.version;
            if (e.dbSize !== undefined) o.dbSize = e.dbSize;
            if (e.memberId !== undefined) o.memberId = e.memberId;
            if (e.error !== undefined) o.error = e.error;
            return o;
        }),
        healthyCount: report.healthyCount,
        leaderEndpoint: report.leaderEndpoint ?? "",
        alarms: report.alarms.map((a) => (a.endpoint ? { ...a } : { alarm: a.alarm, memberId: a.memberId })),
        level: report.level,
        message: report.message,
        checkedAt: report.checkedAt,
    };
}

// Pulumi's marker for a value not known during preview, shared by every dynamic provider.
export { UNKNOWN, containsUnknown } from "../dynamic";
