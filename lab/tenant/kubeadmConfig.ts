/**
 * The kubeadm configuration documents `kubeadm join` reads from the cluster: ClusterConfiguration
 * (kubeadm-config) and the KubeletConfiguration for joining nodes (kubelet-config), as kubeadm
 * v1.34 writes them.
 */
import * as yaml from "js-yaml";
import { parseRecordedVersion } from "../../model/version";
import { BootstrapOptions } from "./bootstrapTypes";
import { applyJsonPatch } from "./jsonPatch";
import { nthIp } from "./pki";

/** "v1.34.4" for "1.34.4" or "v1.34.4". */
export function normalizeVersion(v: string): string {
    const p = parseRecordedVersion(v.trim());
    if (!p) throw new Error(`kubernetesVersion: "${v}" must look like v1.34.4`);
    return `v${p.major}.${p.minor}.${p.patch}`;
}

export function clusterConfigurationYaml(o: BootstrapOptions): string {
    const u = new URL(o.server);
    return yaml.dump(
        {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "ClusterConfiguration",
            apiServer: {},
            caCertificateValidityPeriod: "87600h0m0s",
            certificateValidityPeriod: "8760h0m0s",
            certificatesDir: "/etc/kubernetes/pki",
            clusterName: o.clusterName,
            controlPlaneEndpoint: u.host,
            controllerManager: {},
            dns: {},
            encryptionAlgorithm: "RSA-2048",
            etcd: {
                external: {
                    endpoints: o.etcdEndpoints,
                    caFile: "/etc/kubernetes/pki/etcd/ca.crt",
                    certFile: "/etc/kubernetes/pki/etcd/server.crt",
                    keyFile: "/etc/kubernetes/pki/etcd/server.key",
                },
            },
            imageRepository: "registry.k8s.io",
            kubernetesVersion: normalizeVersion(o.kubernetesVersion),
            networking: { dnsDomain: o.clusterDomain, podSubnet: o.podCidr, serviceSubnet: o.serviceCidr },
            proxy: {},
            scheduler: {},
        },
        { lineWidth: -1, sortKeys: false },
    );
}

/** kubeadm's default KubeletConfiguration for joining nodes, with the TCP's cgroup driver and patches. */
export function kubeletConfiguration(o: BootstrapOptions): Record<string, unknown> {
    const cfg: Record<string, unknown> = {
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        authentication: {
            anonymous: { enabled: false },
            webhook: { cacheTTL: "0s", enabled: true },
            x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
        },
        authorization: { mode: "Webhook", webhook: { cacheAuthorizedTTL: "0s", cacheUnauthorizedTTL: "0s" } },
        cgroupDriver: o.cgroupDriver,
        clusterDNS: [nthIp(o.serviceCidr, 10)],
        clusterDomain: o.clusterDomain,
        containerRuntimeEndpoint: "",
        cpuManagerReconcilePeriod: "0s",
        evictionPressureTransitionPeriod: "0s",
        fileCheckFrequency: "0s",
        healthzBindAddress: "127.0.0.1",
        healthzPort: 10248,
        httpCheckFrequency: "0s",
        imageMaximumGCAge: "0s",
        imageMinimumGCAge: "0s",
        logging: {
            flushFrequency: 0,
            options: { json: { infoBufferSize: "0" }, text: { infoBufferSize: "0" } },
            verbosity: 0,
        },
        memorySwap: {},
        nodeStatusReportFrequency: "0s",
        nodeStatusUpdateFrequency: "0s",
        rotateCertificates: true,
        runtimeRequestTimeout: "0s",
        shutdownGracePeriod: "0s",
        shutdownGracePeriodCriticalPods: "0s",
        staticPodPath: "/etc/kubernetes/manifests",
        streamingConnectionIdleTimeout: "0s",
        syncFrequency: "0s",
        volumeStatsAggPeriod: "0s",
    };
    return applyJsonPatch(cfg, o.kubeletConfigPatches ?? [], "kubeletConfigPatches");
}
