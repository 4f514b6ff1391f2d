/**
 * The network side of the DataStore health check: one etcd3 client per endpoint, mutual TLS, no
 * retries or failover (cockatiel no-op policies), a deadline per call. Probes all endpoints in
 * parallel and hands the answers to the pure {@link interpretHealth}.
 *
 * Usable anywhere: in the provider (check/create/update) and in a Pulumi program at preview time.
 * The client key is only handed to the TLS layer; it never appears in results or errors.
 */
import {
    DEFAULT_TIMEOUT_MS,
    EndpointProbe,
    EtcdHealthReport,
    explainError,
    interpretHealth,
    parseEndpoint,
    validateEtcdHealthInputs,
    PropertyFailure,
} from "./logic";

export interface EtcdHealthOptions {
    /** "host:port" (as in Kamaji's DataStore spec) or "https://host:port". */
    endpoints: string[];
    /** PEM of the CA that issued the etcd server certificates. */
    caCertificate: string;
    /** PEM client certificate accepted by etcd's --client-cert-auth (e.g. CN=root). */
    clientCertificate: string;
    /** PEM private key of the client certificate (a secret). */
    clientPrivateKey: string;
    /** Deadline per endpoint and call, in ms (default 3000). */
    timeoutMs?: number;
}

export class EtcdHealthInputError extends Error {
    constructor(readonly failures: PropertyFailure[]) {
        super(failures.map((f) => f.reason).join("\n"));
        this.name = "EtcdHealthInputError";
    }
}

type Etcd3Module = typeof import("etcd3");

let dep0123Filtered = false;
/**
 * grpc-js sets the TLS ServerName to the endpoint's host even when it is an IP address, and Node
 * then prints DeprecationWarning DEP0123 — at every `pulumi preview` that runs this check in the
 * program. Drop exactly that warning (code DEP0123); every other warning passes through.
 */
function filterIpServernameWarning(): void {
    if (dep0123Filtered) return;
    dep0123Filtered = true;
    const original = process.emitWarning.bind(process) as (...a: any[]) => void;
    process.emitWarning = ((warning: any, ...rest: any[]) => {
        const code = typeof rest[0] === "object" && rest[0] !== null ? rest[0].code : rest[1];
        if (code === "DEP0123") return;
        original(warning, ...rest);
    }) as typeof process.emitWarning;
}

/** Probe one endpoint with its own client. Never throws. */
async function probeEndpoint(endpoint: string, opts: EtcdHealthOptions, timeoutMs: number): Promise<EndpointProbe> {
    // Loaded lazily: programs that only import the resource class do not pay for gRPC at load time.

    const { Etcd3 } = require("etcd3") as Etcd3Module;

    const { noop } = require("cockatiel") as typeof import("cockatiel");
    filterIpServernameWarning();
    const url = parseEndpoint(endpoint).url;
    const started = Date.now();
    const client = new Etcd3({
        hosts: [url],
        credentials: {
            rootCertificate: Buffer.from(opts.caCertificate),
            certChain: Buffer.from(opts.clientCertificate),
            privateKey: Buffer.from(opts.clientPrivateKey),
        },
        dialTimeout: timeoutMs,
        // One client per endpoint and no retries: a dead member must show up as dead, not be
        // papered over by a retry against its peers.
        // (cockatiel 4's `noop` satisfies etcd3's IPolicy at run time; etcd3 types it against its own cockatiel 3.)
        faultHandling: { host: () => noop as any, global: noop as any },
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    });
    const explain = (e: unknown) => explainError(String((e as Error)?.message ?? e), timeoutMs);
    // A hard stop slightly after the gRPC deadline, in case a call ignores it.
    const guard = <T>(p: Promise<T>): Promise<T> =>
        new Promise<T>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs + 500);
            p.then(
                (v) => {
                    clearTimeout(t);
                    resolve(v);
                },
                (e) => {
                    clearTimeout(t);
                    reject(e);
                },
            );
        });
    try {
        const [read, status, alarm] = await Promise.allSettled([
            // etcdctl endpoint health: a linearizable Range of "health" (serializable=false is the default).
            guard(client.get("health").exec()),
            guard(client.maintenance.status()),
            guard(client.maintenance.alarm({ action: 0 /* GET */, memberID: 0, alarm: 0 /* NONE: all */ })),
        ]);
        const probe: EndpointProbe = { endpoint, readOk: false, latencyMs: 0 };
        if (read.status === "fulfilled") probe.readOk = true;
        else if (/permission denied/i.test(String(read.reason?.message)))
            probe.readOk = true; // committed through raft: healthy
        else probe.readError = explain(read.reason);
        if (status.status === "fulfilled") {
            const s = status.value;
            probe.status = {
                version: s.version,
                dbSize: Number(s.dbSize),
                memberId: String(s.header.member_id),
                leaderId: String(s.leader),
            };
        } else probe.statusError = explain(status.reason);
        if (alarm.status === "fulfilled") {
            probe.alarms = (alarm.value.alarms ?? []).map((a) => ({
                memberId: String(a.memberID),
                alarm: String(a.alarm),
            }));
        } else probe.alarmError = explain(alarm.reason);
        probe.latencyMs = Date.now() - started;
        return probe;
    } finally {
        client.close();
    }
}

/**
 * Check every endpoint of an etcd DataStore and interpret the answers. Throws
 * {@link EtcdHealthInputError} (naming each property) when the inputs are unusable; otherwise
 * resolves to a report whose `level` is "ok", "warning" or "error".
 */
export async function checkEtcdHealth(opts: EtcdHealthOptions): Promise<EtcdHealthReport> {
    const failures = validateEtcdHealthInputs(opts, new Date());
    if (failures.length > 0) throw new EtcdHealthInputError(failures);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const probes = await Promise.all(opts.endpoints.map((ep) => probeEndpoint(ep, opts, timeoutMs)));
    return interpretHealth(probes, new Date());
}
