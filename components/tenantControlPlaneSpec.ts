/**
 * What a HostedControlPlane writes into its Kamaji `TenantControlPlane`: the metadata (the
 * readiness the Kubernetes provider awaits) and the spec, with the package's defaults filled in.
 */
import * as pulumi from "@pulumi/pulumi";
import { isParsedCidr, nthAddress, parseCidr } from "../model/network";
import { DEFAULT_KUBELET_ADDRESS_TYPES } from "../model/rules/controlPlane";
import { DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR } from "../model/rules/ranges";
import { MANAGED_BY } from "./dataStore";
import type { HostedControlPlaneArgs, ImageAddonArgs } from "./hostedControlPlaneArgs";

/** The registry Kamaji's addons come from unless told otherwise (kubeadm's default). */
const DEFAULT_ADDON_REPOSITORY = "registry.k8s.io";

/** The TenantControlPlane's metadata for a tenant at `version`, awaited up to `timeoutSeconds`. */
export function tenantControlPlaneMetadata(name: string, namespace: string, version: string, timeoutSeconds: number) {
    return {
        name,
        namespace,
        labels: MANAGED_BY,
        annotations: {
            "pulumi.com/waitFor": JSON.stringify(readinessConditions(version)),
            "pulumi.com/timeoutSeconds": String(timeoutSeconds),
            // Kamaji's finalizers do the cleanup; "foreground" would also wait for the garbage
            // collector to remove the Deployment and Secrets Kamaji owns.
            "pulumi.com/deletionPropagationPolicy": "background",
        },
    };
}

/** The TenantControlPlane's spec: the arguments with the package's defaults, at the checked `version`. */
export function tenantControlPlaneSpec(args: HostedControlPlaneArgs, version: pulumi.Output<string>) {
    const net = args.network ?? {};
    const addons = args.addons ?? { coreDNS: {}, kubeProxy: {}, konnectivity: {} };
    const serviceMeta =
        args.serviceLabels !== undefined || args.serviceAnnotations !== undefined
            ? { labels: args.serviceLabels, annotations: args.serviceAnnotations }
            : undefined;
    return {
        dataStore: args.dataStore.dataStoreName,
        controlPlane: {
            deployment: { replicas: args.replicas ?? 2 },
            service: { serviceType: args.serviceType ?? "LoadBalancer", additionalMetadata: serviceMeta },
        },
        kubernetes: {
            version,
            kubelet: {
                cgroupfs: args.kubeletCgroupDriver ?? "systemd",
                preferredAddressTypes: args.kubeletPreferredAddressTypes ?? DEFAULT_KUBELET_ADDRESS_TYPES,
            },
        },
        networkProfile: {
            address: args.address,
            port: args.port ?? 6443,
            certSANs: args.certSANs,
            podCidr: net.podCidr ?? DEFAULT_POD_CIDR,
            serviceCidr: net.serviceCidr ?? DEFAULT_SERVICE_CIDR,
            // Written out: Kamaji's webhook assumes 10.96.0.10 and refuses any other service range.
            dnsServiceIPs:
                net.dnsServiceIPs ?? pulumi.output(net.serviceCidr ?? DEFAULT_SERVICE_CIDR).apply(defaultDnsServiceIPs),
        },
        addons: {
            coreDNS: addons.coreDNS ? coreDnsAddon(addons.coreDNS) : undefined,
            kubeProxy: addons.kubeProxy
                ? { imageRepository: addons.kubeProxy.imageRepository, imageTag: addons.kubeProxy.imageTag }
                : undefined,
            konnectivity: addons.konnectivity
                ? {
                      server: {
                          port: addons.konnectivity.serverPort ?? 8132,
                          version: addons.konnectivity.version,
                      },
                      agent: { version: addons.konnectivity.version },
                  }
                : undefined,
        },
    };
}

/**
 * `spec.addons.coreDNS`. Kamaji v1.0.0 takes the CoreDNS tag only together with a repository
 * (kamaji internal/resources/addons/coredns.go), so a tag alone gets the default repository.
 */
export function coreDnsAddon(a: ImageAddonArgs): pulumi.Output<{ imageRepository?: string; imageTag?: string }> {
    return pulumi.all([a.imageRepository, a.imageTag]).apply(([repo, tag]) => ({
        imageRepository: repo || (tag ? DEFAULT_ADDON_REPOSITORY : undefined),
        imageTag: tag,
    }));
}

/** kubeadm's default cluster DNS address: the 10th of the service range (none for a range that does not parse: validation says why). */
export function defaultDnsServiceIPs(serviceCidr: string): string[] {
    const c = parseCidr(serviceCidr);
    return isParsedCidr(c) ? [nthAddress(c, 10)] : [];
}

/** The `pulumi.com/waitFor` conditions (all must hold) for a tenant at `version`. */
export function readinessConditions(version: string): string[] {
    return [
        "jsonpath={.status.kubernetesResources.version.status}=Ready",
        `jsonpath={.status.kubernetesResources.version.version}=${version}`,
        "jsonpath={.status.controlPlaneEndpoint}",
    ];
}
