/**
 * `HostedControlPlane`: one tenant Kubernetes control plane, run by Kamaji on the management
 * cluster as a `TenantControlPlane`. Its arguments: ./hostedControlPlaneArgs.ts; what it writes
 * into the TenantControlPlane: ./tenantControlPlaneSpec.ts; the live version it upgrades from:
 * ./liveVersion.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { caCertHash } from "../lib/pki";
import { TenantRelease } from "../provider/tenantRelease/resource";
import { DataStore } from "./dataStore";
import { checkedOn, isPlain, outputError, rejectIfInvalid, throwIfInvalid } from "./errors";
import type { HostedControlPlaneArgs } from "./hostedControlPlaneArgs";
import { LiveVersion, readLiveVersion, versionStepErrors } from "./liveVersion";
import { ManagementCluster } from "./managementCluster";
import { tenantControlPlaneMetadata, tenantControlPlaneSpec } from "./tenantControlPlaneSpec";
import { waitForAdminAccess } from "./tenantAccess";
import { watchCertificateExpiry } from "./certificateExpiry";
import { DEFAULT_EXPIRY_WARNING_DAYS, warningDaysProblem } from "../model/rules/certificateLifetime";
import { ControlPlaneValues, DEFAULT_SERVICE_CIDR, PropertyError, validateControlPlane } from "./validation";
import { namespaceProblem } from "../model/names";

/** The custom resource with its status exposed as an output. */
class TenantControlPlaneResource extends k8s.apiextensions.CustomResource {
    declare readonly status: pulumi.Output<any>;
}

/** How messages and lookups name the tenant: the component's label, the TenantControlPlane's name and namespace. */
interface Tenant {
    label: string;
    name: string;
    namespace: string;
}

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
    /** When the tenant CA ends: `{ caCertificate: notAfter }` (RFC 3339), once Kamaji has issued it. */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;
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
        const mgmt = args.managementCluster;
        this.managementCluster = mgmt;
        this.tenantName = args.name ?? name;
        this.namespace = args.namespace ?? "default";
        const tenant: Tenant = {
            label: `HostedControlPlane ${name}`,
            name: this.tenantName,
            namespace: this.namespace,
        };

        const values = checkedValues(this, tenant, args);
        this.kubernetesVersion = checkedVersion(this, tenant, mgmt, values);

        const tcp = tenantControlPlane(this, name, tenant, args, this.kubernetesVersion);
        this.tenantControlPlane = tcp;
        this.endpoint = tcp.status.apply((s: any): string => s?.controlPlaneEndpoint ?? "");

        const secrets = kamajiSecrets(this, name, tenant, tcp, mgmt.provider);
        this.kubeconfig = secrets.kubeconfig;
        this.caCertificate = secrets.caCertificate;
        this.caCertHash = this.caCertificate.apply((pem) =>
            checkedOn(this, tenant.label, "caCertificate", () => caCertHash(pem, "caCertificate")),
        );
        this.certificateExpiry = watchCertificateExpiry(
            this,
            tenant.label,
            [
                {
                    propertyPath: "caCertificate",
                    pem: this.caCertificate,
                    renew: `plan the renewal of the tenant CA (Secret ${this.namespace}/${this.tenantName}-ca): it signs every certificate of the tenant and is the CA pin its nodes joined with`,
                },
            ],
            args.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
        );
        this.serviceCidr = pulumi.output(args.network?.serviceCidr ?? DEFAULT_SERVICE_CIDR);

        this.provider = new k8s.Provider(`${name}-tenant`, { kubeconfig: this.kubeconfig }, { parent: this });
        this.cni = cni(this, name, args.cniManifest, tcp);

        this.registerOutputs({
            tenantName: this.tenantName,
            namespace: this.namespace,
            kubernetesVersion: this.kubernetesVersion,
            endpoint: this.endpoint,
            kubeconfig: this.kubeconfig,
            caCertificate: this.caCertificate,
            caCertHash: this.caCertHash,
            certificateExpiry: this.certificateExpiry,
            serviceCidr: this.serviceCidr,
        });
    }
}

/** The arguments that are not control plane values: the components given, the namespace, the timeout. */
function structuralErrors(args: HostedControlPlaneArgs, namespace: string): PropertyError[] {
    const structural: PropertyError[] = [];
    if (!(args.managementCluster instanceof ManagementCluster))
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
    const warningDays = warningDaysProblem(args.expiryWarningDays);
    if (warningDays) structural.push(warningDays);
    return structural;
}

/** The arguments the control plane rules look at, as given (plain values or Outputs). */
function controlPlaneValueInputs(args: HostedControlPlaneArgs, tcpName: string) {
    const k = args.addons?.konnectivity;
    const mgmt = args.managementCluster;
    return {
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
}

/**
 * Plain arguments are checked here, all together (a throw stops the program); Output-valued ones
 * when they resolve (the returned values then reject).
 */
function checkedValues(
    parent: HostedControlPlane,
    tenant: Tenant,
    args: HostedControlPlaneArgs,
): pulumi.Output<ControlPlaneValues> {
    const valueInputs = controlPlaneValueInputs(args, tenant.name);
    const plain = isPlain(valueInputs);
    throwIfInvalid(
        tenant.label,
        [
            ...structuralErrors(args, tenant.namespace),
            ...(plain ? validateControlPlane(valueInputs as ControlPlaneValues) : []),
        ],
        parent,
    );
    return pulumi.output(valueInputs).apply((v) => {
        if (!plain) rejectIfInvalid(tenant.label, validateControlPlane(v as ControlPlaneValues), parent);
        return v as unknown as ControlPlaneValues;
    });
}

/** The requested version, once the upgrade-step rule holds against the live object (read at preview and update). */
function checkedVersion(
    parent: HostedControlPlane,
    tenant: Tenant,
    mgmt: ManagementCluster,
    values: pulumi.Output<ControlPlaneValues>,
): pulumi.Output<string> {
    const { label, name, namespace } = tenant;
    const live = mgmt.preflightEnabled
        ? pulumi.unsecret(
              mgmt.kubeconfig!.apply((kc) =>
                  checkedOn(parent, label, "kubernetesVersion", () =>
                      readLiveVersion(kc, namespace, name).catch((e: Error) => {
                          throw new Error(
                              `cannot read the live TenantControlPlane ${namespace}/${name} to check the version step (${e.message}); check that the management cluster is reachable`,
                          );
                      }),
                  ),
              ),
          )
        : pulumi.output({ specVersion: undefined, installedVersion: undefined } as LiveVersion);
    return pulumi.all([values, live]).apply(([v, l]) => {
        rejectIfInvalid(label, versionStepErrors(l, v.kubernetesVersion, namespace, name), parent);
        return v.kubernetesVersion;
    });
}

/** The TenantControlPlane, created once the management cluster passed its preflight. */
function tenantControlPlane(
    parent: HostedControlPlane,
    name: string,
    tenant: Tenant,
    args: HostedControlPlaneArgs,
    version: pulumi.Output<string>,
): TenantControlPlaneResource {
    const mgmt = args.managementCluster;
    // LoadBalancer support is a warning, not an error: an address may come from elsewhere.
    const lb = pulumi
        .output(args.serviceType ?? "LoadBalancer")
        .apply((t) => (t === "LoadBalancer" ? mgmt.checkLoadBalancerSupport(parent).apply(() => t) : pulumi.output(t)));
    const timeout = args.readyTimeoutSeconds ?? 1200;
    const metadata = pulumi
        .all([version, mgmt.ready, lb])
        .apply(([ver]) => tenantControlPlaneMetadata(tenant.name, tenant.namespace, ver, timeout));
    const spec = tenantControlPlaneSpec(args, version);
    // Created before the tenant and deleted after it: removes the DataStore Secret Kamaji can leave.
    const release =
        mgmt.kubeconfig === undefined
            ? []
            : [
                  new TenantRelease(
                      `${name}-release`,
                      { kubeconfig: mgmt.kubeconfig, namespace: tenant.namespace, tenantName: tenant.name },
                      { parent },
                  ),
              ];
    return new TenantControlPlaneResource(
        `${name}-tcp`,
        { apiVersion: "kamaji.clastix.io/v1alpha1", kind: "TenantControlPlane", metadata, spec, status: undefined },
        { parent, provider: mgmt.provider, dependsOn: [args.dataStore, ...release], deleteBeforeReplace: true },
    );
}

/**
 * Kamaji's Secrets, read once the object is awaited: the admin kubeconfig (returned once the admin
 * may act) and the CA certificate. The IDs derive from the TCP's ID, which is unknown while
 * previewing a create, so nothing is read before the tenant exists.
 */
function kamajiSecrets(
    parent: HostedControlPlane,
    name: string,
    tenant: Tenant,
    tcp: TenantControlPlaneResource,
    provider: k8s.Provider,
): { kubeconfig: pulumi.Output<string>; caCertificate: pulumi.Output<string> } {
    const { label, namespace } = tenant;
    const secretId = (suffix: string) => tcp.id.apply((id) => `${id}-${suffix}`);
    const readOpts = { parent, provider, dependsOn: [tcp] };
    const adminSecret = k8s.core.v1.Secret.get(`${name}-admin-kubeconfig`, secretId("admin-kubeconfig"), readOpts);
    const caSecret = k8s.core.v1.Secret.get(`${name}-ca`, secretId("ca"), readOpts);
    const missingKey = (propertyPath: string, reason: string) => outputError(label, [{ propertyPath, reason }], parent);
    const kubeconfig = pulumi.secret(
        adminSecret.data.apply(async (d) => {
            const v = d?.["admin.conf"];
            if (!v)
                throw missingKey(
                    "kubeconfig",
                    `Secret ${namespace}/${tenant.name}-admin-kubeconfig has no "admin.conf" key; is Kamaji reconciling this tenant? (kubectl -n ${namespace} describe tcp ${tenant.name})`,
                );
            const kc = Buffer.from(v, "base64").toString("utf8");
            // Only once the admin may act: what the stack applies to the tenant next needs it.
            if (!pulumi.runtime.isDryRun())
                await checkedOn(parent, label, "kubeconfig", () => waitForAdminAccess(kc, "kubeconfig"));
            return kc;
        }),
    );
    const caCertificate = pulumi.unsecret(
        caSecret.data.apply((d) => {
            const v = d?.["ca.crt"];
            if (!v)
                throw missingKey(
                    "caCertificate",
                    `Secret ${namespace}/${tenant.name}-ca has no "ca.crt" key; is Kamaji reconciling this tenant?`,
                );
            return Buffer.from(v, "base64").toString("utf8");
        }),
    );
    return { kubeconfig, caCertificate };
}

/** The CNI manifest applied to the tenant, when one is given. */
function cni(
    parent: HostedControlPlane,
    name: string,
    cniManifest: pulumi.Input<string> | undefined,
    tcp: TenantControlPlaneResource,
): k8s.yaml.v2.ConfigGroup | undefined {
    if (cniManifest === undefined) return undefined;
    return new k8s.yaml.v2.ConfigGroup(
        `${name}-cni`,
        // Secret: the manifest may carry credentials (its Secrets' data), and the ConfigGroup
        // records its inputs in state.
        { yaml: pulumi.secret(cniManifest) },
        { parent, provider: parent.provider, dependsOn: [tcp], transforms: [takeOverCniObjects] },
    );
}
