/**
 * The rules for a HostedControlPlane's arguments: the tenant's name and version, how its API
 * server is exposed, its network ranges (./ranges.ts), Konnectivity, the kubelet settings, and
 * the fields Kamaji v1.0.0 does not have.
 */
import { parseIp } from "../network";
import { dnsLabelProblem } from "../names";
import { versionProblem } from "../version";
import { errorList, isPort, PropertyError, Report } from "./propertyError";
import { ManagementRangeValues, tenantRangeRules, TenantNetworkValues } from "./ranges";

export type ServiceType = "LoadBalancer" | "NodePort" | "ClusterIP";
export const SERVICE_TYPES: ServiceType[] = ["LoadBalancer", "NodePort", "ClusterIP"];

/** The plain (resolved) values the control plane rules look at. */
export interface ControlPlaneValues extends ManagementRangeValues {
    name: string;
    kubernetesVersion: string;
    replicas?: number;
    serviceType?: string;
    address?: string;
    port?: number;
    advertiseAddress?: string;
    certSANs?: string[];
    network?: TenantNetworkValues;
    addons?: {
        konnectivity?: KonnectivityValues;
    };
    kubeletCgroupDriver?: string;
    kubeletPreferredAddressTypes?: string[];
}

export interface KonnectivityValues {
    serverPort?: number;
    agentMode?: string;
    agentReplicas?: number;
    agentHostNetwork?: boolean;
}

/** `spec.kubernetes.kubelet.preferredAddressTypes` values (Kamaji's CRD enum). */
export type KubeletAddressType = "Hostname" | "InternalIP" | "ExternalIP" | "InternalDNS" | "ExternalDNS";
export const KUBELET_ADDRESS_TYPES: KubeletAddressType[] = [
    "Hostname",
    "InternalIP",
    "ExternalIP",
    "InternalDNS",
    "ExternalDNS",
];
/**
 * The package's default, InternalIP first: Kamaji's own default starts with Hostname, which plain
 * Linux machines without DNS for their names cannot serve (`kubectl logs` then fails on a lookup).
 */
export const DEFAULT_KUBELET_ADDRESS_TYPES: KubeletAddressType[] = ["InternalIP", "ExternalIP", "Hostname"];

/** Every rule for a HostedControlPlane's arguments; an empty list means valid. */
export function validateControlPlane(v: ControlPlaneValues): PropertyError[] {
    const { errors, err } = errorList();
    tenantRules(v, err);
    apiServerRules(v, err);
    tenantRangeRules(v.network ?? {}, v, err);
    if (v.addons?.konnectivity) konnectivityRules(v.addons.konnectivity, v.port ?? 6443, err);
    missingInKamajiRules(v, err);
    kubeletRules(v, err);
    return errors;
}

/** The TenantControlPlane's name, version and replicas. */
function tenantRules(v: ControlPlaneValues, err: Report): void {
    const nameProblem = dnsLabelProblem(v.name, 63 - "-admin-kubeconfig".length);
    if (nameProblem)
        err("name", `${nameProblem} (it names the TenantControlPlane, its Service and the prefix of its Secrets)`);

    const vp = versionProblem(v.kubernetesVersion);
    if (vp) err("kubernetesVersion", vp);

    if (v.replicas !== undefined && (!Number.isInteger(v.replicas) || v.replicas < 0)) {
        err(
            "replicas",
            `must be a whole number >= 0 (0 puts the control plane to sleep; 2 or more is highly available); got ${v.replicas}`,
        );
    }
}

/** How the API server is exposed: Service type, the address it advertises, its port and certificate names. */
function apiServerRules(v: ControlPlaneValues, err: Report): void {
    const serviceType = v.serviceType ?? "LoadBalancer";
    if (!SERVICE_TYPES.includes(serviceType as ServiceType)) {
        err("serviceType", `must be one of ${SERVICE_TYPES.join(", ")}; got "${serviceType}"`);
    }
    if (v.address !== undefined && v.address !== "") {
        if (/[:/]/.test(v.address) && !parseIp(v.address)) {
            err(
                "address",
                `must be a bare IP or host name without scheme or port (the port is "port"); got "${v.address}"`,
            );
        }
    } else if (serviceType === "NodePort" || serviceType === "ClusterIP") {
        err(
            "address",
            `is required when serviceType is ${serviceType}: Kamaji cannot discover an address to advertise; set the IP or DNS name workers use to reach the API server`,
        );
    }
    if (v.port !== undefined && !isPort(v.port))
        err("port", `must be a TCP port from 1 to 65535 (default 6443); got ${v.port}`);
    (v.certSANs ?? []).forEach((s, i) => {
        if (typeof s !== "string" || s === "") err(`certSANs[${i}]`, "must be a non-empty host name or IP");
        else if (/^[a-z]+:\/\//i.test(s) || (!parseIp(s) && s.includes(":")) || s.includes("/")) {
            err(
                `certSANs[${i}]`,
                `must be a bare host name or IP, not a URL or host:port (Kamaji loops rotating certificates otherwise, kamaji#679); got "${s}"`,
            );
        }
    });
}

/** The Konnectivity server's port, and the agent settings Kamaji v1.0.0 has. */
function konnectivityRules(k: KonnectivityValues, apiServerPort: number, err: Report): void {
    if (k.serverPort !== undefined) {
        if (!isPort(k.serverPort))
            err(
                "addons.konnectivity.serverPort",
                `must be a TCP port from 1 to 65535 (default 8132); got ${k.serverPort}`,
            );
        else if (k.serverPort === apiServerPort)
            err(
                "addons.konnectivity.serverPort",
                `must differ from the API server port ${apiServerPort}: both are ports of the same Service`,
            );
    }
    // Kamaji v1.0.0 always runs the agents as a DaemonSet on the tenant's pod network: its
    // KonnectivityAgentSpec has only image, version, tolerations and extraArgs.
    const mode = k.agentMode ?? "DaemonSet";
    if (mode !== "DaemonSet")
        err(
            "addons.konnectivity.agentMode",
            `must be "DaemonSet": Kamaji v1.0.0 runs the Konnectivity agents only as a DaemonSet; got "${mode}"; remove it`,
        );
    if (k.agentReplicas !== undefined)
        err(
            "addons.konnectivity.agentReplicas",
            "is not supported by Kamaji v1.0.0 (its agents are a DaemonSet, one per node); remove it",
        );
    if (k.agentHostNetwork !== undefined && k.agentHostNetwork !== false)
        err(
            "addons.konnectivity.agentHostNetwork",
            "is not supported by Kamaji v1.0.0 (its agent DaemonSet runs on the pod network); remove it",
        );
}

/** Arguments Kamaji v1.0.0's TenantControlPlane has no field for. */
function missingInKamajiRules(v: ControlPlaneValues, err: Report): void {
    if (v.advertiseAddress !== undefined && v.advertiseAddress !== "")
        err(
            "advertiseAddress",
            "is not supported by Kamaji v1.0.0 (its networkProfile has no advertiseAddress; the API server advertises `address`); remove it, or set `address` to that IP",
        );
    const clusterDomain = v.network?.clusterDomain;
    if (clusterDomain !== undefined && clusterDomain !== "cluster.local")
        err(
            "network.clusterDomain",
            `is not supported by Kamaji v1.0.0 (its networkProfile has no clusterDomain, tenants use "cluster.local"); remove it; got "${clusterDomain}"`,
        );
}

/** The address types the API server tries to reach kubelets with, and the kubelet's cgroup driver. */
function kubeletRules(v: ControlPlaneValues, err: Report): void {
    const types = v.kubeletPreferredAddressTypes;
    if (types !== undefined) {
        if (!Array.isArray(types) || types.length === 0)
            err(
                "kubeletPreferredAddressTypes",
                `must list at least one of ${KUBELET_ADDRESS_TYPES.join(", ")} (default ${DEFAULT_KUBELET_ADDRESS_TYPES.join(", ")})`,
            );
        else
            types.forEach((t, i) => {
                if (!KUBELET_ADDRESS_TYPES.includes(t as KubeletAddressType))
                    err(
                        `kubeletPreferredAddressTypes[${i}]`,
                        `must be one of ${KUBELET_ADDRESS_TYPES.join(", ")} (Kamaji's enum); got "${t}"`,
                    );
                else if (types.indexOf(t) !== i)
                    err(
                        `kubeletPreferredAddressTypes[${i}]`,
                        `"${t}" is listed twice (Kamaji's webhook refuses duplicates); list each type once`,
                    );
            });
    }

    if (
        v.kubeletCgroupDriver !== undefined &&
        v.kubeletCgroupDriver !== "systemd" &&
        v.kubeletCgroupDriver !== "cgroupfs"
    ) {
        err(
            "kubeletCgroupDriver",
            `must be "systemd" (what containerd is configured with) or "cgroupfs"; got "${v.kubeletCgroupDriver}"`,
        );
    }
}
