/** Kubeconfig documents for the tenant (admin.conf, controller-manager.conf, cluster-info). */
import * as yaml from "js-yaml";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** A kubeconfig with one cluster, one user (client certificate) and one context, as kubeadm writes them. */
export function renderKubeconfig(opts: {
    clusterName: string;
    server: string;
    caPem: string;
    userName: string;
    certPem: string;
    keyPem: string;
}): string {
    const context = `${opts.userName}@${opts.clusterName}`;
    return yaml.dump(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    name: opts.clusterName,
                    cluster: { server: opts.server, "certificate-authority-data": b64(opts.caPem) },
                },
            ],
            users: [
                {
                    name: opts.userName,
                    user: { "client-certificate-data": b64(opts.certPem), "client-key-data": b64(opts.keyPem) },
                },
            ],
            contexts: [{ name: context, context: { cluster: opts.clusterName, user: opts.userName } }],
            "current-context": context,
            preferences: {},
        },
        { lineWidth: -1 },
    );
}

/**
 * The `kubeconfig` key of kube-public/cluster-info: only the cluster (server + CA) under the empty
 * name, as kubeadm's bootstrap-token phase writes it. bootstrapsigner signs this exact text.
 */
export function renderClusterInfoKubeconfig(server: string, caPem: string): string {
    return yaml.dump(
        {
            apiVersion: "v1",
            clusters: [{ cluster: { "certificate-authority-data": b64(caPem), server }, name: "" }],
            contexts: null,
            "current-context": "",
            kind: "Config",
            preferences: {},
            users: null,
        },
        { lineWidth: -1 },
    );
}
