/**
 * `HostedControlPlane`: one tenant Kubernetes control plane, run by Kamaji on the management
 * cluster as a `TenantControlPlane`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubeClient, resourcePath } from "../provider/kube";
import { caCertHash } from "../provider/pki";
import { DataStore, MANAGED_BY } from "./dataStore";
import { checkedOn, isPlain, outputError, rejectIfInvalid, throwIfInvalid } from "./errors";
import { ManagementCluster } from "./managementCluster";
import { waitForAdminAccess } from "./tenantAccess";
import {
    ControlPlaneValues,
    DEFAULT_KUBELET_ADDRESS_TYPES,
    DEFAULT_POD_CIDR,
    DEFAULT_SERVICE_CIDR,
    KubeletAddressType,
    PropertyError,
    ServiceType,
    validateControlPlane,
} from "./validation";
import { isParsedCidr, nthAddress, parseCidr } from "../model/network";
import { namespaceProblem } from "../model/names";
import { versionStepProblem } from "../model/version";

/** The tenant's network ranges (`spec.networkProfile`). */
export interface HostedControlPlaneNetworkArgs {
    /**
     * The tenant's pod range. Defaults to "10.244.0.0/16". Must not overlap `serviceCidr` nor the
     * management cluster's ranges. Changing it after nodes joined is not supported by Kubernetes.
     */
    podCidr?: pulumi.Input<string>;
    /** The tenant's service range. Defaults to "10.96.0.0/16". Same rules as `podCidr`. */
    serviceCidr?: pulumi.Input<string>;
    /** The cluster DNS Service IPs (at most 8), inside `serviceCidr`. Defaults to the 10th address of `serviceCidr`. */
    dnsServiceIPs?: pulumi.Input<pulumi.Input<string>[]>;
    /** The cluster domain. Kamaji v1.0.0 has no such field: only "cluster.local" is accepted. */
    clusterDomain?: pulumi.Input<string>;
}

export interface ImageAddonArgs {
    /** The image registry (the image name is fixed: `coredns`, `kube-proxy`). Defaults to "registry.k8s.io". */
    imageRepository?: pulumi.Input<string>;
    /**
     * The image tag. Defaults to Kamaji's choice: the tenant's version for kube-proxy, kubeadm
     * v1.30's v1.11.1 for CoreDNS. (Kamaji v1.0.0 ignores a CoreDNS tag without a repository, so
     * the package then writes the default repository too.)
     */
    imageTag?: pulumi.Input<string>;
}

export interface KonnectivityAddonArgs {
    /** The port the konnectivity server listens on for agents (a port of the tenant's Service). Defaults to 8132. */
    serverPort?: pulumi.Input<number>;
    /** How agents run in the tenant. Kamaji v1.0.0 knows only "DaemonSet" (one per node), the default. */
    agentMode?: pulumi.Input<"DaemonSet" | "Deployment">;
    /** Not supported by Kamaji v1.0.0 (refused at preview): its agents are a DaemonSet. */
    agentReplicas?: pulumi.Input<number>;
    /** Not supported by Kamaji v1.0.0 (refused at preview when true): its agents run on the pod network. */
    agentHostNetwork?: pulumi.Input<boolean>;
    /**
     * Konnectivity image tag for server and agent (`server.version`, `agent.version`), e.g.
     * "v0.30.3". Defaults to Kamaji v1.0.0's "v0.0.32".
     */
    version?: pulumi.Input<string>;
}

/** Tenant addons Kamaji installs and keeps reconciled. Each one is on when its key is present. */
export interface HostedControlPlaneAddonsArgs {
    coreDNS?: ImageAddonArgs;
    kubeProxy?: ImageAddonArgs;
    /** Konnectivity: the API server reaches kubelets through agents (needed when workers sit on another network). */
    konnectivity?: KonnectivityAddonArgs;
}

export interface HostedControlPlaneArgs {
    /** The management cluster that runs Kamaji. */
    managementCluster: ManagementCluster;
    /** The DataStore holding this tenant's state. Changing it to another etcd DataStore makes Kamaji migrate the data live. */
    dataStore: DataStore;
    /**
     * The TenantControlPlane's name: also the name of its Service and the prefix of its Secrets
     * (`<name>-admin-kubeconfig`, `<name>-ca`). Defaults to the component name. Changing it replaces
     * the control plane (a new cluster).
     */
    name?: string;
    /** The management-cluster namespace the control plane lives in; must exist. Defaults to "default". Changing it replaces the control plane. */
    namespace?: string;
    /**
     * Kubernetes version, "vMAJOR.MINOR.PATCH" (e.g. "v1.33.4"). Updated in place; only upgrades
     * of at most one minor version are accepted (checked at preview against the live object).
     */
    kubernetesVersion: pulumi.Input<string>;
    /** Control plane pod replicas. Defaults to 2. 0 puts the control plane to sleep. Updated in place. */
    replicas?: pulumi.Input<number>;
    /**
     * How the API server is exposed on the management cluster: "LoadBalancer", "NodePort" or
     * "ClusterIP". Defaults to "LoadBalancer" (needs e.g. MetalLB; the preflight warns when nothing
     * hands out addresses). NodePort and ClusterIP need `address`.
     */
    serviceType?: pulumi.Input<ServiceType>;
    /** The address workers and clients use to reach the API server. Optional with LoadBalancer (the LB address is used). */
    address?: pulumi.Input<string>;
    /** The API server port. Defaults to 6443. */
    port?: pulumi.Input<number>;
    /** Not supported by Kamaji v1.0.0 (refused at preview): it advertises `address`. */
    advertiseAddress?: pulumi.Input<string>;
    /** Extra subject alternative names for the API server certificate: host names or IPs, never host:port. */
    certSANs?: pulumi.Input<pulumi.Input<string>[]>;
    /** Labels for the control plane's Service (e.g. for an LB pool selector). */
    serviceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Annotations for the control plane's Service (e.g. `metallb.io/loadBalancerIPs`). */
    serviceAnnotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Network ranges; see {@link HostedControlPlaneNetworkArgs}. */
    network?: HostedControlPlaneNetworkArgs;
    /** Addons. Defaults to CoreDNS, kube-proxy and Konnectivity, all on. Pass `{}` for none. */
    addons?: HostedControlPlaneAddonsArgs;
    /** The kubelet cgroup driver written into the tenant's kubelet config. Defaults to "systemd" (what containerd is set up with). */
    kubeletCgroupDriver?: pulumi.Input<"systemd" | "cgroupfs">;
    /**
     * The node address types the API server tries, in order, to reach kubelets (logs, exec,
     * port-forward): `spec.kubernetes.kubelet.preferredAddressTypes`. Defaults to
     * ["InternalIP", "ExternalIP", "Hostname"]: Kamaji's default tries Hostname first, which fails
     * on machines whose names are not in DNS. Each of Hostname, InternalIP, ExternalIP,
     * InternalDNS, ExternalDNS at most once. Updated in place.
     */
    kubeletPreferredAddressTypes?: pulumi.Input<pulumi.Input<KubeletAddressType>[]>;
    /**
     * A CNI manifest (multi-document YAML, e.g. Calico's) applied to the tenant once it is ready.
     * Defaults to none: nodes stay NotReady until a CNI is installed.
     */
    cniManifest?: pulumi.Input<string>;
    /** How long to wait for Kamaji to report the control plane Ready, in seconds. Defaults to 1200. */
    readyTimeoutSeconds?: number;
}

/** The registry Kamaji's addons come from unless told otherwise (kubeadm's default). */
const DEFAULT_ADDON_REPOSITORY = "registry.k8s.io";

/** The custom resource with its status exposed as an output. */
class TenantControlPlaneResource extends k8s.apiextensions.CustomResource {
    declare readonly status: pulumi.Output<any>;
}

/**
 * A tenant control plane: a Kamaji `TenantControlPlane` on the management cluster, awaited until
 * Kamaji reports it Ready at the requested version with an endpoint, plus read access to it.
 *
 * Readiness: the TenantControlPlane carries a `pulumi.com/waitFor` annotation, so the Kubernetes
 * provider waits (create and update) until `status.kubernetesResources.version.status` is "Ready",
 * `status.kubernetesResources.version.version` is the requested version and
 * `status.controlPlaneEndpoint` is set. Then `<name>-admin-kubeconfig` (key `admin.conf`) and
 * `<name>-ca` (key `ca.crt`) are read.
 *
 * ## Example Usage
 * ```ts
 * const cp = new hcp.HostedControlPlane("team-a", {
 *     managementCluster: mgmt, dataStore: store,
 *     kubernetesVersion: "v1.33.4", replicas: 2, serviceType: "LoadBalancer",
 *     network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16" },
 * });
 * export const kubeconfig = cp.kubeconfig;
 * ```
 */
/**
 * The CNI's objects are applied with server-side apply forced (`pulumi.com/patchForce`): an `up`
 * killed after the tenant got an object but before the state recorded it must converge on the
 * re-run, which applies under a new field manager and would otherwise stop at the conflict.
 */
function takeOverCniObjects(a: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult | undefined {
    if (!a.type.startsWith("kubernetes:") || a.type.startsWith("kubernetes:yaml") || !a.props.metadata)
        return undefined;
    // From a secret manifest, a property may arrive as a secret ({sig, value}): edited inside, kept secret.
    const secret = pulumi.runtime.isRpcSecret(a.props.metadata);
    const metadata = pulumi.runtime.unwrapRpcSecret(a.props.metadata);
    const annotations = { ...(metadata.annotations ?? {}), "pulumi.com/patchForce": "true" };
    const edited = { ...metadata, annotations };
    return { props: { ...a.props, metadata: secret ? pulumi.secret(edited) : edited }, opts: a.opts };
}

export class HostedControlPlane extends pulumi.ComponentResource {
    /** The TenantControlPlane's name. */
    public readonly tenantName: string;
    /** Its namespace on the management cluster. */
    public readonly namespace: string;
    /** The requested Kubernetes version. */
    public readonly kubernetesVersion: pulumi.Output<string>;
    /** The API endpoint "host:port" Kamaji reports (`status.controlPlaneEndpoint`). */
    public readonly endpoint: pulumi.Output<string>;
    /** The tenant's admin kubeconfig (secret), from Secret `<name>-admin-kubeconfig`, key `admin.conf`. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The tenant's cluster CA certificate (PEM), from Secret `<name>-ca`, key `ca.crt`. */
    public readonly caCertificate: pulumi.Output<string>;
    /** kubeadm's CA pin for joins: "sha256:<hex of the CA's SubjectPublicKeyInfo>". */
    public readonly caCertHash: pulumi.Output<string>;
    /** The tenant's service range (for workers and addons). */
    public readonly serviceCidr: pulumi.Output<string>;
    /** A Kubernetes provider for the tenant cluster. */
    public readonly provider: k8s.Provider;
    /** The TenantControlPlane custom resource. */
    public readonly tenantControlPlane: k8s.apiextensions.CustomResource;
    /** The applied CNI manifest, when `cniManifest` was given. */
    public readonly cni: k8s.yaml.v2.ConfigGroup | undefined;
    /** The management cluster. */
    public readonly managementCluster: ManagementCluster;

    constructor(name: string, args: HostedControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        // Only what names the tenant is recorded as the component's inputs: the SDK would store every
        // argument in plain text, and the CNI manifest may carry Secrets.
        super(
            "hcp:index:HostedControlPlane",
            name,
            {
                tenantName: args.name ?? name,
                namespace: args.namespace ?? "default",
                kubernetesVersion: args.kubernetesVersion,
            },
            opts,
        );
        const label = `HostedControlPlane ${name}`;
        const mgmt = args.managementCluster;
        this.managementCluster = mgmt;
        const tcpName = args.name ?? name;
        const namespace = args.namespace ?? "default";
        this.tenantName = tcpName;
        this.namespace = namespace;

        const structural: PropertyError[] = [];
        if (!(mgmt instanceof ManagementCluster))
            structural.push({ propertyPath: "managementCluster", reason: "must be a ManagementCluster component" });
        if (!(args.dataStore instanceof DataStore))
            structural.push({ propertyPath: "dataStore", reason: "must be a DataStore component" });
        const nsProblem = namespaceProblem(namespace, "tenants");
        if (nsProblem) structural.push({ propertyPath: "namespace", reason: nsProblem });
        if (
            args.readyTimeoutSeconds !== undefined &&
            (!Number.isInteger(args.readyTimeoutSeconds) || args.readyTimeoutSeconds < 1)
        ) {
            structural.push({
                propertyPath: "readyTimeoutSeconds",
                reason: `must be a whole number of seconds >= 1; got ${args.readyTimeoutSeconds}`,
            });
        }
        const k = args.addons?.konnectivity;
        const valueInputs = {
            name: tcpName,
            kubernetesVersion: args.kubernetesVersion,
            replicas: args.replicas,
            serviceType: args.serviceType,
            address: args.address,
            port: args.port,
            advertiseAddress: args.advertiseAddress,
            certSANs: args.certSANs,
            network: args.network,
            addons: k
                ? {
                      konnectivity: {
                          serverPort: k.serverPort,
                          agentMode: k.agentMode,
                          agentReplicas: k.agentReplicas,
                          agentHostNetwork: k.agentHostNetwork,
                      },
                  }
                : undefined,
            kubeletCgroupDriver: args.kubeletCgroupDriver,
            kubeletPreferredAddressTypes: args.kubeletPreferredAddressTypes,
            managementPodCidrs: mgmt?.podCidrs,
            managementServiceCidrs: mgmt?.serviceCidrs,
        };
        // Plain arguments are checked here, all together; Output-valued ones when they resolve.
        const plain = isPlain(valueInputs);
        throwIfInvalid(
            label,
            [...structural, ...(plain ? validateControlPlane(valueInputs as ControlPlaneValues) : [])],
            this,
        );
        const values = pulumi.output(valueInputs).apply((v) => {
            if (!plain) rejectIfInvalid(label, validateControlPlane(v as ControlPlaneValues), this);
            return v as unknown as ControlPlaneValues;
        });

        // The live object, read at preview and update, for the upgrade-step rule.
        const live = mgmt.preflightEnabled
            ? pulumi.unsecret(
                  mgmt.kubeconfig!.apply((kc) =>
                      checkedOn(this, label, "kubernetesVersion", () =>
                          readLiveVersion(kc, namespace, tcpName).catch((e: Error) => {
                              throw new Error(
                                  `cannot read the live TenantControlPlane ${namespace}/${tcpName} to check the version step (${e.message}); check that the management cluster is reachable`,
                              );
                          }),
                      ),
                  ),
              )
            : pulumi.output({ specVersion: undefined, installedVersion: undefined } as LiveVersion);
        const version = pulumi.all([values, live]).apply(([v, l]) => {
            const errors: PropertyError[] = [];
            for (const prev of new Set([l.specVersion, l.installedVersion].filter((x): x is string => !!x))) {
                const p = versionStepProblem(prev, v.kubernetesVersion, "control plane");
                if (p)
                    errors.push({
                        propertyPath: "kubernetesVersion",
                        reason: `${p} (the live TenantControlPlane ${namespace}/${tcpName} is at ${prev})`,
                    });
            }
            rejectIfInvalid(label, errors, this);
            return v.kubernetesVersion;
        });
        this.kubernetesVersion = version;

        // LoadBalancer support is a warning, not an error: an address may come from elsewhere.
        const lb = pulumi
            .output(args.serviceType ?? "LoadBalancer")
            .apply((t) =>
                t === "LoadBalancer" ? mgmt.checkLoadBalancerSupport(this).apply(() => t) : pulumi.output(t),
            );

        const timeout = args.readyTimeoutSeconds ?? 1200;
        const metadata = pulumi.all([version, mgmt.ready, lb]).apply(([ver]) => ({
            name: tcpName,
            namespace,
            labels: MANAGED_BY,
            annotations: {
                "pulumi.com/waitFor": JSON.stringify(readinessConditions(ver)),
                "pulumi.com/timeoutSeconds": String(timeout),
                // Kamaji's finalizers do the cleanup; "foreground" would also wait for the garbage
                // collector to remove the Deployment and Secrets Kamaji owns.
                "pulumi.com/deletionPropagationPolicy": "background",
            },
        }));

        const net = args.network ?? {};
        const addons = args.addons ?? { coreDNS: {}, kubeProxy: {}, konnectivity: {} };
        const serviceMeta =
            args.serviceLabels !== undefined || args.serviceAnnotations !== undefined
                ? { labels: args.serviceLabels, annotations: args.serviceAnnotations }
                : undefined;
        const spec = {
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
                    net.dnsServiceIPs ??
                    pulumi.output(net.serviceCidr ?? DEFAULT_SERVICE_CIDR).apply(defaultDnsServiceIPs),
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

        const mgmtOpts: pulumi.CustomResourceOptions = { parent: this, provider: mgmt.provider };
        const tcp = new TenantControlPlaneResource(
            `${name}-tcp`,
            { apiVersion: "kamaji.clastix.io/v1alpha1", kind: "TenantControlPlane", metadata, spec, status: undefined },
            { ...mgmtOpts, dependsOn: [args.dataStore], deleteBeforeReplace: true },
        );
        this.tenantControlPlane = tcp;
        this.endpoint = tcp.status.apply((s: any): string => s?.controlPlaneEndpoint ?? "");

        // Read Kamaji's Secrets once the object is awaited. The ID derives from the TCP's ID, which
        // is unknown while previewing a create, so nothing is read before the tenant exists.
        const secretId = (suffix: string) => tcp.id.apply((id) => `${id}-${suffix}`);
        const readOpts = { ...mgmtOpts, dependsOn: [tcp] };
        const adminSecret = k8s.core.v1.Secret.get(`${name}-admin-kubeconfig`, secretId("admin-kubeconfig"), readOpts);
        const caSecret = k8s.core.v1.Secret.get(`${name}-ca`, secretId("ca"), readOpts);
        this.kubeconfig = pulumi.secret(
            adminSecret.data.apply(async (d) => {
                const v = d?.["admin.conf"];
                if (!v)
                    throw outputError(
                        label,
                        [
                            {
                                propertyPath: "kubeconfig",
                                reason: `Secret ${namespace}/${tcpName}-admin-kubeconfig has no "admin.conf" key; is Kamaji reconciling this tenant? (kubectl -n ${namespace} describe tcp ${tcpName})`,
                            },
                        ],
                        this,
                    );
                const kubeconfig = Buffer.from(v, "base64").toString("utf8");
                // Only once the admin may act: what the stack applies to the tenant next needs it.
                if (!pulumi.runtime.isDryRun())
                    await checkedOn(this, label, "kubeconfig", () => waitForAdminAccess(kubeconfig, "kubeconfig"));
                return kubeconfig;
            }),
        );
        this.caCertificate = pulumi.unsecret(
            caSecret.data.apply((d) => {
                const v = d?.["ca.crt"];
                if (!v)
                    throw outputError(
                        label,
                        [
                            {
                                propertyPath: "caCertificate",
                                reason: `Secret ${namespace}/${tcpName}-ca has no "ca.crt" key; is Kamaji reconciling this tenant?`,
                            },
                        ],
                        this,
                    );
                return Buffer.from(v, "base64").toString("utf8");
            }),
        );
        this.caCertHash = this.caCertificate.apply((pem) =>
            checkedOn(this, label, "caCertificate", () => caCertHash(pem, "caCertificate")),
        );
        this.serviceCidr = pulumi.output(net.serviceCidr ?? DEFAULT_SERVICE_CIDR);

        this.provider = new k8s.Provider(`${name}-tenant`, { kubeconfig: this.kubeconfig }, { parent: this });
        this.cni =
            args.cniManifest === undefined
                ? undefined
                : new k8s.yaml.v2.ConfigGroup(
                      `${name}-cni`,
                      // Secret: the manifest may carry credentials (its Secrets' data), and the
                      // ConfigGroup records its inputs in state.
                      { yaml: pulumi.secret(args.cniManifest) },
                      { parent: this, provider: this.provider, dependsOn: [tcp], transforms: [takeOverCniObjects] },
                  );

        this.registerOutputs({
            tenantName: this.tenantName,
            namespace: this.namespace,
            kubernetesVersion: this.kubernetesVersion,
            endpoint: this.endpoint,
            kubeconfig: this.kubeconfig,
            caCertificate: this.caCertificate,
            caCertHash: this.caCertHash,
            serviceCidr: this.serviceCidr,
        });
    }
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
