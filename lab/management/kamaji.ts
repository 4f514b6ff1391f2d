/**
 * The real Kamaji operator in the lab's management cluster, as manifests for `kubectl apply`.
 *
 * In-cluster, as Kamaji's own chart runs it, with three lab choices, each for a reason:
 *  - **host network on one management node**: the management API server runs on the machine, not
 *    on a node, so it calls the webhooks at a URL (`https://<node IP>:9443/...`) rather than
 *    through a Service (URL-based webhook configurations, no cert-manager: the lab mints the
 *    serving certificate). `dnsPolicy: ClusterFirstWithHostNet` keeps the cluster DNS, which Kamaji
 *    needs to reach each tenant API at `<tcp>.<namespace>.svc`.
 *  - **no leader election** (one replica).
 *  - **the lab DataStore as Kamaji's default** (`--datastore default`): the manager refuses to start
 *    without its default DataStore; the package's DataStores are separate objects beside it.
 * RBAC follows the manager's kubebuilder markers in v1.0.0, plus events for its recorder.
 *
 *   node dist/lab/management/kamaji.js --image REF --node NAME --node-ip IP --ca FILE --cert FILE --key FILE
 *       --datastore-endpoints H:P,... --datastore-ca FILE --datastore-ca-key FILE
 *       --datastore-client-cert FILE --datastore-client-key FILE [--stage prerequisites|operator|admission]
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { parseArgs } from "node:util";

export const KAMAJI_NAMESPACE = "kamaji-system";
const SA = "kamaji";
const WEBHOOK_PORT = 9443;

export interface KamajiOptions {
    image: string;
    /** The management node the manager runs on, and its address (the webhooks' URL host). */
    node: string;
    nodeIp: string;
    /** PEM: the CA the management API server trusts the webhooks by; the serving pair it signed. */
    caPem: string;
    certPem: string;
    keyPem: string;
    dataStore: { endpoints: string[]; caPem: string; caKeyPem: string; clientCertPem: string; clientKeyPem: string };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const ALL = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** The manager's rules (its `+kubebuilder:rbac` markers in v1.0.0), plus events. */
export const KAMAJI_RULES = [
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ALL },
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "delete"] },
    { apiGroups: [""], resources: ["configmaps", "secrets", "services"], verbs: ALL },
    { apiGroups: ["kamaji.clastix.io"], resources: ["datastores", "tenantcontrolplanes"], verbs: ALL },
    {
        apiGroups: ["kamaji.clastix.io"],
        resources: ["datastores/status", "tenantcontrolplanes/status"],
        verbs: ["get", "update", "patch"],
    },
    { apiGroups: ["kamaji.clastix.io"], resources: ["tenantcontrolplanes/finalizers"], verbs: ["update"] },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ALL },
    { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
];

/** Kamaji v1.0.0's webhooks: path, rules and failure policy as its manager registers them. */
export const KAMAJI_WEBHOOKS = {
    mutating: [
        {
            name: "mtenantcontrolplane.kb.io",
            path: "/mutate-kamaji-clastix-io-v1alpha1-tenantcontrolplane",
            failurePolicy: "Fail",
            rule: { apiGroups: ["kamaji.clastix.io"], apiVersions: ["v1alpha1"], resources: ["tenantcontrolplanes"] },
            operations: ["CREATE", "UPDATE"],
        },
    ],
    validating: [
        {
            name: "telemetry.kamaji.clastix.io",
            path: "/telemetry",
            failurePolicy: "Ignore",
            rule: { apiGroups: ["kamaji.clastix.io"], apiVersions: ["v1alpha1"], resources: ["tenantcontrolplanes"] },
            operations: ["CREATE", "UPDATE", "DELETE"],
        },
        {
            name: "vdatastore.kb.io",
            path: "/validate-kamaji-clastix-io-v1alpha1-datastore",
            failurePolicy: "Fail",
            rule: { apiGroups: ["kamaji.clastix.io"], apiVersions: ["v1alpha1"], resources: ["datastores"] },
            operations: ["CREATE", "UPDATE", "DELETE"],
        },
        {
            name: "vdatastoresecrets.kb.io",
            path: "/validate--v1-secret",
            failurePolicy: "Ignore",
            rule: { apiGroups: [""], apiVersions: ["v1"], resources: ["secrets"] },
            operations: ["DELETE"],
        },
        {
            name: "vtenantcontrolplane.kb.io",
            path: "/validate-kamaji-clastix-io-v1alpha1-tenantcontrolplane",
            failurePolicy: "Fail",
            rule: { apiGroups: ["kamaji.clastix.io"], apiVersions: ["v1alpha1"], resources: ["tenantcontrolplanes"] },
            operations: ["CREATE", "UPDATE"],
        },
    ],
};

function webhooks(o: KamajiOptions, list: (typeof KAMAJI_WEBHOOKS)["validating"]) {
    return list.map((w) => ({
        name: w.name,
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: w.failurePolicy,
        timeoutSeconds: 10,
        clientConfig: { url: `https://${o.nodeIp}:${WEBHOOK_PORT}${w.path}`, caBundle: b64(o.caPem) },
        rules: [{ ...w.rule, operations: w.operations }],
    }));
}

const DATASTORE_SECRET = "lab-datastore-certificates";
const SERVING_CERT_SECRET = "kamaji-webhook-serving-cert";
const WEBHOOK_SERVICE = "kamaji-webhook-service";
const LABELS = { "app.kubernetes.io/name": "kamaji" };

/** The manager's namespace, service account and cluster-wide RBAC. */
function managerIdentity(): object[] {
    const ns = KAMAJI_NAMESPACE;
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: ns } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "kamaji-manager" },
            rules: KAMAJI_RULES,
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "kamaji-manager" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kamaji-manager" },
            subjects: [{ kind: "ServiceAccount", name: SA, namespace: ns }],
        },
    ];
}

/** The webhooks' serving pair, and the lab DataStore's CA and client certificate. */
function certificateSecrets(o: KamajiOptions): object[] {
    const ns = KAMAJI_NAMESPACE;
    return [
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: SERVING_CERT_SECRET, namespace: ns },
            type: "kubernetes.io/tls",
            data: { "tls.crt": b64(o.certPem), "tls.key": b64(o.keyPem), "ca.crt": b64(o.caPem) },
        },
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: DATASTORE_SECRET, namespace: ns },
            data: {
                "ca.crt": b64(o.dataStore.caPem),
                "ca.key": b64(o.dataStore.caKeyPem),
                "tls.crt": b64(o.dataStore.clientCertPem),
                "tls.key": b64(o.dataStore.clientKeyPem),
            },
        },
    ];
}

/** The DataStore `--datastore=default` names, its certificates taken from the Secret above. */
function defaultDataStore(o: KamajiOptions): object {
    const ref = (key: string) => ({
        secretReference: { name: DATASTORE_SECRET, namespace: KAMAJI_NAMESPACE, keyPath: key },
    });
    return {
        apiVersion: "kamaji.clastix.io/v1alpha1",
        kind: "DataStore",
        metadata: { name: "default" },
        spec: {
            driver: "etcd",
            endpoints: o.dataStore.endpoints,
            tlsConfig: {
                certificateAuthority: { certificate: ref("ca.crt"), privateKey: ref("ca.key") },
                clientCertificate: { certificate: ref("tls.crt"), privateKey: ref("tls.key") },
            },
        },
    };
}

function webhookService(): object {
    return {
        // Named by --webhook-service-name: the migration jobs Kamaji starts reach the manager through it.
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: WEBHOOK_SERVICE, namespace: KAMAJI_NAMESPACE },
        spec: { selector: LABELS, ports: [{ port: 443, targetPort: WEBHOOK_PORT, protocol: "TCP" }] },
    };
}

function managerContainer(o: KamajiOptions): object {
    return {
        name: "manager",
        image: o.image,
        args: [
            "manager",
            "--leader-elect=false",
            "--disable-telemetry",
            "--datastore=default",
            `--pod-namespace=${KAMAJI_NAMESPACE}`,
            `--serviceaccount-name=${SA}`,
            `--webhook-service-name=${WEBHOOK_SERVICE}`,
            "--webhook-ca-path=/tmp/k8s-webhook-server/serving-certs/ca.crt",
            "--tmp-directory=/tmp/kamaji",
            "--metrics-bind-address=127.0.0.1:18080",
            "--health-probe-bind-address=127.0.0.1:18081",
            `--migrate-image=${o.image}`,
        ],
        env: [
            {
                name: "POD_NAMESPACE",
                valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
            },
        ],
        volumeMounts: [
            { name: "tmp", mountPath: "/tmp" },
            {
                name: "serving-cert",
                mountPath: "/tmp/k8s-webhook-server/serving-certs",
                readOnly: true,
            },
        ],
    };
}

/** One replica on the host network of the chosen management node (see the header). */
function managerDeployment(o: KamajiOptions): object {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "kamaji", namespace: KAMAJI_NAMESPACE, labels: LABELS },
        spec: {
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: LABELS },
            template: {
                metadata: { labels: LABELS },
                spec: {
                    serviceAccountName: SA,
                    hostNetwork: true,
                    dnsPolicy: "ClusterFirstWithHostNet",
                    nodeSelector: { "kubernetes.io/hostname": o.node },
                    tolerations: [{ operator: "Exists" }],
                    containers: [managerContainer(o)],
                    volumes: [
                        { name: "tmp", emptyDir: {} },
                        { name: "serving-cert", secret: { secretName: SERVING_CERT_SECRET } },
                    ],
                },
            },
        },
    };
}

function webhookConfigurations(o: KamajiOptions): object[] {
    return [
        {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "MutatingWebhookConfiguration",
            metadata: { name: "kamaji-mutating-webhook-configuration" },
            webhooks: webhooks(o, KAMAJI_WEBHOOKS.mutating),
        },
        {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name: "kamaji-validating-webhook-configuration" },
            webhooks: webhooks(o, KAMAJI_WEBHOOKS.validating),
        },
    ];
}

/** Every object, in apply order. */
export function kamajiManifests(o: KamajiOptions): object[] {
    return [
        ...managerIdentity(),
        ...certificateSecrets(o),
        defaultDataStore(o),
        webhookService(),
        managerDeployment(o),
        ...webhookConfigurations(o),
    ];
}

/**
 * In the order they can apply: the manager refuses to start without its default DataStore, and the
 * DataStore webhook (failurePolicy Fail) would refuse that DataStore before the manager answers.
 */
export function kamajiStages(o: KamajiOptions): { prerequisites: object[]; operator: object[]; admission: object[] } {
    const all = kamajiManifests(o) as { kind: string }[];
    const admission = all.filter((d) => /WebhookConfiguration$/.test(d.kind));
    const operator = all.filter((d) => d.kind === "Deployment");
    const prerequisites = all.filter((d) => !admission.includes(d) && !operator.includes(d));
    return { prerequisites, operator, admission };
}

if (require.main === module) {
    const { values: v } = parseArgs({
        options: Object.fromEntries(
            [
                "image",
                "node",
                "node-ip",
                "ca",
                "cert",
                "key",
                "datastore-endpoints",
                "datastore-ca",
                "datastore-ca-key",
                "datastore-client-cert",
                "datastore-client-key",
                "stage",
            ].map((k) => [k, { type: "string" as const }]),
        ),
    });
    const need = (k: string): string => {
        const x = v[k];
        if (typeof x !== "string" || !x) {
            process.stderr.write(`kamaji.js: --${k} is required\n`);
            process.exit(2);
        }
        return x;
    };
    const read = (k: string) => fs.readFileSync(need(k), "utf8");
    const o: KamajiOptions = {
        image: need("image"),
        node: need("node"),
        nodeIp: need("node-ip"),
        caPem: read("ca"),
        certPem: read("cert"),
        keyPem: read("key"),
        dataStore: {
            // Kamaji takes host:port, without a scheme.
            endpoints: need("datastore-endpoints")
                .split(",")
                .map((e) => e.replace(/^https?:\/\//, "")),
            caPem: read("datastore-ca"),
            caKeyPem: read("datastore-ca-key"),
            clientCertPem: read("datastore-client-cert"),
            clientKeyPem: read("datastore-client-key"),
        },
    };
    const stages = kamajiStages(o);
    const stage = (v.stage ?? "all") as keyof typeof stages | "all";
    const docs = stage === "all" ? kamajiManifests(o) : stages[stage];
    if (!docs) {
        process.stderr.write(`kamaji.js: --stage must be prerequisites, operator, admission or all (got "${stage}")\n`);
        process.exit(2);
    }
    process.stdout.write(docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join("---\n"));
}
