/**
 * Dynamic provider for EtcdHealth (see resource.ts). Loaded by path at run time (provider/dynamic.ts).
 *
 * - check: validates the inputs (each failure names its property) and, when every input is known,
 *   runs the health check. A verdict at or above `failOn` (default "error": quorum lost or an alarm)
 *   is returned as a check failure on "endpoints", so it shows at `pulumi preview` and stops `up`.
 * - create/update: run the check again and store the report (no credentials) as outputs.
 * - diff: changes when the endpoints, the CA or client certificate (by fingerprint), the timeout or
 *   failOn change; everything is updated in place.
 * - read: returns the stored outputs (the client key is not stored, so refresh cannot re-check).
 */
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { checkEtcdHealth } from "./health";
import { containsUnknown, reportOutputs, validateEtcdHealthInputs, EtcdHealthReport, HealthLevel } from "./logic";
import { commonName, parseCertificate, parseCertificates } from "../../lib/pki/logic";

export type FailOn = "error" | "warning" | "never";

const FAIL_ON: FailOn[] = ["error", "warning", "never"];

function failOnOf(v: unknown): FailOn {
    return (v === undefined || v === null ? "error" : v) as FailOn;
}

/** The verdict fails the check under this policy. */
export function fails(level: HealthLevel, failOn: FailOn): boolean {
    if (failOn === "never") return false;
    if (failOn === "warning") return level !== "ok";
    return level === "error";
}

function options(inputs: any) {
    return {
        endpoints: inputs.endpoints as string[],
        caCertificate: inputs.caCertificate as string,
        clientCertificate: inputs.clientCertificate as string,
        clientPrivateKey: inputs.clientPrivateKey as string,
        timeoutMs: inputs.timeoutMs === undefined || inputs.timeoutMs === null ? undefined : Number(inputs.timeoutMs),
    };
}

export async function check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (
        news.failOn !== undefined &&
        news.failOn !== null &&
        !containsUnknown(news.failOn) &&
        !FAIL_ON.includes(news.failOn)
    ) {
        failures.push({
            property: "failOn",
            reason: `failOn: must be one of "error", "warning", "never"; got ${JSON.stringify(news.failOn)}`,
        });
    }
    // Validate what is known; unknown values (preview with computed inputs) are checked at update time.
    const known = (k: string) => !containsUnknown(news[k]);
    for (const f of validateEtcdHealthInputs(options(news), new Date())) {
        if (known(f.property)) failures.push(f);
    }
    if (failures.length > 0 || containsUnknown(news)) return { inputs: news, failures };
    const report = await checkEtcdHealth(options(news));
    if (fails(report.level, failOnOf(news.failOn))) failures.push({ property: "endpoints", reason: report.message });
    return { inputs: news, failures };
}

function fingerprint(pem: string, property: string): string {
    return parseCertificate(pem, property).fingerprint256;
}

function outputs(inputs: any, report: EtcdHealthReport) {
    const client = parseCertificate(inputs.clientCertificate, "clientCertificate");
    return {
        endpoints: inputs.endpoints,
        timeoutMs: inputs.timeoutMs,
        failOn: failOnOf(inputs.failOn),
        caCertificateFingerprints: parseCertificates(inputs.caCertificate, "caCertificate").map(
            (c) => c.fingerprint256,
        ),
        clientCertificateFingerprint: client.fingerprint256,
        clientCommonName: commonName(client) ?? "",
        ...reportOutputs(report),
    };
}

async function run(inputs: any) {
    const report = await checkEtcdHealth(options(inputs));
    if (fails(report.level, failOnOf(inputs.failOn))) throw new Error(`endpoints: ${report.message}`);
    return outputs(inputs, report);
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const outs = await run(inputs);
    return { id: "etcdhealth-" + crypto.randomBytes(6).toString("hex"), outs };
}

export async function diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const changed: string[] = [];
    if (JSON.stringify(olds.endpoints ?? []) !== JSON.stringify(news.endpoints ?? [])) changed.push("endpoints");
    if ((olds.timeoutMs ?? null) !== (news.timeoutMs ?? null)) changed.push("timeoutMs");
    if (failOnOf(olds.failOn) !== failOnOf(news.failOn)) changed.push("failOn");
    const same = (f: () => boolean) => {
        try {
            return f();
        } catch {
            return false; // unparsable or unknown: treat as changed
        }
    };
    if (
        !same(
            () =>
                JSON.stringify(parseCertificates(news.caCertificate, "caCertificate").map((c) => c.fingerprint256)) ===
                JSON.stringify(olds.caCertificateFingerprints),
        )
    ) {
        changed.push("caCertificate");
    }
    if (!same(() => fingerprint(news.clientCertificate, "clientCertificate") === olds.clientCertificateFingerprint)) {
        changed.push("clientCertificate");
    }
    // clientPrivateKey is not stored; it must match clientCertificate (check enforces it), so a new
    // key without a new certificate cannot happen.
    return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
}

export async function update(_id: string, _olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await run(news) };
}

export async function read(id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
}

export async function del(): Promise<void> {
    // Nothing to remove: the resource only observes the DataStore.
}
export { del as delete };
