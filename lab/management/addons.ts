/**
 * The management cluster's own add-ons, as manifests for `kubectl apply`: its pod network (the
 * same agent the tenants run, lab/podnet.ts) and CoreDNS, which Kamaji needs in-cluster to reach
 * each tenant API at `<tcp>.<namespace>.svc`.
 *
 *   node dist/lab/management/addons.js --api HOST:PORT --podnet-image REF --coredns-image REF [--dns-ip IP]
 */
import * as yaml from "js-yaml";
import { parseArgs } from "node:util";
import { podNetworkManifest } from "../podnet";

const NS = "kube-system";

/** No `forward`: the lab has no resolver beyond the cluster's names, and a loop to 127.0.0.1 would end CoreDNS. */
const COREFILE = `.:53 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
`;

export function coreDnsManifests(image: string, dnsIp: string): object[] {
    const name = "coredns";
    const labels = { "k8s-app": "kube-dns" };
    return [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: NS } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "system:coredns" },
            rules: [
                {
                    apiGroups: [""],
                    resources: ["endpoints", "services", "pods", "namespaces"],
                    verbs: ["list", "watch"],
                },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "system:coredns" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
            subjects: [{ kind: "ServiceAccount", name, namespace: NS }],
        },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS }, data: { Corefile: COREFILE } },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace: NS, labels },
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: name,
                        priorityClassName: "system-cluster-critical",
                        dnsPolicy: "Default",
                        tolerations: [{ operator: "Exists" }],
                        containers: [
                            {
                                name,
                                image,
                                args: ["-conf", "/etc/coredns/Corefile"],
                                ports: [
                                    { name: "dns", containerPort: 53, protocol: "UDP" },
                                    { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                                ],
                                readinessProbe: { httpGet: { path: "/ready", port: 8181 } },
                                livenessProbe: { httpGet: { path: "/health", port: 8080 } },
                                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
                            },
                        ],
                        volumes: [{ name: "config", configMap: { name } }],
                    },
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "kube-dns", namespace: NS, labels },
            spec: {
                selector: labels,
                clusterIP: dnsIp,
                ports: [
                    { name: "dns", port: 53, protocol: "UDP" },
                    { name: "dns-tcp", port: 53, protocol: "TCP" },
                ],
            },
        },
    ];
}

export function managementAddons(o: { api: string; podnetImage: string; corednsImage: string; dnsIp: string }): string {
    const dns = coreDnsManifests(o.corednsImage, o.dnsIp)
        .map((d) => yaml.dump(d, { lineWidth: -1 }))
        .join("---\n");
    return `${podNetworkManifest({ image: o.podnetImage, apiEndpoint: o.api })}---\n${dns}`;
}

if (require.main === module) {
    const { values: o } = parseArgs({
        options: {
            api: { type: "string" },
            "podnet-image": { type: "string" },
            "coredns-image": { type: "string" },
            "dns-ip": { type: "string", default: "10.96.0.10" },
        },
    });
    if (!o.api || !o["podnet-image"] || !o["coredns-image"]) {
        process.stderr.write("usage: addons.js --api HOST:PORT --podnet-image REF --coredns-image REF [--dns-ip IP]\n");
        process.exit(2);
    }
    process.stdout.write(
        managementAddons({
            api: o.api,
            podnetImage: o["podnet-image"],
            corednsImage: o["coredns-image"],
            dnsIp: o["dns-ip"]!,
        }),
    );
}
