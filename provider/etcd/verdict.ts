// The verdict of an etcd health check: per-endpoint probes judged member by member, then the
// cluster's quorum and alarms. Pure: the time of the check is a parameter.
//
// Rules (n = number of endpoints given, quorum = floor(n/2)+1):
//  - error:   fewer than quorum endpoints answer a linearizable read, or any alarm (NOSPACE, CORRUPT)
//             is raised. The message names the endpoints / alarms and the fix.
//  - warning: quorum holds but a minority of endpoints is unhealthy; names them.
//  - ok:      every endpoint is healthy and no alarm is raised.
//
// "Healthy" follows `etcdctl endpoint health`: a linearizable (serializable=false) Range of the key
// "health" succeeds, or fails only with "permission denied" (the request was committed through raft,
// so the member has a leader and quorum; the client user just may not read that key).

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
    /** Member ID in hex, as etcdctl prints it. */
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

/** Member ID as etcdctl prints it (hex); the gRPC API returns them as decimal strings. */
export function memberIdHex(id: string): string {
    try {
        return BigInt(id).toString(16);
    } catch {
        return id;
    }
}

const ALARM_FIX: Record<string, string> = {
    NOSPACE:
        "the member's backend reached --quota-backend-bytes and etcd refuses writes. Fix: get the revision (etcdctl endpoint status -w json), compact it (etcdctl compact <rev>), defragment every member (etcdctl defrag --cluster), then etcdctl alarm disarm; or raise --quota-backend-bytes",
    CORRUPT:
        "a member's data diverges from its peers. Fix: stop that member, etcdctl member remove it, re-add it with an empty data dir (or restore from a snapshot), then etcdctl alarm disarm",
};

/** Interpret per-endpoint probes into a report. Pure: `checkedAt` is a parameter. */
export function interpretHealth(probes: EndpointProbe[], checkedAt: Date): EtcdHealthReport {
    const total = probes.length;
    const quorum = Math.floor(total / 2) + 1;
    const endpoints = memberStatuses(probes, leaderOf(probes));
    const alarms = raisedAlarms(probes);
    const { level, message } = clusterVerdict(endpoints, alarms, quorum);
    return {
        level,
        message,
        endpoints,
        healthyCount: endpoints.filter((e) => e.healthy).length,
        total,
        quorum,
        leaderEndpoint: endpoints.find((e) => e.leader)?.endpoint,
        alarms,
        checkedAt: checkedAt.toISOString(),
    };
}

/** The leader as reported by endpoints that answered status; the most common answer wins. */
function leaderOf(probes: EndpointProbe[]): string | undefined {
    const votes = new Map<string, number>();
    for (const p of probes) {
        if (p.readOk && p.status && p.status.leaderId && p.status.leaderId !== "0") {
            votes.set(p.status.leaderId, (votes.get(p.status.leaderId) ?? 0) + 1);
        }
    }
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** Each member on its own: healthy when its linearizable read succeeded. */
function memberStatuses(probes: EndpointProbe[], leaderId: string | undefined): EndpointStatus[] {
    return probes.map((p) => ({
        endpoint: p.endpoint,
        healthy: p.readOk,
        version: p.status?.version,
        dbSize: p.status?.dbSize,
        memberId: p.status ? memberIdHex(p.status.memberId) : undefined,
        leader: !!(p.readOk && p.status && leaderId !== undefined && p.status.memberId === leaderId),
        latencyMs: p.latencyMs,
        error: !p.readOk && p.readError ? p.readError : undefined,
    }));
}

/** Alarms are cluster-wide: the union of what every endpoint reported, one per (member, alarm). */
function raisedAlarms(probes: EndpointProbe[]): RaisedAlarm[] {
    const byMember = new Map<string, string>();
    for (const p of probes) if (p.status?.memberId) byMember.set(p.status.memberId, p.endpoint);
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
    return [...alarmMap.values()].sort((a, b) => (a.alarm + a.memberId).localeCompare(b.alarm + b.memberId));
}

/** The cluster as a whole: quorum first, then alarms, then a degraded minority. */
function clusterVerdict(
    endpoints: EndpointStatus[],
    alarms: RaisedAlarm[],
    quorum: number,
): { level: HealthLevel; message: string } {
    const total = endpoints.length;
    const healthy = endpoints.filter((e) => e.healthy);
    const unhealthy = endpoints.filter((e) => !e.healthy);
    const healthyCount = healthy.length;
    const describeUnhealthy = unhealthy.map((e) => `${e.endpoint} (${e.error ?? "unhealthy"})`).join("; ");
    const problems: string[] = [];
    if (healthyCount < quorum) {
        problems.push(
            `etcd quorum lost: ${healthyCount} of ${total} endpoints healthy, ${quorum} needed. Unhealthy: ${describeUnhealthy}. ` +
                `The DataStore cannot serve reads or writes, so every tenant control plane on it is down. ` +
                `Fix: start the stopped members (or restore the cluster from a snapshot), then run again`,
        );
    }
    problems.push(...alarmProblems(alarms));
    if (problems.length > 0) return { level: "error", message: problems.join(". ") };
    if (unhealthy.length > 0) {
        return {
            level: "warning",
            message:
                `etcd degraded: ${healthyCount} of ${total} endpoints healthy (quorum of ${quorum} holds). Unhealthy: ${describeUnhealthy}. ` +
                `${healthyCount - quorum === 0 ? "One more failure loses quorum. " : ""}Fix: restart or replace the unhealthy member(s)`,
        };
    }
    const leaderEndpoint = endpoints.find((e) => e.leader)?.endpoint;
    const versions = [...new Set(healthy.map((e) => e.version).filter((v): v is string => !!v))];
    return {
        level: "ok",
        message: `etcd healthy: ${healthyCount} of ${total} endpoints, leader ${leaderEndpoint ?? "unknown"}${versions.length ? `, version ${versions.join("/")}` : ""}`,
    };
}

/** One problem per kind of alarm, naming the members it is raised on and the fix. */
function alarmProblems(alarms: RaisedAlarm[]): string[] {
    return [...new Set(alarms.map((a) => a.alarm))].map((kind) => {
        const on = alarms
            .filter((a) => a.alarm === kind)
            .map((a) => `member ${a.memberId}${a.endpoint ? ` (${a.endpoint})` : ""}`)
            .join(", ");
        return `etcd alarm ${kind} raised on ${on}: ${ALARM_FIX[kind] ?? "see the etcd logs of that member, fix the cause, then etcdctl alarm disarm"}`;
    });
}
