/**
 * `DataStore`: the external etcd that holds the state of many tenant control planes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EtcdHealth, FailOn } from "../provider/etcd/resource";
import { DataStoreRelease } from "../provider/dataStoreRelease/resource";
import { KubeClient, resourcePath } from "../provider/kube";
import {
    daysUntilExpiry,
    isSignedBy,
    issueCertificate,
    keyMatchesCertificate,
    parseCertificate,
    parsePrivateKey,
    commonName,
    validateClientTlsBundle,
} from "../provider/pki";
import { checkedOn, isPlain, outputError, rejectIfInvalid, throwIfInvalid, ValidationError } from "./errors";
import { kamajiCaKey } from "./kamajiCaKey";
import { ManagementCluster } from "./managementCluster";
import { dnsSubdomainProblem } from "../model/names";
import { PropertyError, validateEndpoints } from "./validation";

export const MANAGED_BY = { "app.kubernetes.io/managed-by": "pulumi-hosted-control-plane" };

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
     * `clientCommonName`, reused on later runs while it is valid for more than 30 days.
     * Mutually required with `clientPrivateKey`.
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

/**
 * An etcd `DataStore` for Kamaji (`kamaji.clastix.io/v1alpha1`, driver `etcd`), with its TLS
 * material in two Secrets in the Kamaji namespace: `<name>-etcd-ca` (`ca.crt`, `ca.key`) and
 * `<name>-etcd-client` (`kubernetes.io/tls`: `tls.crt`, `tls.key`, `ca.crt`). One DataStore serves
 * many HostedControlPlanes; Kamaji gives each its own etcd user, role and key prefix.
 *
 * ## Example Usage
 * ```ts
 * const store = new hcp.DataStore("etcd", {
 *     managementCluster: mgmt,
 *     endpoints: ["etcd-0.example:2379", "etcd-1.example:2379", "etcd-2.example:2379"],
 *     tls: { caCertificate, caPrivateKey: cfg.requireSecret("etcdCaKey") },   // client cert minted
 * });
 * ```
 */
export class DataStore extends pulumi.ComponentResource {
    /** The DataStore object's name (what `spec.dataStore` of a TenantControlPlane holds). */
    public readonly dataStoreName: pulumi.Output<string>;
    /** The endpoints as written into the DataStore (`host:port`). */
    public readonly endpoints: pulumi.Output<string[]>;
    /** The etcd CA certificate (PEM). */
    public readonly caCertificate: pulumi.Output<string>;
    /** The client certificate Kamaji uses (PEM; given or minted). */
    public readonly clientCertificate: pulumi.Output<string>;
    /** The client private key (PEM, secret). */
    public readonly clientPrivateKey: pulumi.Output<string>;
    /** The `<name>-etcd-ca` Secret. */
    public readonly caSecret: k8s.core.v1.Secret;
    /** The `<name>-etcd-client` Secret. */
    public readonly clientSecret: k8s.core.v1.Secret;
    /** The DataStore custom resource. */
    public readonly dataStore: k8s.apiextensions.CustomResource;
    /**
     * Waits out Kamaji's lag when the DataStore is deleted right after its last tenant; undefined
     * when the management cluster was given as a provider only (no kubeconfig to ask with).
     */
    public readonly release: DataStoreRelease | undefined;
    /** The etcd health check, unless `healthCheck` is false. */
    public readonly health: EtcdHealth | undefined;
    /** The management cluster it lives on. */
    public readonly managementCluster: ManagementCluster;

    constructor(name: string, args: DataStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        // Args hold keys or credentials; they are not recorded as the component's inputs.
        super("hcp:index:DataStore", name, {}, opts);
        const label = `DataStore ${name}`;
        const mgmt = args.managementCluster;
        this.managementCluster = mgmt;

        // Plain-value rules at once; Output-valued ones when they resolve.
        const errors: PropertyError[] = [];
        if (!(mgmt instanceof ManagementCluster))
            errors.push({ propertyPath: "managementCluster", reason: "must be a ManagementCluster component" });
        if (!args.tls || args.tls.caCertificate === undefined)
            errors.push({
                propertyPath: "tls.caCertificate",
                reason: "is required: the PEM of the CA that signed the etcd server and client certificates",
            });
        if (!args.tls || args.tls.caPrivateKey === undefined) {
            errors.push({
                propertyPath: "tls.caPrivateKey",
                reason: "is required: Kamaji signs a client certificate per tenant with the CA key (tlsConfig.certificateAuthority.privateKey)",
            });
        }
        if ((args.tls?.clientCertificate === undefined) !== (args.tls?.clientPrivateKey === undefined)) {
            errors.push({
                propertyPath:
                    args.tls?.clientCertificate === undefined ? "tls.clientCertificate" : "tls.clientPrivateKey",
                reason: "clientCertificate and clientPrivateKey go together: give both, or neither to have one minted from the CA",
            });
        }
        if (args.tls?.clientCertificate === undefined && mgmt instanceof ManagementCluster && !mgmt.preflightEnabled) {
            errors.push({
                propertyPath: "tls.clientCertificate",
                reason: "is required when the ManagementCluster has no kubeconfig (a minted certificate is reused from the cluster's Secret on later runs, which needs API access); pass clientCertificate and clientPrivateKey",
            });
        }
        if (
            args.clientCertificateValidityDays !== undefined &&
            (!Number.isInteger(args.clientCertificateValidityDays) || args.clientCertificateValidityDays < 31)
        ) {
            errors.push({
                propertyPath: "clientCertificateValidityDays",
                reason: `must be a whole number of days >= 31 (renewal starts 30 days before expiry); got ${args.clientCertificateValidityDays}`,
            });
        }
        if (args.name !== undefined && isPlain(args.name)) {
            const p = dnsSubdomainProblem(args.name);
            if (p) errors.push({ propertyPath: "name", reason: p });
        }
        if (isPlain(args.endpoints)) errors.push(...validateEndpoints(args.endpoints, args.insecure === true).errors);
        throwIfInvalid(label, errors, this);

        const dsName = pulumi.output(args.name ?? name).apply((n) => {
            rejectIfInvalid(
                label,
                dnsSubdomainProblem(n) ? [{ propertyPath: "name", reason: dnsSubdomainProblem(n)! }] : [],
                this,
            );
            return n;
        });
        this.dataStoreName = dsName;
        this.endpoints = pulumi.output(args.endpoints).apply((eps) => {
            const r = validateEndpoints(eps, args.insecure === true);
            rejectIfInvalid(label, r.errors, this);
            return r.endpoints;
        });

        const ns = mgmt.kamajiNamespace;
        const caCert = pulumi.output(args.tls.caCertificate);
        // The CA key as Kamaji v1.0.0 reads it (PKCS#1 RSA); refused here when it cannot be.
        const caKey = pulumi.secret(
            pulumi.output(args.tls.caPrivateKey).apply((pem) => {
                const r = kamajiCaKey(pem);
                if ("error" in r) throw outputError(label, [r.error], this);
                return r.pem;
            }),
        );
        const cn = args.clientCommonName ?? "root";
        const days = args.clientCertificateValidityDays ?? 365;

        // The client identity: given, or reused-or-minted from the CA.
        const client =
            args.tls.clientCertificate !== undefined
                ? pulumi
                      .all([caCert, args.tls.clientCertificate, pulumi.secret(args.tls.clientPrivateKey!)])
                      .apply(([ca, cert, key]) => {
                          const failures = validateClientTlsBundle(
                              { caCertificate: ca, clientCertificate: cert, clientPrivateKey: key },
                              new Date(),
                              {
                                  caCertificate: "tls.caCertificate",
                                  clientCertificate: "tls.clientCertificate",
                                  clientPrivateKey: "tls.clientPrivateKey",
                              },
                          );
                          rejectIfInvalid(
                              label,
                              failures.map((f) => ({
                                  propertyPath: f.property,
                                  reason: stripPrefix(f.reason, f.property),
                              })),
                              this,
                          );
                          return { certPem: cert, keyPem: key };
                      })
                : pulumi
                      .all([mgmt.kubeconfig!, ns, dsName, caCert, caKey])
                      .apply(([kc, n, ds, ca, key]) =>
                          checkedOn(this, label, "tls", () =>
                              reuseOrMint(label, kc, n, `${ds}-etcd-client`, ca, key, cn, days),
                          ),
                      );
        this.clientCertificate = client.apply((c) => c.certPem);
        this.clientPrivateKey = pulumi.secret(client.apply((c) => c.keyPem));
        this.caCertificate = caCert.apply((ca) => {
            const failures = validateCa(ca);
            rejectIfInvalid(label, failures, this);
            return ca;
        });

        const b64 = (s: pulumi.Input<string>) =>
            pulumi.output(s).apply((v) => Buffer.from(v, "utf8").toString("base64"));
        const metadata = (suffix: string) => ({
            name: pulumi.interpolate`${dsName}-${suffix}`,
            namespace: ns,
            labels: MANAGED_BY,
        });
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: mgmt.provider };
        this.caSecret = new k8s.core.v1.Secret(
            `${name}-ca`,
            {
                metadata: metadata("etcd-ca"),
                type: "Opaque",
                data: pulumi.secret({ "ca.crt": b64(this.caCertificate), "ca.key": b64(caKey) }),
            },
            { ...childOpts, deleteBeforeReplace: true },
        );
        this.clientSecret = new k8s.core.v1.Secret(
            `${name}-client`,
            {
                metadata: metadata("etcd-client"),
                type: "kubernetes.io/tls",
                data: pulumi.secret({
                    "tls.crt": b64(this.clientCertificate),
                    "tls.key": b64(this.clientPrivateKey),
                    "ca.crt": b64(this.caCertificate),
                }),
            },
            { ...childOpts, deleteBeforeReplace: true },
        );

        const ref = (secret: k8s.core.v1.Secret, keyPath: string) => ({
            secretReference: { name: secret.metadata.name, namespace: secret.metadata.namespace, keyPath },
        });
        const annotations: Record<string, string> = { "pulumi.com/deletionPropagationPolicy": "background" };
        // etcd must be healthy before Kamaji is pointed at it.
        this.health =
            args.healthCheck === false
                ? undefined
                : new EtcdHealth(
                      `${name}-health`,
                      {
                          endpoints: this.endpoints,
                          caCertificate: this.caCertificate,
                          clientCertificate: this.clientCertificate,
                          clientPrivateKey: this.clientPrivateKey,
                          failOn: args.healthFailOn,
                      },
                      { parent: this },
                  );
        const dependsOn: pulumi.Resource[] = [this.caSecret, this.clientSecret, ...(this.health ? [this.health] : [])];
        this.dataStore = new k8s.apiextensions.CustomResource(
            `${name}-datastore`,
            {
                apiVersion: "kamaji.clastix.io/v1alpha1",
                kind: "DataStore",
                // The preflight result gates the object: no DataStore unless Kamaji is installed.
                metadata: pulumi
                    .all([dsName, mgmt.ready])
                    .apply(([n]) => ({ name: n, labels: MANAGED_BY, annotations })),
                spec: {
                    driver: "etcd",
                    endpoints: this.endpoints,
                    tlsConfig: {
                        certificateAuthority: {
                            certificate: ref(this.caSecret, "ca.crt"),
                            privateKey: ref(this.caSecret, "ca.key"),
                        },
                        clientCertificate: {
                            certificate: ref(this.clientSecret, "tls.crt"),
                            privateKey: ref(this.clientSecret, "tls.key"),
                        },
                    },
                },
            },
            { ...childOpts, dependsOn, deleteBeforeReplace: true },
        );
        // Tenants depend on this component, so they are deleted before the release, and the release
        // before the DataStore: its delete waits until Kamaji lets the DataStore go.
        this.release =
            mgmt.kubeconfig === undefined
                ? undefined
                : new DataStoreRelease(
                      `${name}-release`,
                      { kubeconfig: mgmt.kubeconfig, dataStoreName: this.dataStoreName },
                      { parent: this, dependsOn: [this.dataStore] },
                  );

        this.registerOutputs({
            dataStoreName: this.dataStoreName,
            endpoints: this.endpoints,
            caCertificate: this.caCertificate,
            clientCertificate: this.clientCertificate,
            clientPrivateKey: this.clientPrivateKey,
        });
    }
}

function stripPrefix(reason: string, property: string): string {
    return reason.startsWith(`${property}: `) ? reason.slice(property.length + 2) : reason;
}

function validateCa(pem: string): PropertyError[] {
    try {
        const ca = parseCertificate(pem, "tls.caCertificate");
        if (!ca.ca)
            return [
                {
                    propertyPath: "tls.caCertificate",
                    reason: `"${commonName(ca) ?? ca.subject}" is not a CA certificate (basicConstraints CA:FALSE); pass the CA that signed the etcd certificates`,
                },
            ];
        return [];
    } catch (e) {
        return [{ propertyPath: "tls.caCertificate", reason: stripPrefix((e as Error).message, "tls.caCertificate") }];
    }
}

/**
 * The client certificate to use when none was given: the one already in the cluster's Secret if it
 * is signed by this CA, has the expected CN, matches its key and is valid for more than 30 more
 * days; otherwise a new one. Reusing keeps the Secret (and the preview) stable across runs without
 * extra state.
 */
export async function reuseOrMint(
    label: string,
    kubeconfig: string,
    namespace: string,
    secretName: string,
    caPem: string,
    caKeyPem: string,
    cn: string,
    validityDays: number,
    client?: KubeClient,
): Promise<{ certPem: string; keyPem: string }> {
    const problems = validateCa(caPem);
    try {
        const ca = parseCertificate(caPem, "tls.caCertificate");
        if (!keyMatchesCertificate(ca, parsePrivateKey(caKeyPem, "tls.caPrivateKey"))) {
            problems.push({
                propertyPath: "tls.caPrivateKey",
                reason: "does not match tls.caCertificate; pass the CA's own private key",
            });
        }
    } catch (e) {
        if (!problems.length)
            problems.push({
                propertyPath: "tls.caPrivateKey",
                reason: stripPrefix((e as Error).message, "tls.caPrivateKey"),
            });
    }
    if (problems.length) throw new ValidationError(label, problems);
    const c = client ?? KubeClient.fromKubeconfig(kubeconfig);
    const existing = await c
        .get(resourcePath({ version: "v1", plural: "secrets", namespace, name: secretName }))
        .catch(() => undefined);
    const crt = existing?.data?.["tls.crt"] && Buffer.from(existing.data["tls.crt"], "base64").toString("utf8");
    const key = existing?.data?.["tls.key"] && Buffer.from(existing.data["tls.key"], "base64").toString("utf8");
    if (crt && key) {
        try {
            const cert = parseCertificate(crt, "tls.crt");
            const ca = parseCertificate(caPem, "ca");
            if (
                isSignedBy(cert, ca) &&
                commonName(cert) === cn &&
                keyMatchesCertificate(cert, parsePrivateKey(key, "tls.key")) &&
                daysUntilExpiry(cert, new Date()) > 30
            ) {
                return { certPem: crt, keyPem: key };
            }
        } catch {
            /* unusable: mint a new one */
        }
    }
    return issueCertificate(
        { certPem: caPem, keyPem: caKeyPem },
        { commonName: cn, organizations: ["system:masters"], usages: ["client"], validity: validityDays },
    );
}
