import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";
import { checkEtcdHealth, EtcdHealthInputError } from "./health";
import type { FailOn } from "./provider";
import type { HealthLevel, RaisedAlarm, StoredEndpointStatus } from "./logic";

export type { FailOn } from "./provider";
export type { HealthLevel, RaisedAlarm } from "./logic";

export interface EtcdHealthArgs {
    /** etcd client endpoints: "host:port" (as in Kamaji's DataStore spec) or "https://host:port". */
    endpoints: pulumi.Input<pulumi.Input<string>[]>;
    /** PEM of the CA that issued the etcd server certificates. */
    caCertificate: pulumi.Input<string>;
    /** PEM client certificate accepted by etcd's --client-cert-auth (kamaji-etcd: CN=root). */
    clientCertificate: pulumi.Input<string>;
    /** PEM key of the client certificate. Stored as a secret input; never an output. */
    clientPrivateKey: pulumi.Input<string>;
    /** Deadline per endpoint and call, in ms (100..60000; default 3000). */
    timeoutMs?: pulumi.Input<number>;
    /**
     * Which verdict stops preview and update: "error" (default: quorum lost or an alarm raised),
     * "warning" (also a minority of members down) or "never" (only report).
     */
    failOn?: pulumi.Input<FailOn>;
}

/** One endpoint as the resource's `statuses` output holds it. */
export type EtcdEndpointStatus = StoredEndpointStatus;

/**
 * The health of an etcd DataStore, checked from the machine running Pulumi with the DataStore's
 * mutual-TLS client identity — one client per endpoint, no retries, a short deadline per call:
 * a linearizable read per endpoint (as `etcdctl endpoint health`), alarms (NOSPACE, CORRUPT),
 * leader, version and DB size.
 *
 * At `pulumi preview` (and before every update):
 * - quorum lost or an alarm raised: the provider's `check` fails on property `endpoints` with a
 *   message naming the endpoints/alarms and the fix, so preview shows the error and `up` stops;
 * - a minority of members down: the program logs a warning on this resource naming them.
 * Outputs record the last check made at create/update (`pulumi refresh` does not re-check: the
 * client key is deliberately not stored in the outputs).
 *
 * Type token: `pulumi-nodejs:dynamic/hcp:EtcdHealth` (dynamic resources always live in the
 * `pulumi-nodejs` package; this is the project's `hcp:index:EtcdHealth`).
 */
export class EtcdHealth extends pulumi.dynamic.Resource {
    declare public readonly endpoints: pulumi.Output<string[]>;
    declare public readonly statuses: pulumi.Output<EtcdEndpointStatus[]>;
    declare public readonly healthyCount: pulumi.Output<number>;
    /** "" when no leader was found. */
    declare public readonly leaderEndpoint: pulumi.Output<string>;
    declare public readonly alarms: pulumi.Output<RaisedAlarm[]>;
    declare public readonly level: pulumi.Output<HealthLevel>;
    declare public readonly message: pulumi.Output<string>;
    /** ISO 8601 time of the check. */
    declare public readonly checkedAt: pulumi.Output<string>;
    declare public readonly caCertificateFingerprints: pulumi.Output<string[]>;
    declare public readonly clientCertificateFingerprint: pulumi.Output<string>;
    declare public readonly clientCommonName: pulumi.Output<string>;

    constructor(name: string, args: EtcdHealthArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            endpoints: args.endpoints,
            caCertificate: args.caCertificate,
            clientCertificate: args.clientCertificate,
            clientPrivateKey: pulumi.secret(args.clientPrivateKey),
            timeoutMs: args.timeoutMs,
            failOn: args.failOn,
            statuses: undefined,
            healthyCount: undefined,
            leaderEndpoint: undefined,
            alarms: undefined,
            level: undefined,
            message: undefined,
            checkedAt: undefined,
            caCertificateFingerprints: undefined,
            clientCertificateFingerprint: undefined,
            clientCommonName: undefined,
        };
        super(providerFor("etcd/provider"), name, props, opts, "hcp", "EtcdHealth");
        if (pulumi.runtime.isDryRun()) this.warnAtPreview(args);
    }

    /**
     * A dynamic provider's `check` can only fail, not warn, and a provider process has no channel to
     * the engine's diagnostics. So the warning case runs here, in the program, at preview: the same
     * check, and `pulumi.log.warn` attached to this resource. Errors are left to the provider's
     * check failure (one clear message, and it also guards `up --skip-preview`). The apply runs only
     * when every input is known; nothing here is serialized or stored.
     */
    private warnAtPreview(args: EtcdHealthArgs): void {
        pulumi
            .all([
                args.endpoints,
                args.caCertificate,
                args.clientCertificate,
                args.clientPrivateKey,
                args.timeoutMs,
                args.failOn,
            ])
            .apply(async ([endpoints, ca, cert, key, timeoutMs, failOn]) => {
                try {
                    const report = await checkEtcdHealth({
                        endpoints,
                        caCertificate: ca,
                        clientCertificate: cert,
                        clientPrivateKey: key,
                        timeoutMs,
                    });
                    const policy = failOn ?? "error";
                    const failsInCheck =
                        policy === "warning" ? report.level !== "ok" : policy === "error" && report.level === "error";
                    if (report.level !== "ok" && !failsInCheck) await pulumi.log.warn(report.message, this);
                } catch (e) {
                    // Input problems are reported by the provider's check, property by property.
                    if (!(e instanceof EtcdHealthInputError))
                        await pulumi.log.warn(`etcd health check could not run: ${(e as Error).message}`, this);
                }
            });
    }
}
