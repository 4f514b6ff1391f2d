// A stack whose etcd PKI comes from @pulumi/tls (the real pulumi-resource-tls the toolchain builds),
// as a Pulumi user mints it: the CA first, a real etcd started with it, then a DataStore on the lab's
// management cluster (real Kamaji) taking the @pulumi/tls outputs as they are. Create, a no-op
// preview, rotation of the etcd client certificate (previewed as exactly that), the expiry warning
// of a short-lived certificate (in preview and in the review's gate), and a destroy.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { buildReview, PlanCollector } from "../../automation/review";
import { KubeClient } from "../../lib/kube/client";
import { readLab } from "../../lab/defaultStack";
import {
    compiledComponents,
    labFile,
    newInlineStack,
    previewSteps,
    requireToolchain,
    TestStack,
    upSteps,
} from "../support/engine";
import { EtcdTestCluster, startEtcdCluster } from "../support/etcd";

const DATASTORE = "tls-etcd";
/** The PKCS#1 header Kamaji v1.0.0 reads, built here so that no key armour sits in the source. */
const PKCS1_HEADER = `-----BEGIN RSA ${["PRIVATE", "KEY"].join(" ")}-----\n`;
const YEAR = 365 * 24; // hours

/**
 * The program. Stage "pki": the CA only (etcd must trust it before anything talks to it). Stage
 * "datastore": also the root client certificate and the DataStore; `clientHours` is its validity.
 */
function program(etcd: () => EtcdTestCluster | undefined) {
    return async () => {
        const cfg = new pulumi.Config();
        const caKey = new tls.PrivateKey("etcd-ca-key", { algorithm: "RSA", rsaBits: 2048 });
        const ca = new tls.SelfSignedCert("etcd-ca", {
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: "etcd-ca" },
            isCaCertificate: true,
            validityPeriodHours: 2 * YEAR,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        });
        if (cfg.require("stage") === "pki") return { caCertificate: ca.certPem, caPrivateKey: caKey.privateKeyPem };

        const lab = readLab(labFile);
        const hcp = compiledComponents();
        const mgmt = new hcp.ManagementCluster("mgmt", {
            kubeconfig: pulumi.secret(fs.readFileSync(lab.managementKubeconfig, "utf8")),
            podCidrs: ["10.244.0.0/16"],
            serviceCidrs: ["10.96.0.0/16"],
        });
        const clientKey = new tls.PrivateKey("etcd-root-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
        const request = new tls.CertRequest("etcd-root-request", {
            privateKeyPem: clientKey.privateKeyPem,
            subject: { commonName: "root", organization: "system:masters" },
        });
        const client = new tls.LocallySignedCert("etcd-root-cert", {
            certRequestPem: request.certRequestPem,
            caCertPem: ca.certPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            validityPeriodHours: Number(cfg.require("clientHours")),
            allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
        });
        const store = new hcp.DataStore(DATASTORE, {
            managementCluster: mgmt,
            endpoints: etcd()!.endpoints,
            tls: {
                caCertificate: ca.certPem,
                caPrivateKey: caKey.privateKeyPem,
                clientCertificate: client.certPem,
                clientPrivateKey: clientKey.privateKeyPem,
            },
        });
        return { certificateExpiry: store.certificateExpiry, caCertificate: ca.certPem };
    };
}

const warningsOf = (d: { severity: string; message: string }[]) =>
    d.filter((x) => x.severity === "warning").map((x) => x.message);

describe("@pulumi/tls PKI → DataStore on a real etcd and the real Kamaji", function () {
    this.timeout(15 * 60 * 1000);
    let etcd: EtcdTestCluster | undefined;
    let ts: TestStack;
    let mgmt: KubeClient;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-pulumi-tls-"));
    const setConfig = (c: Record<string, string>) =>
        ts.stack.setAllConfig(Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { value: v }])));
    const secret = (name: string) =>
        mgmt
            .get<any>(`/api/v1/namespaces/kamaji-system/secrets/${name}`)
            .then((s) => s?.data as Record<string, string>);

    before(async () => {
        requireToolchain();
        mgmt = KubeClient.fromKubeconfig(fs.readFileSync(readLab(labFile).managementKubeconfig, "utf8"));
        ts = await newInlineStack(
            "hcp-pulumi-tls",
            program(() => etcd),
        );
    });
    after(async () => {
        await ts?.stack.destroy().catch(() => undefined);
        await ts?.dispose();
        await etcd?.down();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("mints the CA with @pulumi/tls: an RSA key in PKCS#1, a CA certificate; etcd starts with it", async () => {
        await setConfig({ stage: "pki" });
        const up = await ts.stack.up();
        expect(up.summary.resourceChanges?.create).to.equal(3); // the stack, the key, the CA
        const key = up.outputs.caPrivateKey;
        expect(key.secret, "the CA key output stays secret").to.equal(true);
        expect(key.value.startsWith(PKCS1_HEADER), "an RSA key in PKCS#1").to.equal(true);
        fs.writeFileSync(path.join(dir, "ca.crt"), up.outputs.caCertificate.value);
        fs.writeFileSync(path.join(dir, "ca.key"), key.value, { mode: 0o600 });
        etcd = await startEtcdCluster({
            name: "pulumi-tls",
            members: 1,
            ca: { certFile: path.join(dir, "ca.crt"), keyFile: path.join(dir, "ca.key") },
        });
        expect(etcd.caCertificate).to.equal(up.outputs.caCertificate.value);
    });

    it("creates the DataStore from the @pulumi/tls outputs; the health check passes over mutual TLS", async () => {
        await setConfig({ stage: "datastore", clientHours: String(YEAR) });
        const { counts, up } = await upSteps(ts.stack);
        expect(counts.create).to.be.greaterThan(5);
        const expiry = up.outputs.certificateExpiry.value;
        expect(Object.keys(expiry)).to.deep.equal(["tls.caCertificate", "tls.clientCertificate"]);
        const left = (Date.parse(expiry["tls.clientCertificate"]) - Date.now()) / 86_400_000;
        expect(left).to.be.within(364, 366);
        // Kamaji reads the CA key only as PKCS#1: what @pulumi/tls wrote is what Kamaji got.
        const caSecret = await secret(`${DATASTORE}-etcd-ca`);
        expect(Buffer.from(caSecret["ca.key"], "base64").toString().startsWith(PKCS1_HEADER)).to.equal(true);
        const ds = await mgmt.get<any>(`/apis/kamaji.clastix.io/v1alpha1/datastores/${DATASTORE}`);
        expect(ds.spec.endpoints).to.deep.equal(etcd!.endpoints);
    });

    it("a second preview changes nothing and warns about nothing", async () => {
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({});
        expect(warningsOf(p.diagnostics).filter((w) => /certificate/.test(w))).to.deep.equal([]);
    });

    it("rotating the client certificate previews as exactly that: the certificate, its Secret, the health check", async () => {
        const before = await secret(`${DATASTORE}-etcd-client`);
        // Ten days: also inside the 30-day warning window, for the next test.
        await setConfig({ stage: "datastore", clientHours: String(10 * 24) });
        const p = await previewSteps(ts.stack);
        const changed = p.steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort();
        expect([...new Set(changed)]).to.deep.equal([
            // The Secret too is replaced: what the Kubernetes provider plans for it, as seen on the lab.
            "create-replacement etcd-root-cert",
            `create-replacement ${DATASTORE}-client`,
            "delete-replaced etcd-root-cert",
            `delete-replaced ${DATASTORE}-client`,
            "replace etcd-root-cert",
            `replace ${DATASTORE}-client`,
            `update ${DATASTORE}-health`,
        ]);
        const up = await upSteps(ts.stack);
        expect(up.counts).to.deep.equal({ replace: 2, update: 1 });
        const after = await secret(`${DATASTORE}-etcd-client`);
        expect(after["tls.crt"]).not.to.equal(before["tls.crt"]);
        expect(after["tls.key"], "the key is kept: only the certificate was renewed").to.equal(before["tls.key"]);
    });

    it("a certificate inside the window: the no-op preview warns naming it, and the review's gate stops", async () => {
        const collector = new PlanCollector();
        const warnings: string[] = [];
        const res = await ts.stack.preview({
            onEvent: (e: automation.EngineEvent) => {
                collector.onEvent(e);
                if (e.diagnosticEvent?.severity === "warning") warnings.push(e.diagnosticEvent.message);
            },
        });
        expect(res.changeSummary.create ?? 0).to.equal(0);
        const w = warnings.find((x) => x.includes("tls.clientCertificate"));
        expect(w, JSON.stringify(warnings)).to.match(
            /DataStore tls-etcd: tls\.clientCertificate: the certificate expires in (9|10) day\(s\) .*inside the 30-day warning window/,
        );
        const review = buildReview(collector.plan());
        const entry = review.entries.find((e) => e.subject === "certificate");
        expect(entry?.name).to.equal(`${DATASTORE} tls.clientCertificate`);
        const gate = review.gates.find((g) => g.gate === "certificate-expiry");
        expect(gate?.passed).to.equal(false);
        expect(buildReview(collector.plan(), { allowExpiringCertificates: true }).passed).to.equal(true);
    });

    it("destroy removes the DataStore and its Secrets, and the @pulumi/tls resources", async () => {
        const res = await ts.stack.destroy();
        expect(res.summary.resourceChanges?.delete).to.be.greaterThan(5);
        for (const s of [`${DATASTORE}-etcd-ca`, `${DATASTORE}-etcd-client`])
            expect(await mgmt.get(`/api/v1/namespaces/kamaji-system/secrets/${s}`), `Secret ${s}`).to.equal(undefined);
        expect(await mgmt.get(`/apis/kamaji.clastix.io/v1alpha1/datastores/${DATASTORE}`)).to.equal(undefined);
        const state = await ts.stack.exportStack();
        expect(state.deployment.resources ?? []).to.deep.equal([]);
    });
});
