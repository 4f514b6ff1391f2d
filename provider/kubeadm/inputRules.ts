/** The check() rules of NodeJoin's inputs; inputs not known yet (preview) are left to the next check. */
import { labelKeyProblem, labelValueProblem, selfLabelProblem, Taint, taintEffectProblem } from "../../model/labels";
import { nodeNameProblem } from "../../model/names";
import { errorList, PropertyError, Report } from "../../model/rules/propertyError";
import { parseKubernetesVersion } from "../../model/version";
import { validateConnection } from "../../lib/ssh/client";
import { missingHostKeyFailures } from "../../lib/ssh/logic";
import { parseToken } from "../token/logic";
import { kubeletConfigurationProblems, kubeletExtraArgProblems } from "./kubeletRules";

/** Whether the input `key` is not known yet. */
export type Unknown = (key: string) => boolean;

const CA_HASH = /^sha256:[0-9a-f]{64}$/;
const API_ENDPOINT = /^[^/:\s]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** The labels' problems, each on `property.key` (the rules: model/labels.ts). */
export function labelProblems(labels: Record<string, string> | undefined, property = "labels"): PropertyError[] {
    const { errors, err } = errorList();
    for (const [k, v] of Object.entries(labels ?? {})) {
        const kp = labelKeyProblem(k) ?? selfLabelProblem(k);
        if (kp) err(`${property}.${k}`, kp);
        const vp = labelValueProblem(v);
        if (vp) err(`${property}.${k}`, vp);
    }
    return errors;
}

/** The taints' problems, each on `property[i].key|value|effect` (the rules: model/labels.ts). */
export function taintProblems(taints: Taint[] | undefined, property = "taints"): PropertyError[] {
    const { errors, err } = errorList();
    (taints ?? []).forEach((t, i) => {
        const problems = {
            key: labelKeyProblem(t?.key),
            value: t?.value === undefined ? undefined : labelValueProblem(t.value),
            effect: taintEffectProblem(t?.effect),
        };
        for (const [field, reason] of Object.entries(problems)) if (reason) err(`${property}[${i}].${field}`, reason);
    });
    return errors;
}

/** Where the join goes: the tenant's endpoint and CA, the version and the Node's name. */
function targetRules(inputs: any, unknown: Unknown, err: Report): void {
    for (const key of ["tenantKubeconfig", "apiEndpoint", "caCertHash", "kubernetesVersion", "nodeName"]) {
        if (!unknown(key) && (typeof inputs[key] !== "string" || inputs[key] === "")) err(key, "is required");
    }
    const known = (key: string) => !unknown(key) && typeof inputs[key] === "string";
    if (known("kubernetesVersion") && !parseKubernetesVersion(inputs.kubernetesVersion)) {
        err(
            "kubernetesVersion",
            `must look like v1.34.4 (got ${JSON.stringify(inputs.kubernetesVersion)}); use the tenant control plane's version`,
        );
    }
    const np = known("nodeName") ? nodeNameProblem(inputs.nodeName) : undefined;
    if (np) err("nodeName", np);
    if (known("apiEndpoint") && !API_ENDPOINT.test(inputs.apiEndpoint)) {
        err(
            "apiEndpoint",
            `must be host:port without a scheme, e.g. 10.0.0.10:6443 (got ${JSON.stringify(inputs.apiEndpoint)})`,
        );
    }
    if (known("caCertHash") && !CA_HASH.test(inputs.caCertHash)) {
        err(
            "caCertHash",
            "must be sha256:<64 hex> of the tenant CA's public key (kubeadm's --discovery-token-ca-cert-hash); take HostedControlPlane.caCertHash",
        );
    }
}

/** Problems of the join's inputs (the connection, resetForeignState and token aside: see checkProblems). */
export function joinProblems(inputs: any, unknown: Unknown = () => false): PropertyError[] {
    const { errors, err } = errorList();
    targetRules(inputs, unknown, err);
    if (!unknown("labels")) errors.push(...labelProblems(inputs.labels));
    if (!unknown("taints")) errors.push(...taintProblems(inputs.taints));
    if (!unknown("kubeletExtraArgs")) errors.push(...kubeletExtraArgProblems(inputs.kubeletExtraArgs));
    if (!unknown("kubeletConfiguration")) errors.push(...kubeletConfigurationProblems(inputs.kubeletConfiguration));
    const drain = inputs.drainTimeoutSeconds;
    if (drain !== undefined && !(Number.isInteger(drain) && drain > 0))
        err("drainTimeoutSeconds", "must be a positive whole number of seconds, e.g. 300");
    return errors;
}

/** The connection's problems, as validateConnection words them ("path: reason"). */
function connectionProblems(connection: any): PropertyError[] {
    try {
        validateConnection(connection, "connection");
        return [];
    } catch (e) {
        const m = /^([\w.[\]]+): (.*)$/s.exec((e as Error).message);
        return [{ propertyPath: m ? m[1] : "connection", reason: m ? m[2] : (e as Error).message }];
    }
}

/** Every problem check() reports, in the order the inputs are read. */
export function checkProblems(inputs: any, unknown: Unknown): PropertyError[] {
    const errors = joinProblems(inputs, unknown);
    if (!unknown("connection")) errors.push(...connectionProblems(inputs.connection));
    const reset = inputs.resetForeignState;
    if (reset !== undefined && typeof reset !== "boolean" && !unknown("resetForeignState"))
        errors.push({
            propertyPath: "resetForeignState",
            reason: `must be true or false (got ${JSON.stringify(reset)})`,
        });
    if (inputs.connection && typeof inputs.connection === "object")
        for (const f of missingHostKeyFailures(inputs.connection))
            errors.push({ propertyPath: f.property, reason: f.reason });
    if (typeof inputs.token === "string" && inputs.token !== "" && !unknown("token")) {
        try {
            parseToken(inputs.token);
        } catch (e) {
            errors.push({ propertyPath: "token", reason: (e as Error).message.replace(/^token: /, "") });
        }
    }
    return errors;
}
