/**
 * What a management-cluster node of the lab needs on disk (lab/management-nodes.sh writes it):
 * the package's own host preparation script (containerd, runc, CNI plugins, kubelet from the lab
 * bundle, exactly as on a worker), the kubelet's configuration, and kube-proxy's. The management
 * cluster is not made by kubeadm, so its kubelets register with a client certificate the lab mints.
 *
 *   node dist/lab/management/nodeFiles.js prepare-script --registry HOST:PORT --bundle DIR --version vX.Y.Z
 *   node dist/lab/management/nodeFiles.js kubelet-config --cgroup-root /hcphN-NAME --cluster-dns IP
 *   node dist/lab/management/nodeFiles.js kube-proxy-config --cluster-cidr CIDR --hostname NAME
 */
import * as yaml from "js-yaml";
import { parseArgs } from "node:util";
import { normalizePrep, renderPrepareScript } from "../../provider/hostprep/logic";
import { LAB_CGROUP_DRIVER, LAB_KUBELET_CONFIGURATION, labContainerd } from "../nodeSettings";

/** A worker's containerd, plus Docker Hub through the mirror: Kamaji's own image is docker.io/clastix/kamaji. */
function managementContainerd(registry: string) {
    const c = labContainerd(registry);
    return { ...c, registryMirrors: { ...c.registryMirrors, "docker.io": [`http://${registry}`] } };
}

/** The preparation a worker gets from PreparedHost, for a management node. */
export function prepareScript(registry: string, bundle: string, version: string): string {
    return renderPrepareScript(
        normalizePrep({
            kubernetesVersion: version,
            containerd: { ...managementContainerd(registry), cgroupDriver: LAB_CGROUP_DRIVER },
            packageSource: { kind: "bundle", path: bundle },
        }),
    );
}

/** The management node's KubeletConfiguration (the worker's lab settings, plus what kubeadm would write). */
export function kubeletConfig(cgroupRoot: string, clusterDns: string): string {
    return yaml.dump({
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        ...LAB_KUBELET_CONFIGURATION,
        cgroupDriver: LAB_CGROUP_DRIVER,
        cgroupRoot,
        clusterDNS: [clusterDns],
        clusterDomain: "cluster.local",
        authentication: {
            anonymous: { enabled: false },
            webhook: { enabled: true },
            x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
        },
        authorization: { mode: "Webhook" },
        rotateCertificates: false,
        serverTLSBootstrap: false,
        failSwapOn: false,
        staticPodPath: "/etc/kubernetes/manifests",
    });
}

/** kube-proxy in iptables mode; conntrack limits are the machine's (a namespace cannot set them). */
export function kubeProxyConfig(clusterCidr: string, hostname: string): string {
    return yaml.dump({
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        kind: "KubeProxyConfiguration",
        mode: "iptables",
        clusterCIDR: clusterCidr,
        hostnameOverride: hostname,
        clientConnection: { kubeconfig: "/var/lib/kube-proxy/kubeconfig" },
        conntrack: { maxPerCore: 0 },
    });
}

function main(argv: string[]): void {
    const [command, ...rest] = argv;
    const { values: o } = parseArgs({
        args: rest,
        options: {
            registry: { type: "string" },
            bundle: { type: "string" },
            version: { type: "string" },
            "cgroup-root": { type: "string" },
            "cluster-dns": { type: "string" },
            "cluster-cidr": { type: "string" },
            hostname: { type: "string" },
        },
    });
    const need = (k: keyof typeof o): string => {
        const v = o[k];
        if (typeof v !== "string" || !v) throw new Error(`${command}: --${k} is required`);
        return v;
    };
    switch (command) {
        case "prepare-script":
            process.stdout.write(prepareScript(need("registry"), need("bundle"), need("version")));
            return;
        case "kubelet-config":
            process.stdout.write(kubeletConfig(need("cgroup-root"), need("cluster-dns")));
            return;
        case "kube-proxy-config":
            process.stdout.write(kubeProxyConfig(need("cluster-cidr"), need("hostname")));
            return;
        default:
            throw new Error(
                `usage: nodeFiles.js prepare-script|kubelet-config|kube-proxy-config ... (got "${command}")`,
            );
    }
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
    }
}
