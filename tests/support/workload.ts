// The test workload: the lab's echo server (lab/images/echo) as a Deployment, spread over nodes.

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
