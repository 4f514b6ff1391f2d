// An etcd you run yourself (or another team does), with its PKI minted here with @pulumi/tls as a
// Pulumi user would: an RSA CA (Kamaji v1.0.0 signs tenant certificates only with an RSA key; the
// package hands Kamaji its PKCS#1 form), a server certificate per member and the root client
// certificate Kamaji uses. Two steps, because etcd must trust the CA before anything talks to it:
// first `pulumi up` mints the PKI and exports what the etcd members need; once they run with it,
// `pulumi config set etcdTrustsCa true` and `pulumi up` again adds the DataStore and the tenant.
// The control plane is exposed as NodePort, which needs the address workers use to reach it.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as hcp from "pulumi-hosted-control-plane";

const cfg = new pulumi.Config();
const endpoints = cfg.requireObject<string[]>("etcdEndpoints"); // e.g. ["10.0.0.5:2379", "10.0.0.6:2379"]
const YEAR = 365 * 24;

const caKey = new tls.PrivateKey("etcd-ca-key", { algorithm: "RSA", rsaBits: 2048 });
const ca = new tls.SelfSignedCert("etcd-ca", {
    privateKeyPem: caKey.privateKeyPem,
    subject: { commonName: "etcd-ca" },
    isCaCertificate: true,
    validityPeriodHours: 5 * YEAR,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
});

/** A key and a certificate signed by the CA; renewed in a previewed replace 30 days before its end. */
function signed(name: string, subject: tls.types.input.CertRequestSubject, uses: string[], sans: string[] = []) {
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const isIp = (s: string) => /^[0-9.]+$|:/.test(s);
    const request = new tls.CertRequest(`${name}-request`, {
        privateKeyPem: key.privateKeyPem,
        subject,
        dnsNames: sans.filter((s) => !isIp(s)),
        ipAddresses: sans.filter(isIp),
    });
    const cert = new tls.LocallySignedCert(`${name}-cert`, {
        certRequestPem: request.certRequestPem,
        caCertPem: ca.certPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        validityPeriodHours: YEAR,
        earlyRenewalHours: 30 * 24,
        allowedUses: ["digital_signature", "key_encipherment", ...uses],
    });
    return { certPem: cert.certPem, keyPem: key.privateKeyPem };
}

// One certificate per member, for client-facing and peer TLS (peers are clients too).
const members = endpoints.map((ep, i) =>
    signed(
        `etcd-member-${i}`,
        { commonName: `etcd-member-${i}` },
        ["server_auth", "client_auth"],
        [ep.replace(/:\d+$/, "")],
    ),
);
const root = signed("etcd-root", { commonName: "root", organization: "system:masters" }, ["client_auth"]);

/** What the etcd members need: --trusted-ca-file, and per member --cert-file/--key-file (secret). */
export const etcdCaCertificate = ca.certPem;
export const etcdMemberCertificates = pulumi.secret(members);

/** The DataStore on that etcd and a tenant on it. */
function tenantOnEtcd() {
    const mgmt = new hcp.ManagementCluster("mgmt", {
        kubeconfig: cfg.requireSecret("mgmtKubeconfig"),
        kamajiNamespace: "kamaji-system",
        podCidrs: ["10.244.0.0/16"],
        serviceCidrs: ["10.96.0.0/12"],
    });

    // The outputs go in as they are: the keys stay secret, the CA key's PKCS#1 form is what Kamaji reads.
    const store = new hcp.DataStore("byo-etcd", {
        managementCluster: mgmt,
        name: "byo-etcd",
        endpoints,
        tls: {
            caCertificate: ca.certPem,
            caPrivateKey: caKey.privateKeyPem,
            clientCertificate: root.certPem,
            clientPrivateKey: root.keyPem,
        },
    });

    const cp = new hcp.HostedControlPlane("edge", {
        managementCluster: mgmt,
        dataStore: store,
        kubernetesVersion: "v1.30.2",
        serviceType: "NodePort",
        address: cfg.require("nodeAddress"),
        port: 31443,
        certSANs: ["edge-api.example.com"],
        network: { podCidr: "172.20.0.0/16", serviceCidr: "172.21.0.0/16", dnsServiceIPs: ["172.21.0.10"] },
        addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { serverPort: 31132 } },
    });

    return { store, cp };
}

const tenant = cfg.getBoolean("etcdTrustsCa") ? tenantOnEtcd() : undefined;
export const endpoint = tenant?.cp.endpoint;
export const kubeconfig = tenant?.cp.kubeconfig; // secret
export const caCertHash = tenant?.cp.caCertHash;
export const certificateExpiry = tenant && pulumi.all([tenant.store.certificateExpiry, tenant.cp.certificateExpiry]);
