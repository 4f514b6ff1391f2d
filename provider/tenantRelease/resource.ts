import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";

export interface TenantReleaseArgs {
    /** Admin kubeconfig of the management cluster (secret). */
    kubeconfig: pulumi.Input<string>;
    /** The TenantControlPlane's namespace on the management cluster. */
    namespace: pulumi.Input<string>;
    /** The TenantControlPlane's name. */
    tenantName: pulumi.Input<string>;
    /** How long a delete waits for the TenantControlPlane and its DataStore Secret to go, in seconds. Defaults to 120. */
    timeoutSeconds?: pulumi.Input<number>;
}

/**
 * Finishes what Kamaji v1.0.0 can leave behind when a TenantControlPlane is deleted: its
 * `<tenant>-datastore-config` Secret, held forever by Kamaji's finalizer
 * (`finalizer.kamaji.clastix.io/datastore-secret`). Kamaji removes the tenant's own finalizer
 * before the Secret's, so when removing the Secret's fails (an update conflict), the tenant is
 * gone and nothing retries. Created before the TenantControlPlane and depended on by it, this
 * resource is deleted after it: its delete waits until the tenant is gone and then releases and
 * deletes that Secret if it is still there. Creating it changes nothing.
 */
export class TenantRelease extends pulumi.dynamic.Resource {
    declare public readonly tenantName: pulumi.Output<string>;

    constructor(name: string, args: TenantReleaseArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            providerFor("tenantRelease/provider"),
            name,
            { ...args, kubeconfig: pulumi.secret(args.kubeconfig) },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["kubeconfig"] }),
            "hcp",
            "TenantRelease",
        );
    }
}
