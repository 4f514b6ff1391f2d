import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";

export interface DataStoreReleaseArgs {
    /** Admin kubeconfig of the management cluster (secret). */
    kubeconfig: pulumi.Input<string>;
    /** The Kamaji DataStore object's name. */
    dataStoreName: pulumi.Input<string>;
    /** How long a delete waits for Kamaji to see the DataStore released, in seconds. Defaults to 120. */
    timeoutSeconds?: pulumi.Input<number>;
}

/**
 * Holds a Kamaji DataStore's deletion until Kamaji has seen every TenantControlPlane that used it
 * go. Kamaji's admission webhook refuses to delete a DataStore while its cache still lists a
 * tenant on it, and that cache lags the API server: right after a tenant is gone, a delete of its
 * DataStore can be refused although nothing uses it any more. Created after the DataStore and
 * depended on by its tenants, this resource is deleted between the two: its delete asks the
 * webhook (a dry-run delete) until the DataStore may go. Creating it changes nothing.
 */
export class DataStoreRelease extends pulumi.dynamic.Resource {
    declare public readonly dataStoreName: pulumi.Output<string>;

    constructor(name: string, args: DataStoreReleaseArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            providerFor("dataStoreRelease/provider"),
            name,
            { ...args, kubeconfig: pulumi.secret(args.kubeconfig) },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["kubeconfig"] }),
            "hcp",
            "DataStoreRelease",
        );
    }
}
