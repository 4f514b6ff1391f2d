/**
 * The live TenantControlPlane's versions, read at preview and update so a HostedControlPlane
 * upgrades at most one minor version at a time (model/version.ts has the rule).
 */
import { versionStepProblem } from "../model/version";
import { PropertyError } from "../model/rules/propertyError";
import { KubeClient, resourcePath } from "../lib/kube";

export interface LiveVersion {
    /** `spec.kubernetes.version` of the live object. */
    specVersion?: string;
    /** `status.kubernetesResources.version.version`: what Kamaji installed. */
    installedVersion?: string;
}

/** The live TenantControlPlane's versions, or nothing when it does not exist (yet). */
export async function readLiveVersion(
    kubeconfig: string,
    namespace: string,
    name: string,
    client?: KubeClient,
): Promise<LiveVersion> {
    const c = client ?? KubeClient.fromKubeconfig(kubeconfig);
    const obj = await c.get(
        resourcePath({
            group: "kamaji.clastix.io",
            version: "v1alpha1",
            plural: "tenantcontrolplanes",
            namespace,
            name,
        }),
    );
    return {
        specVersion: obj?.spec?.kubernetes?.version,
        installedVersion: obj?.status?.kubernetesResources?.version?.version,
    };
}

/** The upgrade-step rule against each version the live object holds (spec and installed). */
export function versionStepErrors(
    live: LiveVersion,
    requested: string,
    namespace: string,
    name: string,
): PropertyError[] {
    const errors: PropertyError[] = [];
    for (const prev of new Set([live.specVersion, live.installedVersion].filter((x): x is string => !!x))) {
        const p = versionStepProblem(prev, requested, "control plane");
        if (p)
            errors.push({
                propertyPath: "kubernetesVersion",
                reason: `${p} (the live TenantControlPlane ${namespace}/${name} is at ${prev})`,
            });
    }
    return errors;
}
