// The ManagementCluster preflight through the real engine against the lab's management cluster
// (etcd + kube-apiserver + controller-manager, Kamaji's CRDs installed, no Kamaji operator and no
// LoadBalancer implementation). Previews only: nothing is created on the cluster.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { detectLoadBalancer, loadBalancerWarning } from "../../components/managementCluster";
import { KubeClient } from "../../lib/kube";
import { CertificateAndKey, createCertificateAuthority } from "../../lib/pki";
import {
    compiledComponents,
    configuredDataStore,
    Diagnostic,
    newInlineStack,
    previewSteps,
    TestStack,
} from "../support/engine";
import { ensureKamajiCrdsAndNamespace, ensureManagementCluster } from "../support/management";

const tag = `pf${process.pid}`;
const READY = "preflight found: ";

describe("engine: ManagementCluster preflight on the lab management cluster", function () {
    this.timeout(10 * 60 * 1000);
    let ts: TestStack;
    let client: KubeClient;
    let etcdCa: CertificateAndKey;

    // Config decides the shape: a ManagementCluster alone, or with a tenant of `serviceType`.
    const program = async () => {
        const hcp = compiledComponents();
        const cfg = new pulumi.Config();
        const mgmt = new hcp.ManagementCluster("mgmt", {
            kubeconfig: cfg.requireSecret("kubeconfig"),
            kamajiNamespace: cfg.get("kamajiNamespace"),
        });
        // Puts what the preflight found into the preview's events.
        mgmt.ready.apply((r) => pulumi.log.info(`${READY}checked=${r.checked} ${r.kamajiResources.join(",")}`));
        const serviceType = cfg.get("serviceType");
        if (serviceType === undefined) return;
        const store = configuredDataStore(hcp, mgmt, `etcd-${tag}`);
        new hcp.HostedControlPlane("team", {
            managementCluster: mgmt,
            dataStore: store,
            name: `team-${tag}`,
            namespace: "default",
            kubernetesVersion: "v1.33.4",
            serviceType: serviceType as "LoadBalancer" | "NodePort",
            address: serviceType === "NodePort" ? "192.0.2.60" : undefined,
        });
    };

    before(async () => {
        const kubeconfig = ensureManagementCluster();
        client = KubeClient.fromKubeconfig(kubeconfig);
        await ensureKamajiCrdsAndNamespace(client);
        etcdCa = await createCertificateAuthority("preflight-etcd-ca", 30, [], "rsa"); // Kamaji v1.0.0 needs RSA
        ts = await newInlineStack("hcp-preflight", program, {
            kubeconfig: { value: kubeconfig, secret: true },
            etcdCa: { value: etcdCa.certPem },
            etcdCaKey: { value: etcdCa.keyPem, secret: true },
        });
    });

    after(async () => {
        if (ts) await ts.dispose();
    });

    const lbWarnings = (d: Diagnostic[]) =>
        d.filter((x) => x.severity === "warning" && x.message.includes("No LoadBalancer implementation found"));

    it("with Kamaji's CRDs installed, the preview succeeds and the preflight saw them", async () => {
        const p = await previewSteps(ts.stack);
        expect(p.diagnostics.filter((d) => d.severity === "error")).to.deep.equal([]);
        expect(p.steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`)).to.have.members([
            "create mgmt",
            "create mgmt-provider",
        ]);
        const found = p.diagnostics.filter((d) => d.message.includes(READY)).map((d) => d.message);
        expect(found).to.have.length(1);
        expect(found[0]).to.include(`${READY}checked=true `);
        expect(found[0]).to.include("datastores").and.to.include("tenantcontrolplanes");
        expect(lbWarnings(p.diagnostics)).to.deep.equal([]);
    });

    it("a Kamaji namespace that does not exist fails the preview, naming kamajiNamespace and the fix", async () => {
        const missing = `missing-${tag}`;
        await ts.stack.setConfig("kamajiNamespace", { value: missing });
        try {
            const err = await ts.stack.preview().then(
                () => undefined,
                (e) => e,
            );
            expect(String(err?.message ?? err)).to.include(
                `kamajiNamespace: namespace "${missing}" does not exist in the management cluster; set kamajiNamespace to the namespace Kamaji runs in, or create it (kubectl create namespace ${missing})`,
            );
        } finally {
            await ts.stack.removeConfig("kamajiNamespace");
        }
    });

    it("a LoadBalancer tenant gets the warning on its HostedControlPlane when nothing hands out addresses", async () => {
        // The lab runs no MetalLB and no service-lb-controller, and has no nodes.
        const lb = await detectLoadBalancer(client);
        expect(lb.available, lb.detail).to.equal(false);
        await ts.stack.setConfig("serviceType", { value: "LoadBalancer" });
        const p = await previewSteps(ts.stack);
        expect(p.diagnostics.filter((d) => d.severity === "error")).to.deep.equal([]);
        const warnings = lbWarnings(p.diagnostics);
        expect(warnings).to.have.length(1);
        expect(warnings[0].message).to.include(loadBalancerWarning(lb)!);
        expect(warnings[0].urn).to.match(/::hcp:index:HostedControlPlane::team$/);
        expect(p.steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`)).to.include.members([
            "create team",
            "create team-tcp",
        ]);
    });

    it("a NodePort tenant gets no LoadBalancer warning", async () => {
        await ts.stack.setConfig("serviceType", { value: "NodePort" });
        const p = await previewSteps(ts.stack);
        expect(p.diagnostics.filter((d) => d.severity === "error")).to.deep.equal([]);
        expect(p.steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`)).to.include("create team-tcp");
        expect(lbWarnings(p.diagnostics)).to.deep.equal([]);
    });
});
