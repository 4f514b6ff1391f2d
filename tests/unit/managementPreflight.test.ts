// ManagementCluster preflight decisions, without a cluster: Kamaji's CRDs served or not, the Kamaji
// namespace, and whether anything hands out LoadBalancer addresses. The engine test
// (tests/engine/managementPreflight.engine.test.ts) runs the same checks against the lab cluster.
import { expect } from "chai";
import {
    detectLoadBalancer,
    judgeLoadBalancer,
    kamajiProblems,
    LoadBalancerFacts,
    loadBalancerFacts,
    loadBalancerWarning,
} from "../../components/managementCluster";
import { ValidationError } from "../../components/errors";

const INSTALL_KAMAJI =
    "install it (helm install kamaji clastix/kamaji -n kamaji-system --create-namespace, which needs cert-manager) or at least its CRDs (kubectl apply -f charts/kamaji/crds/), then run again";

describe("ManagementCluster preflight: Kamaji", () => {
    const served = (resources: string[] | undefined, namespaceExists = true) =>
        kamajiProblems({ reachable: true, served: resources, namespace: "kamaji-system", namespaceExists });

    it("passes when datastores and tenantcontrolplanes are served and the namespace exists", () => {
        expect(
            served(["datastores", "datastores/status", "tenantcontrolplanes", "tenantcontrolplanes/status"]),
        ).to.deep.equal([]);
    });

    it("fails on kubeconfig, naming both CRDs and how to install Kamaji, when the group is not served", () => {
        expect(served(undefined)).to.deep.equal([
            {
                propertyPath: "kubeconfig",
                reason: `the management cluster does not serve datastores.kamaji.clastix.io and tenantcontrolplanes.kamaji.clastix.io (kamaji.clastix.io/v1alpha1), so Kamaji is not installed there; ${INSTALL_KAMAJI}`,
            },
        ]);
    });

    it("names only the CRD that is missing", () => {
        expect(served(["datastores"]).map((p) => p.reason)).to.deep.equal([
            `the management cluster does not serve tenantcontrolplanes.kamaji.clastix.io (kamaji.clastix.io/v1alpha1), so Kamaji is not installed there; ${INSTALL_KAMAJI}`,
        ]);
    });

    it("fails on kamajiNamespace when the namespace does not exist, together with missing CRDs", () => {
        expect(served([], false).map((p) => p.propertyPath)).to.deep.equal(["kubeconfig", "kamajiNamespace"]);
        expect(served(["datastores", "tenantcontrolplanes"], false)).to.deep.equal([
            {
                propertyPath: "kamajiNamespace",
                reason: 'namespace "kamaji-system" does not exist in the management cluster; set kamajiNamespace to the namespace Kamaji runs in, or create it (kubectl create namespace kamaji-system)',
            },
        ]);
    });

    it("an unreachable API server fails on kubeconfig with the cause and the way out", () => {
        const problems = kamajiProblems({
            reachable: false,
            error: "GET /apis/kamaji.clastix.io/v1alpha1: connect ECONNREFUSED",
        });
        expect(problems).to.deep.equal([
            {
                propertyPath: "kubeconfig",
                reason: "cannot reach the management cluster to check that Kamaji is installed (GET /apis/kamaji.clastix.io/v1alpha1: connect ECONNREFUSED); check the kubeconfig's server and credentials, or set preflight: false",
            },
        ]);
    });

    it("the error the component throws spells each problem out under the component's name", () => {
        const e = new ValidationError("ManagementCluster mgmt", served(undefined));
        expect(e.message).to.equal(
            "Invalid arguments for ManagementCluster mgmt (1 problem):\n" +
                `  - kubeconfig: the management cluster does not serve datastores.kamaji.clastix.io and tenantcontrolplanes.kamaji.clastix.io (kamaji.clastix.io/v1alpha1), so Kamaji is not installed there; ${INSTALL_KAMAJI}`,
        );
    });
});

describe("ManagementCluster preflight: LoadBalancer support", () => {
    const none: LoadBalancerFacts = {
        metallbPools: undefined,
        ciliumPools: undefined,
        servicesWithAddress: [],
        nodeProviderIds: [],
    };

    it("nothing installed, no node: not available, saying what was looked for", () => {
        expect(judgeLoadBalancer(none)).to.deep.equal({
            available: false,
            detail: "no MetalLB (ipaddresspools.metallb.io not served); no LoadBalancer Service has an address; the cluster has no nodes",
        });
    });

    it("MetalLB without a pool, Cilium without a pool, and kind/k3s nodes hand out nothing", () => {
        expect(
            judgeLoadBalancer({
                metallbPools: 0,
                ciliumPools: 0,
                servicesWithAddress: [],
                nodeProviderIds: ["kind://docker/kind/kind-control-plane", "k3s://node-1", ""],
            }),
        ).to.deep.equal({
            available: false,
            detail: "MetalLB is installed but has no IPAddressPool; Cilium LB IPAM has no pool; no LoadBalancer Service has an address; no node has a cloud providerID",
        });
    });

    const available: [string, Partial<LoadBalancerFacts>, string][] = [
        ["a MetalLB pool", { metallbPools: 2 }, "MetalLB with 2 IPAddressPool(s)"],
        ["a Cilium LB IPAM pool", { metallbPools: 0, ciliumPools: 1 }, "Cilium LB IPAM with 1 pool(s)"],
        [
            "a LoadBalancer Service with an address",
            { servicesWithAddress: ["ingress/nginx", "other/lb"] },
            "LoadBalancer Service ingress/nginx has an address",
        ],
        [
            "a node with a cloud providerID",
            { nodeProviderIds: ["", "aws:///eu-west-1a/i-0123"] },
            "nodes carry a cloud providerID (a cloud controller usually provides LoadBalancers)",
        ],
    ];
    for (const [what, facts, detail] of available) {
        it(`${what}: available`, () => {
            expect(judgeLoadBalancer({ ...none, ...facts })).to.deep.equal({ available: true, detail });
        });
    }

    it("warns only when nothing was found, naming serviceType, what happens and both fixes", () => {
        expect(loadBalancerWarning(judgeLoadBalancer(none))).to.equal(
            'No LoadBalancer implementation found in the management cluster (no MetalLB (ipaddresspools.metallb.io not served); no LoadBalancer Service has an address; the cluster has no nodes). A TenantControlPlane with serviceType LoadBalancer will get no address and stay "Provisioning" without an endpoint. Install MetalLB with an IPAddressPool and an L2Advertisement (or another LoadBalancer provider), or use serviceType "NodePort" with "address" set to a node IP.',
        );
        expect(loadBalancerWarning(judgeLoadBalancer({ ...none, metallbPools: 1 }))).to.equal(undefined);
        // A check that could not run is not a finding: no warning.
        expect(loadBalancerWarning({ available: undefined, detail: "could not check (boom)" })).to.equal(undefined);
    });

    /** A client that answers from a table of paths, as the API server would. */
    const fakeClient = (served: Record<string, string[]>, lists: Record<string, any[]>) => ({
        requested: [] as string[],
        async servedResources(gv: string) {
            this.requested.push(gv);
            return served[gv];
        },
        async list(path: string) {
            this.requested.push(path);
            if (!(path in lists)) throw new Error(`GET ${path}: HTTP 403 Forbidden`);
            return lists[path];
        },
    });

    it("reads the facts from discovery and lists", async () => {
        const client = fakeClient(
            { "metallb.io/v1beta1": ["ipaddresspools", "l2advertisements"] },
            {
                "/apis/metallb.io/v1beta1/ipaddresspools": [],
                "/api/v1/services": [
                    { metadata: { namespace: "a", name: "pending" }, spec: { type: "LoadBalancer" }, status: {} },
                    { metadata: { namespace: "b", name: "np" }, spec: { type: "NodePort" } },
                    {
                        metadata: { namespace: "c", name: "lb" },
                        spec: { type: "LoadBalancer" },
                        status: { loadBalancer: { ingress: [{ ip: "192.0.2.9" }] } },
                    },
                ],
                "/api/v1/nodes": [{ spec: { providerID: "kind://x" } }, { spec: {} }],
            },
        );
        expect(await loadBalancerFacts(client)).to.deep.equal({
            metallbPools: 0,
            ciliumPools: undefined,
            servicesWithAddress: ["c/lb"],
            nodeProviderIds: ["kind://x", ""],
        });
        // Cilium's pools are not listed when its API is not served.
        expect(client.requested).not.to.include("/apis/cilium.io/v2alpha1/ciliumloadbalancerippools");
    });

    it("a failed request makes the check inconclusive (no warning), saying why", async () => {
        const r = await detectLoadBalancer(fakeClient({}, { "/api/v1/services": [] }));
        expect(r).to.deep.equal({
            available: undefined,
            detail: "could not check (GET /api/v1/nodes: HTTP 403 Forbidden)",
        });
        expect(loadBalancerWarning(r)).to.equal(undefined);
    });
});
