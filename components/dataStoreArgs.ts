/**
 * The arguments of a `DataStore` (./dataStore.ts), apart so that file reads as the component's
 * construction.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FailOn } from "../provider/etcd/resource";
import type { ManagementCluster } from "./managementCluster";

/** PEM material for mutual TLS with etcd. Any source works: config secrets, files, `@pulumi/tls` outputs. */
export interface DataStoreTlsArgs {
    /** The etcd CA certificate (PEM). Server and client certificates must chain to it (Kamaji requires the same CA). */
    caCertificate: pulumi.Input<string>;
    /**
     * The etcd CA private key (PEM, secret). Required: Kamaji signs a client certificate per tenant
     * with it (`tlsConfig.certificateAuthority.privateKey`). Must be RSA: Kamaji v1.0.0 reads only
     * PKCS#1 RSA keys, so an RSA key in another encoding (PKCS#8 "BEGIN PRIVATE KEY") is rewritten
     * as PKCS#1 in the Secret, and an EC key is refused at preview.
     */
    caPrivateKey: pulumi.Input<string>;
    /**
     * A client certificate (PEM) Kamaji uses as etcd root to create per-tenant users and roles
     * (CN "root", O "system:masters" in kamaji-etcd). Defaults to one minted from the CA with CN
     * `clientCommonName`, reused on later runs until it expires or `rotateBefore` says to renew it
     * (never renewed silently: a preview warns `expiryWarningDays` ahead). Mutually required with
     * `clientPrivateKey`. A `@pulumi/tls` `LocallySignedCert` works as it is (`certPem`, and the
     * `privateKeyPem` of its `PrivateKey`).
     */
    clientCertificate?: pulumi.Input<string>;
    /** The private key (PEM, secret) of `clientCertificate`. */
    clientPrivateKey?: pulumi.Input<string>;
}

export interface DataStoreArgs {
    /** The management cluster that runs Kamaji. */
    managementCluster: ManagementCluster;
    /**
     * The name of the cluster-scoped `DataStore` object that TenantControlPlanes reference.
     * Defaults to the component name. Changing it replaces the DataStore (Kamaji refuses to delete a
     * DataStore that tenants still use).
     */
    name?: pulumi.Input<string>;
    /**
     * etcd client endpoints as `host:port`, without scheme: Kamaji always dials `https://`
     * (e.g. `["etcd-0.example:2379", "etcd-1.example:2379"]`). Updated in place.
     */
    endpoints: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Accept `http://host:port` (plaintext) endpoints; the scheme is stripped for Kamaji. Defaults to
     * false: plaintext endpoints are refused, because tenant data and credentials would cross the
     * network unencrypted. Kamaji itself still dials `https://`, so this only makes sense behind a
     * TLS-terminating proxy or for a test etcd.
     */
    insecure?: boolean;
    /** Mutual-TLS material; see {@link DataStoreTlsArgs}. The private keys are stored as secrets. */
    tls: DataStoreTlsArgs;
    /** CN of the minted client certificate (only used when `tls.clientCertificate` is not given). Defaults to "root". */
    clientCommonName?: string;
    /** Validity of a minted client certificate, in days. Defaults to 365. */
    clientCertificateValidityDays?: number;
    /**
     * A preview warns when the CA or the client certificate expires within this many days (1 to
     * 3650), and `hcp-review` gates on it. Defaults to 30.
     */
    expiryWarningDays?: number;
    /**
     * Renew the minted client certificate if it was issued before this RFC 3339 instant (e.g. set it
     * to now): the preview shows the renewal as a replacement of the `<name>-etcd-client` Secret (what the
     * Kubernetes provider plans for it, seen on the lab) and an update of
     * the health check. No effect on a given `tls.clientCertificate`.
     */
    rotateBefore?: string;
    /**
     * No effect with Kamaji v1.0.0, kept for compatibility: its DataStore reports no readiness (the
     * status holds only `usedBy`). Kamaji's admission webhook checks the DataStore when it is
     * created (the referenced Secrets exist, the CA key is given), and `healthCheck` checks etcd.
     */
    waitForReady?: boolean;
    /**
     * Check etcd's health (`EtcdHealth`: every member, alarms, leader) from the machine running
     * Pulumi, at preview and before the DataStore is created or changed. Defaults to true. Turn it off
     * only when that machine cannot reach etcd (Kamaji still can).
     */
    healthCheck?: boolean;
    /**
     * Which health verdict stops preview and update: "error" (quorum lost or an alarm raised),
     * "warning" (also a minority of members down) or "never". Defaults to "error".
     */
    healthFailOn?: pulumi.Input<FailOn>;
}
