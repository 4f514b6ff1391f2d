// The lab's workload: its echo server (lab/images/echo) as a Deployment spread over nodes, with a
// PodDisruptionBudget and a Service. The default stack runs it in each tenant with a pool; the tests
// use the same objects.

/** A Deployment of `replicas` echo pods, spread over nodes (one per node while they last). */
export function echoDeployment(namespace: string, name: string, image: string, replicas = 3) {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace },
        spec: {
            replicas,
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name } },
                spec: {
                    terminationGracePeriodSeconds: 2,
                    topologySpreadConstraints: [
                        {
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "ScheduleAnyway",
                            labelSelector: { matchLabels: { app: name } },
                        },
                    ],
                    containers: [
                        {
                            name,
                            image,
                            ports: [{ containerPort: 8080 }],
                            env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
                            readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 2 },
                        },
                    ],
                },
            },
        },
    };
}

/** The pods that run and are Ready (not being deleted). */
export const readyPods = (pods: any[]) =>
    pods.filter(
        (p) =>
            !p.metadata.deletionTimestamp &&
            p.status?.phase === "Running" &&
            p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
    );

/** The Deployment, a PodDisruptionBudget keeping `minAvailable` of its pods, and a ClusterIP Service. */
export function workloadObjects(namespace: string, name: string, image: string, replicas = 3, minAvailable = 2) {
    return [
        echoDeployment(namespace, name, image, replicas),
        {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name, namespace },
            spec: { minAvailable, selector: { matchLabels: { app: name } } },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name, namespace },
            spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
        },
    ];
}
