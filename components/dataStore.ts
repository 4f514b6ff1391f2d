/**
 * `DataStore`: the external etcd that holds the state of many tenant control planes. Its arguments:
 * ./dataStoreArgs.ts; the client identity Kamaji uses: ./etcdClientIdentity.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EtcdHealth } from "../provider/etcd/resource";
import { DataStoreRelease } from "../provider/dataStoreRelease/resource";
import { checkedOn, isPlain, outputError, rejectIfInvalid, throwIfInvalid } from "./errors";
import type { DataStoreArgs } from "./dataStoreArgs";
import { givenClientProblems, reuseOrMint, validateCa } from "./etcdClientIdentity";
import { kamajiCaKey } from "./kamajiCaKey";
import { watchCertificateExpiry } from "./certificateExpiry";
import {
    DEFAULT_EXPIRY_WARNING_DAYS,
    rotateBeforeProblem,
    warningDaysProblem,
} from "../model/rules/certificateLifetime";
import { ManagementCluster } from "./managementCluster";
import { dnsSubdomainProblem } from "../model/names";
import { PropertyError, validateEndpoints } from "./validation";

export { DataStoreArgs, DataStoreTlsArgs } from "./dataStoreArgs";

/** @internal */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "pulumi-hosted-control-plane" };

/** A client certificate and its key (PEM). */
interface ClientIdentity {
    certPem: string;
    keyPem: string;
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
    /** When each certificate ends: `{ "tls.caCertificate": notAfter, "tls.clientCertificate": notAfter }` (RFC 3339). */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;
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
        throwIfInvalid(label, plainArgumentErrors(args), this);
        this.dataStoreName = checkedName(this, label, args.name ?? name);
        this.endpoints = pulumi.output(args.endpoints).apply((eps) => {
            const r = validateEndpoints(eps, args.insecure === true);
            rejectIfInvalid(label, r.errors, this);
            return r.endpoints;
        });

        const caCert = pulumi.output(args.tls.caCertificate);
        const caKey = kamajiReadableCaKey(this, label, args.tls.caPrivateKey);
        const client = clientIdentity(this, label, args, caCert, caKey, this.dataStoreName);
        this.clientCertificate = client.apply((c) => c.certPem);
        this.clientPrivateKey = pulumi.secret(client.apply((c) => c.keyPem));
        this.caCertificate = caCert.apply((ca) => {
            rejectIfInvalid(label, validateCa(ca), this);
            return ca;
        });

        this.certificateExpiry = watchCertificateExpiry(
            this,
            label,
            [
                {
                    propertyPath: "tls.caCertificate",
                    pem: this.caCertificate,
                    renew: "issue a new etcd CA, re-issue the etcd certificates from it and pass the new tls.caCertificate and tls.caPrivateKey",
                },
                {
                    propertyPath: "tls.clientCertificate",
                    pem: this.clientCertificate,
                    renew:
                        args.tls.clientCertificate === undefined
                            ? `set rotateBefore to now (e.g. "${new Date().toISOString().replace(/\.\d{3}Z$/, "Z")}") to mint a new one; the preview shows it as a replacement of the etcd-client Secret`
                            : "pass a renewed tls.clientCertificate and tls.clientPrivateKey (a @pulumi/tls LocallySignedCert with earlyRenewalHours renews itself in a previewed replace)",
                },
            ],
            args.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
        );

        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: mgmt.provider };
        this.caSecret = caSecret(name, this, caKey, childOpts);
        this.clientSecret = clientSecret(name, this, childOpts);
        // etcd must be healthy before Kamaji is pointed at it.
        this.health = args.healthCheck === false ? undefined : etcdHealth(name, this, args);
        this.dataStore = dataStoreObject(name, this, childOpts);
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
            certificateExpiry: this.certificateExpiry,
        });
    }
}

/** Every rule on the arguments' plain values, reported together. */
function plainArgumentErrors(args: DataStoreArgs): PropertyError[] {
    const mgmt = args.managementCluster;
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
            propertyPath: args.tls?.clientCertificate === undefined ? "tls.clientCertificate" : "tls.clientPrivateKey",
            reason: "clientCertificate and clientPrivateKey go together: give both, or neither to have one minted from the CA",
        });
    }
    if (args.tls?.clientCertificate === undefined && mgmt instanceof ManagementCluster && !mgmt.preflightEnabled) {
        errors.push({
            propertyPath: "tls.clientCertificate",
            reason: "is required when the ManagementCluster has no kubeconfig (a minted certificate is reused from the cluster's Secret on later runs, which needs API access); pass clientCertificate and clientPrivateKey",
        });
    }
    const warningDays = warningDaysProblem(args.expiryWarningDays);
    if (warningDays) errors.push(warningDays);
    const window = warningDays ? DEFAULT_EXPIRY_WARNING_DAYS : (args.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS);
    if (
        args.clientCertificateValidityDays !== undefined &&
        (!Number.isInteger(args.clientCertificateValidityDays) || args.clientCertificateValidityDays <= window)
    ) {
        errors.push({
            propertyPath: "clientCertificateValidityDays",
            reason: `must be a whole number of days longer than the ${window}-day expiry warning window (expiryWarningDays), or every preview warns about a new certificate; got ${args.clientCertificateValidityDays}`,
        });
    }
    const rotate = rotateBeforeProblem(args.rotateBefore);
    if (rotate) errors.push(rotate);
    if (args.name !== undefined && isPlain(args.name)) {
        const p = dnsSubdomainProblem(args.name);
        if (p) errors.push({ propertyPath: "name", reason: p });
    }
    if (isPlain(args.endpoints)) errors.push(...validateEndpoints(args.endpoints, args.insecure === true).errors);
    return errors;
}

/** The DataStore object's name, once it is a DNS subdomain. */
function checkedName(parent: DataStore, label: string, name: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(name).apply((n) => {
        rejectIfInvalid(
            label,
            dnsSubdomainProblem(n) ? [{ propertyPath: "name", reason: dnsSubdomainProblem(n)! }] : [],
            parent,
        );
        return n;
    });
}

/** The CA key as Kamaji v1.0.0 reads it (PKCS#1 RSA); refused here when it cannot be. */
function kamajiReadableCaKey(
    parent: DataStore,
    label: string,
    caPrivateKey: pulumi.Input<string>,
): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.output(caPrivateKey).apply((pem) => {
            const r = kamajiCaKey(pem);
            if ("error" in r) throw outputError(label, [r.error], parent);
            return r.pem;
        }),
    );
}

/** The client identity: given (and checked against the CA), or reused-or-minted from the CA. */
function clientIdentity(
    parent: DataStore,
    label: string,
    args: DataStoreArgs,
    caCert: pulumi.Output<string>,
    caKey: pulumi.Output<string>,
    dsName: pulumi.Output<string>,
): pulumi.Output<ClientIdentity> {
    if (args.tls.clientCertificate !== undefined)
        return pulumi
            .all([caCert, args.tls.clientCertificate, pulumi.secret(args.tls.clientPrivateKey!)])
            .apply(([ca, cert, key]) => {
                rejectIfInvalid(label, givenClientProblems(ca, cert, key), parent);
                return { certPem: cert, keyPem: key };
            });
    const mgmt = args.managementCluster;
    const cn = args.clientCommonName ?? "root";
    const minting = {
        commonName: cn,
        validityDays: args.clientCertificateValidityDays ?? 365,
        rotateBefore: args.rotateBefore,
    };
    return pulumi
        .all([mgmt.kubeconfig!, mgmt.kamajiNamespace, dsName, caCert, caKey])
        .apply(([kc, n, ds, ca, key]) =>
            checkedOn(parent, label, "tls", () => reuseOrMint(label, kc, n, `${ds}-etcd-client`, ca, key, minting)),
        );
}

const b64 = (s: pulumi.Input<string>) => pulumi.output(s).apply((v) => Buffer.from(v, "utf8").toString("base64"));

/** `<name>-<suffix>` in the Kamaji namespace. */
function secretMetadata(ds: DataStore, suffix: string) {
    return {
        name: pulumi.interpolate`${ds.dataStoreName}-${suffix}`,
        namespace: ds.managementCluster.kamajiNamespace,
        labels: MANAGED_BY,
    };
}

/** `<name>-etcd-ca`: the CA certificate and the key Kamaji signs tenant certificates with. */
function caSecret(
    name: string,
    ds: DataStore,
    caKey: pulumi.Output<string>,
    childOpts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        `${name}-ca`,
        {
            metadata: secretMetadata(ds, "etcd-ca"),
            type: "Opaque",
            data: pulumi.secret({ "ca.crt": b64(ds.caCertificate), "ca.key": b64(caKey) }),
        },
        { ...childOpts, deleteBeforeReplace: true },
    );
}

/** `<name>-etcd-client`: the client identity Kamaji uses as etcd root. */
function clientSecret(name: string, ds: DataStore, childOpts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        `${name}-client`,
        {
            metadata: secretMetadata(ds, "etcd-client"),
            type: "kubernetes.io/tls",
            data: pulumi.secret({
                "tls.crt": b64(ds.clientCertificate),
                "tls.key": b64(ds.clientPrivateKey),
                "ca.crt": b64(ds.caCertificate),
            }),
        },
        { ...childOpts, deleteBeforeReplace: true },
    );
}

/** The etcd health check, from the machine running Pulumi, with the DataStore's own identity. */
function etcdHealth(name: string, ds: DataStore, args: DataStoreArgs): EtcdHealth {
    return new EtcdHealth(
        `${name}-health`,
        {
            endpoints: ds.endpoints,
            caCertificate: ds.caCertificate,
            clientCertificate: ds.clientCertificate,
            clientPrivateKey: ds.clientPrivateKey,
            failOn: args.healthFailOn,
        },
        { parent: ds },
    );
}

/** The Kamaji DataStore object, after its Secrets and etcd's health check. */
function dataStoreObject(
    name: string,
    ds: DataStore,
    childOpts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    const ref = (secret: k8s.core.v1.Secret, keyPath: string) => ({
        secretReference: { name: secret.metadata.name, namespace: secret.metadata.namespace, keyPath },
    });
    const annotations: Record<string, string> = { "pulumi.com/deletionPropagationPolicy": "background" };
    const dependsOn: pulumi.Resource[] = [ds.caSecret, ds.clientSecret, ...(ds.health ? [ds.health] : [])];
    return new k8s.apiextensions.CustomResource(
        `${name}-datastore`,
        {
            apiVersion: "kamaji.clastix.io/v1alpha1",
            kind: "DataStore",
            // The preflight result gates the object: no DataStore unless Kamaji is installed.
            metadata: pulumi
                .all([ds.dataStoreName, ds.managementCluster.ready])
                .apply(([n]) => ({ name: n, labels: MANAGED_BY, annotations })),
            spec: {
                driver: "etcd",
                endpoints: ds.endpoints,
                tlsConfig: {
                    certificateAuthority: {
                        certificate: ref(ds.caSecret, "ca.crt"),
                        privateKey: ref(ds.caSecret, "ca.key"),
                    },
                    clientCertificate: {
                        certificate: ref(ds.clientSecret, "tls.crt"),
                        privateKey: ref(ds.clientSecret, "tls.key"),
                    },
                },
            },
        },
        { ...childOpts, dependsOn, deleteBeforeReplace: true },
    );
}
