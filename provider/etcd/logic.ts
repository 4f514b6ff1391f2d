/**
 * Pure logic for the etcd DataStore health check: endpoint parsing, input validation and the
 * stored outputs here; error classification in explainError.ts, the verdict in verdict.ts.
 */
import type { dynamic } from "@pulumi/pulumi";
import { validateClientTlsBundle } from "../../lib/pki/logic";
import type { EndpointStatus, EtcdHealthReport, HealthLevel, RaisedAlarm } from "./verdict";

/** A check failure as Pulumi's dynamic providers report it. */
export type PropertyFailure = dynamic.CheckFailure;
export * from "./explainError";
export * from "./verdict";

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
            // EtcdHealth's messages have always started with the property they name.
        ).map((f) => ({ property: f.propertyPath, reason: `${f.propertyPath}: ${f.reason}` })),
    );
    return failures;
}

/** One endpoint as the resource stores it: the latency of one check is not state. */
export type StoredEndpointStatus = Omit<EndpointStatus, "latencyMs">;

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
