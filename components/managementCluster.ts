/**
 * `ManagementCluster`: the Kubernetes cluster that runs Kamaji and hosts the tenant control planes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { KubeApiError, KubeClient } from "../lib/kube";
import { checkedOn, isPlain, rejectIfInvalid, throwIfInvalid, ValidationError } from "./errors";
import { parseKubeconfig } from "../lib/kube/kubeconfig";
import { namespaceProblem } from "../model/names";
import { PropertyError, validateManagementRanges } from "./validation";

/** @internal */
export const KAMAJI_GROUP_VERSION = "kamaji.clastix.io/v1alpha1";

export interface ManagementClusterArgs {
    /**
     * The admin kubeconfig of the management cluster (its contents, not a path). Treated as a
     * secret. Used for the Kubernetes provider the children use (unless `provider` is given) and
     * for the preflight checks (Kamaji CRDs served, LoadBalancer support, live tenant versions).
     * Changing it does not replace anything. Required unless `provider` is given.
     */
    kubeconfig?: pulumi.Input<string>;
    /**
     * An existing Kubernetes provider for the management cluster. When given, the component creates
     * no provider of its own. Without `kubeconfig` as well, the preflight checks cannot run and are
     * skipped with a warning. Defaults to a new provider built from `kubeconfig`.
     */
    provider?: k8s.Provider;
    /**
     * The namespace Kamaji runs in; DataStore TLS Secrets are created there (Kamaji reads them).
     * Must exist. Defaults to "kamaji-system". Changing it replaces the DataStore Secrets.
     */
    kamajiNamespace?: pulumi.Input<string>;
    /**
     * The management cluster's own pod ranges. Tenant pod and service ranges must not overlap them
     * (the HostedControlPlane checks this at preview). Defaults to none (no check).
     */
    podCidrs?: string[];
    /** The management cluster's own service ranges; see `podCidrs`. Defaults to none (no check). */
    serviceCidrs?: string[];
    /**
     * Accept a kubeconfig whose API server is a plain `http://` URL. Over HTTP the bearer tokens
     * and credentials the provider sends cross the network in clear, so such a kubeconfig is
     * refused at preview unless this is true. For labs only. Defaults to false.
     */
    allowInsecureHttp?: boolean;
    /**
     * Run the preflight checks against the API server. Defaults to true. Set false only where the
     * API server cannot be reached while the program runs (e.g. unit tests with mocks).
     */
    preflight?: boolean;
}

/** What the preflight found. */
export interface PreflightResult {
    /** The checks ran (false when skipped: no kubeconfig, or `preflight: false`). */
    checked: boolean;
    /** The Kamaji resources the API server serves under kamaji.clastix.io/v1alpha1. */
    kamajiResources: string[];
}

/** What the LoadBalancer check found. */
export interface LoadBalancerSupport {
    /** true = something hands out addresses, false = nothing found, undefined = not checked. */
    available: boolean | undefined;
    /** What was found, or why nothing was, in words. */
    detail: string;
}

/**
 * The management cluster: a Kubernetes provider for it plus the facts the other components check
 * against (Kamaji installed, LoadBalancer support, its own network ranges).
 *
 * The preflight runs while the program runs, at preview as well as at update: the Kamaji CRDs
 * (`datastores` and `tenantcontrolplanes.kamaji.clastix.io`) must be served, otherwise every
 * resource that depends on {@link ManagementCluster.ready} fails with an error that says how to
 * install Kamaji.
 *
 * ## Example Usage
 * ```ts
 * const mgmt = new hcp.ManagementCluster("mgmt", {
 *     kubeconfig: cfg.requireSecret("mgmtKubeconfig"),
 *     podCidrs: ["10.1.0.0/16"], serviceCidrs: ["10.2.0.0/16"],
 * });
 * ```
 */
export class ManagementCluster extends pulumi.ComponentResource {
    /** The Kubernetes provider for the management cluster (the given one, or `<name>-provider`). */
    public readonly provider: k8s.Provider;
    /** The kubeconfig (secret), or undefined when only a provider was given. */
    public readonly kubeconfig: pulumi.Output<string> | undefined;
    /** The namespace Kamaji runs in (DataStore Secrets go there). */
    public readonly kamajiNamespace: pulumi.Output<string>;
    /** The management cluster's pod ranges, as given (used for overlap checks). */
    public readonly podCidrs: string[];
    /** The management cluster's service ranges, as given (used for overlap checks). */
    public readonly serviceCidrs: string[];
    /**
     * Resolves once the preflight passed (or was skipped); rejects with an error naming the fix
     * when Kamaji is missing. Children feed it into their inputs so they are not created otherwise.
     */
    public readonly ready: pulumi.Output<PreflightResult>;
    /** Whether the live checks run (a kubeconfig is known and `preflight` is not false). */
    public readonly preflightEnabled: boolean;

    private lbCheck: Promise<LoadBalancerSupport> | undefined;
    private readonly componentName: string;

    constructor(name: string, args: ManagementClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Args hold keys or credentials; they are not recorded as the component's inputs.
        super("hcp:index:ManagementCluster", name, {}, opts);
        const label = `ManagementCluster ${name}`;
        this.componentName = name;

        const errors = validateManagementRanges(args.podCidrs, args.serviceCidrs);
        if (args.kubeconfig === undefined && args.provider === undefined) {
            errors.push({
                propertyPath: "kubeconfig",
                reason: 'either kubeconfig or provider is required: pass the management cluster\'s admin kubeconfig (e.g. cfg.requireSecret("mgmtKubeconfig"))',
            });
        }
        const nsProblem =
            args.kamajiNamespace !== undefined && isPlain(args.kamajiNamespace)
                ? namespaceProblem(args.kamajiNamespace, "kamaji-system")
                : undefined;
        if (nsProblem) errors.push({ propertyPath: "kamajiNamespace", reason: nsProblem });
        const allowHttp = args.allowInsecureHttp === true;
        if (typeof args.kubeconfig === "string") errors.push(...kubeconfigHttpProblems(args.kubeconfig, allowHttp));
        throwIfInvalid(label, errors, this);

        this.podCidrs = [...(args.podCidrs ?? [])];
        this.serviceCidrs = [...(args.serviceCidrs ?? [])];
        this.kamajiNamespace = pulumi.output(args.kamajiNamespace ?? "kamaji-system");
        // A kubeconfig known only later (an Output, e.g. secret config) is checked once it resolves,
        // before the provider, the preflight or any child can use it: everything that reads it then
        // fails with this one error. The preflight's client must be able to parse it.
        const parseProblems = (kc: string): PropertyError[] => {
            if (args.preflight === false) return [];
            try {
                parseKubeconfig(kc);
                return [];
            } catch (e) {
                return [{ propertyPath: "kubeconfig", reason: (e as Error).message.replace(/^kubeconfig: /, "") }];
            }
        };
        this.kubeconfig =
            args.kubeconfig === undefined
                ? undefined
                : pulumi.secret(args.kubeconfig).apply((kc) => {
                      rejectIfInvalid(label, [...kubeconfigHttpProblems(kc, allowHttp), ...parseProblems(kc)], this);
                      return kc;
                  });
        this.provider =
            args.provider ?? new k8s.Provider(`${name}-provider`, { kubeconfig: this.kubeconfig }, { parent: this });
        this.preflightEnabled = args.preflight !== false && this.kubeconfig !== undefined;

        if (!this.preflightEnabled) {
            if (args.preflight !== false) {
                pulumi.log.warn(
                    `${label}: no kubeconfig given with the provider, so the preflight checks (Kamaji CRDs, LoadBalancer support, upgrade steps) are skipped; pass kubeconfig as well to enable them`,
                    this,
                );
            }
            this.ready = pulumi.output({ checked: false, kamajiResources: [] });
        } else {
            // The kubeconfig is secret; the result of the check is not, so unwrap the secretness.
            this.ready = pulumi.unsecret(
                pulumi
                    .all([this.kubeconfig!, this.kamajiNamespace])
                    .apply(([kc, ns]) => checkedOn(this, label, "kubeconfig", () => checkKamaji(label, kc, ns))),
            );
        }

        this.registerOutputs({
            provider: this.provider,
            kubeconfig: this.kubeconfig,
            kamajiNamespace: this.kamajiNamespace,
            podCidrs: this.podCidrs,
            serviceCidrs: this.serviceCidrs,
            ready: this.ready,
        });
    }

    /**
     * Whether anything in the management cluster hands out LoadBalancer addresses, checked once per
     * program. Looks for MetalLB IPAddressPools, Cilium LB IP pools, cloud-provider nodes, and any
     * LoadBalancer Service that already got an address. When nothing is found it logs a warning
     * on `requester` that says what a LoadBalancer tenant will do (stay without endpoint) and how
     * to fix it. Called by HostedControlPlane when its service type is LoadBalancer.
     */
    checkLoadBalancerSupport(requester?: pulumi.Resource): pulumi.Output<LoadBalancerSupport> {
        if (!this.preflightEnabled)
            return pulumi.output({ available: undefined, detail: "not checked (preflight disabled)" });
        return pulumi.unsecret(
            this.kubeconfig!.apply((kc) =>
                checkedOn(this, `ManagementCluster ${this.componentName}`, "kubeconfig", async () => {
                    this.lbCheck ??= detectLoadBalancer(KubeClient.fromKubeconfig(kc));
                    const r = await this.lbCheck;
                    const warning = loadBalancerWarning(r);
                    if (warning) pulumi.log.warn(warning, requester ?? this);
                    return r;
                }),
            ),
        );
    }
}

/**
 * The problems of a kubeconfig whose API server is plain `http://`: the cluster of the current
 * context (or of the only context; every cluster when no context can be told). A document that
 * does not parse gives none here (the provider and the preflight report it).
 * @internal
 */
export function kubeconfigHttpProblems(kubeconfig: string, allowInsecureHttp: boolean): PropertyError[] {
    if (allowInsecureHttp) return [];
    let doc: any;
    try {
        doc = yaml.load(kubeconfig);
    } catch {
        return [];
    }
    if (!doc || typeof doc !== "object") return [];
    const list = (k: string): any[] =>
        Array.isArray(doc[k]) ? doc[k].filter((e: any) => e && typeof e === "object") : [];
    const contexts = list("contexts");
    const current = doc["current-context"] ?? (contexts.length === 1 ? contexts[0].name : undefined);
    const clusterName = contexts.find((c) => c.name === current)?.context?.cluster;
    const clusters = list("clusters").filter((c) => clusterName === undefined || c.name === clusterName);
    return clusters
        .filter((c) => typeof c.cluster?.server === "string" && /^http:\/\//i.test(c.cluster.server.trim()))
        .map((c) => ({
            propertyPath: "kubeconfig",
            reason: `cluster "${c.name}" has the server ${c.cluster.server.trim()}, plain HTTP: the bearer tokens and credentials sent to the API server would cross the network in clear; use the API server's https:// URL, or set allowInsecureHttp: true to accept it knowingly (labs only)`,
        }));
}

/**
 * What the API server answered to the Kamaji preflight.
 * @internal
 */
export type KamajiAnswer =
    | { reachable: false; error: string }
    | {
          reachable: true;
          /** The resources served under kamaji.clastix.io/v1alpha1 (undefined: the group is not served). */
          served: string[] | undefined;
          namespace: string;
          namespaceExists: boolean;
      };

/**
 * The preflight's verdict on an answer: the problems, each naming the property, the rule and the fix.
 * @internal
 */
export function kamajiProblems(a: KamajiAnswer): PropertyError[] {
    if (!a.reachable) {
        return [
            {
                propertyPath: "kubeconfig",
                reason: `cannot reach the management cluster to check that Kamaji is installed (${a.error}); check the kubeconfig's server and credentials, or set preflight: false`,
            },
        ];
    }
    const problems: PropertyError[] = [];
    const missing = ["datastores", "tenantcontrolplanes"].filter((r) => !(a.served ?? []).includes(r));
    if (missing.length > 0) {
        problems.push({
            propertyPath: "kubeconfig",
            reason:
                `the management cluster does not serve ${missing.map((m) => `${m}.kamaji.clastix.io`).join(" and ")} (${KAMAJI_GROUP_VERSION}), so Kamaji is not installed there; ` +
                `install it (helm install kamaji clastix/kamaji -n kamaji-system --create-namespace, which needs cert-manager) or at least its CRDs (kubectl apply -f charts/kamaji/crds/), then run again`,
        });
    }
    if (!a.namespaceExists) {
        problems.push({
            propertyPath: "kamajiNamespace",
            reason: `namespace "${a.namespace}" does not exist in the management cluster; set kamajiNamespace to the namespace Kamaji runs in, or create it (kubectl create namespace ${a.namespace})`,
        });
    }
    return problems;
}

async function checkKamaji(label: string, kubeconfig: string, namespace: string): Promise<PreflightResult> {
    const client = KubeClient.fromKubeconfig(kubeconfig);
    let served: string[] | undefined;
    try {
        served = await client.servedResources(KAMAJI_GROUP_VERSION);
    } catch (e) {
        const error = e instanceof KubeApiError ? e.message : String(e);
        throw new ValidationError(label, kamajiProblems({ reachable: false, error }));
    }
    const ns = await client.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`).catch(() => undefined);
    throwIfInvalid(label, kamajiProblems({ reachable: true, served, namespace, namespaceExists: !!ns }));
    return { checked: true, kamajiResources: served ?? [] };
}

/**
 * What the management cluster shows about LoadBalancer support.
 * @internal
 */
export interface LoadBalancerFacts {
    /** MetalLB IPAddressPools, or undefined when ipaddresspools.metallb.io is not served. */
    metallbPools: number | undefined;
    /** Cilium LB IPAM pools, or undefined when ciliumloadbalancerippools.cilium.io is not served. */
    ciliumPools: number | undefined;
    /** LoadBalancer Services that already got an address, as namespace/name. */
    servicesWithAddress: string[];
    /** Each node's spec.providerID ("" when unset). */
    nodeProviderIds: string[];
}

/**
 * Whether something hands out LoadBalancer addresses, judged from the facts (first match wins).
 * @internal
 */
export function judgeLoadBalancer(f: LoadBalancerFacts): LoadBalancerSupport {
    const notes: string[] = [];
    if (f.metallbPools !== undefined && f.metallbPools > 0)
        return { available: true, detail: `MetalLB with ${f.metallbPools} IPAddressPool(s)` };
    notes.push(
        f.metallbPools === undefined
            ? "no MetalLB (ipaddresspools.metallb.io not served)"
            : "MetalLB is installed but has no IPAddressPool",
    );
    if (f.ciliumPools !== undefined && f.ciliumPools > 0)
        return { available: true, detail: `Cilium LB IPAM with ${f.ciliumPools} pool(s)` };
    if (f.ciliumPools === 0) notes.push("Cilium LB IPAM has no pool");
    if (f.servicesWithAddress.length > 0)
        return { available: true, detail: `LoadBalancer Service ${f.servicesWithAddress[0]} has an address` };
    notes.push("no LoadBalancer Service has an address");
    // kind, k3s and rke2 set a providerID without a cloud controller behind it.
    if (f.nodeProviderIds.some((id) => id !== "" && !/^(kind|k3s|rke2):\/\//.test(id))) {
        return {
            available: true,
            detail: "nodes carry a cloud providerID (a cloud controller usually provides LoadBalancers)",
        };
    }
    notes.push(f.nodeProviderIds.length === 0 ? "the cluster has no nodes" : "no node has a cloud providerID");
    return { available: false, detail: notes.join("; ") };
}

/**
 * The warning for a LoadBalancer tenant when nothing hands out addresses; undefined otherwise.
 * @internal
 */
export function loadBalancerWarning(lb: LoadBalancerSupport): string | undefined {
    if (lb.available !== false) return undefined;
    return `No LoadBalancer implementation found in the management cluster (${lb.detail}). A TenantControlPlane with serviceType LoadBalancer will get no address and stay "Provisioning" without an endpoint. Install MetalLB with an IPAddressPool and an L2Advertisement (or another LoadBalancer provider), or use serviceType "NodePort" with "address" set to a node IP.`;
}

/**
 * Reads the facts {@link judgeLoadBalancer} needs from the cluster.
 * @internal
 */
export async function loadBalancerFacts(
    client: Pick<KubeClient, "servedResources" | "list">,
): Promise<LoadBalancerFacts> {
    const count = async (groupVersion: string, plural: string) =>
        (await client.servedResources(groupVersion))?.includes(plural)
            ? (await client.list(`/apis/${groupVersion}/${plural}`)).length
            : undefined;
    const metallbPools = await count("metallb.io/v1beta1", "ipaddresspools");
    const ciliumPools = await count("cilium.io/v2alpha1", "ciliumloadbalancerippools");
    const services = await client.list("/api/v1/services");
    const nodes = await client.list("/api/v1/nodes");
    return {
        metallbPools,
        ciliumPools,
        servicesWithAddress: services
            .filter((s: any) => s.spec?.type === "LoadBalancer" && (s.status?.loadBalancer?.ingress ?? []).length > 0)
            .map((s: any) => `${s.metadata.namespace}/${s.metadata.name}`),
        nodeProviderIds: nodes.map((n: any) => (typeof n.spec?.providerID === "string" ? n.spec.providerID : "")),
    };
}

/**
 * Inspects a cluster for something that hands out LoadBalancer addresses.
 * @internal
 */
export async function detectLoadBalancer(
    client: Pick<KubeClient, "servedResources" | "list">,
): Promise<LoadBalancerSupport> {
    try {
        return judgeLoadBalancer(await loadBalancerFacts(client));
    } catch (e) {
        return { available: undefined, detail: `could not check (${e instanceof Error ? e.message : String(e)})` };
    }
}
