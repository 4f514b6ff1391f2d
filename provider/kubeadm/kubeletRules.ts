/** The rules of the kubelet's settings a NodeJoin (or a WorkerPool) passes: flags and KubeletConfiguration fields. */
import { errorList, PropertyError } from "../../model/rules/propertyError";
import { KUBELET_FLAGS_ENV } from "./hostPaths";

const KUBELET_FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Characters a shell or systemd would read as more than a value (newlines are refused as whitespace). */
const KUBELET_FLAG_METACHARACTERS = /[$`\\"';&|<>(){}]/;

/** [] when unset, `reason` when not a map, undefined when a map (its entries are checked next). */
function notAMap(v: unknown, property: string, reason: string): PropertyError[] | undefined {
    if (v === undefined || v === null) return [];
    if (typeof v !== "object" || Array.isArray(v)) return [{ propertyPath: property, reason }];
    return undefined;
}

/** kubeletExtraArgs: kubelet flag names (no dashes) to plain values, each on `property.name`. */
export function kubeletExtraArgProblems(args: unknown, property = "kubeletExtraArgs"): PropertyError[] {
    const shape = notAMap(args, property, 'must be a map of kubelet flag names to values, e.g. { "max-pods": "50" }');
    if (shape) return shape;
    const { errors, err } = errorList();
    for (const [k, v] of Object.entries(args as object)) {
        const path = `${property}.${k}`;
        if (!KUBELET_FLAG_NAME.test(k)) {
            err(path, "must be a kubelet flag name without the leading dashes, e.g. max-pods");
        } else if (k === "node-labels") {
            err(path, "set labels instead: they become --node-labels and are kept in sync on the Node");
        }
        // systemd splits KUBELET_KUBEADM_ARGS at whitespace, so such a value would become two arguments.
        if (typeof v !== "string" || /[\s\x00-\x1f\x7f]/.test(v)) {
            err(
                path,
                `must be a string without spaces or control characters (got ${JSON.stringify(v)}); the kubelet's flags ` +
                    `are split at whitespace. For a list use the flag's own separator, e.g. "cpu=500m,memory=1Gi"`,
            );
        } else if (KUBELET_FLAG_METACHARACTERS.test(v)) {
            err(
                path,
                `must not contain any of $ \` \\ " ' ; & | < > ( ) { } (got ${JSON.stringify(v)}): kubeadm writes the value into ` +
                    `${KUBELET_FLAGS_ENV}, which must hold plain flag values; set such a setting in kubeletConfiguration instead ` +
                    `(e.g. evictionHard: { "memory.available": "100Mi" })`,
            );
        }
    }
    return errors;
}

const KUBELET_CONFIG_FIELD = /^[a-z][A-Za-z0-9]*$/;

/** kubeletConfiguration: a map of KubeletConfiguration fields (camelCase), merged over the cluster's. */
export function kubeletConfigurationProblems(cfg: unknown, property = "kubeletConfiguration"): PropertyError[] {
    const example = 'must be a map of KubeletConfiguration fields, e.g. { maxPods: 50, cgroupDriver: "cgroupfs" }';
    const shape = notAMap(cfg, property, example);
    if (shape) return shape;
    const { errors, err } = errorList();
    for (const k of Object.keys(cfg as object)) {
        if (k === "apiVersion" || k === "kind") {
            err(`${property}.${k}`, "is set by kubeadm; give only the fields to change");
        } else if (!KUBELET_CONFIG_FIELD.test(k)) {
            err(
                `${property}.${k}`,
                "must be a KubeletConfiguration field name in camelCase, e.g. maxPods (kubelet flags go in kubeletExtraArgs)",
            );
        }
    }
    return errors;
}
