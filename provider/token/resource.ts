import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../dynamic";
import { ttlWarning } from "./logic";

export interface BootstrapTokenArgs {
    /** Admin kubeconfig of the tenant (secret). Changing it replaces the token. */
    kubeconfig: pulumi.Input<string>;
    /**
     * Lifetime in seconds, 60 s to 7 days; default 3600. A token about to expire is replaced at the
     * next update. Above 24 h (kubeadm's default) a warning is logged: keep bootstrap tokens short-lived.
     */
    ttlSeconds?: pulumi.Input<number>;
    /** The token Secret's description. */
    description?: pulumi.Input<string>;
}

/**
 * A kubeadm bootstrap token in a tenant control plane (Secret kube-system/bootstrap-token-<id>),
 * valid for TLS bootstrap and for signing `cluster-info`. `token` is a secret output. Worker pools
 * mint their own per-join tokens; use this resource when something else joins nodes.
 */
export class BootstrapToken extends pulumi.dynamic.Resource {
    declare public readonly tokenId: pulumi.Output<string>;
    /** `<id>.<secret>`, secret. */
    declare public readonly token: pulumi.Output<string>;
    /** RFC 3339 expiry. */
    declare public readonly expiresAt: pulumi.Output<string>;

    constructor(name: string, args: BootstrapTokenArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            providerFor("token/provider"),
            name,
            {
                ...args,
                kubeconfig: pulumi.secret(args.kubeconfig),
                tokenId: undefined,
                token: undefined,
                expiresAt: undefined,
            },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token", "kubeconfig"] }),
            "hcp",
            "BootstrapToken",
        );
        // A provider's check can fail but not warn: the warning is logged here, once the TTL is known
        // (at preview for a plain value).
        pulumi.output(args.ttlSeconds).apply((ttl) => {
            const w = ttlWarning(ttl);
            if (w) void pulumi.log.warn(`BootstrapToken ${name}: ${w}`, this);
        });
    }
}
