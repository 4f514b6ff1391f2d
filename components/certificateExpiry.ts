/**
 * The expiry of the certificates a component holds, as an output (`certificateExpiry`: property →
 * notAfter, RFC 3339) that `hcp-review` reads, and a preview warning for each one inside the
 * component's warning window (model/rules/certificateLifetime.ts has the rules).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseCertificate } from "../lib/pki";
import { expiryWarning } from "../model/rules/certificateLifetime";

/** One certificate to watch: where it comes from (for the message), its PEM, and how to renew it. */
export interface WatchedCertificate {
    propertyPath: string;
    pem: pulumi.Input<string | undefined>;
    /** What the user does to renew it (the end of the warning). */
    renew: string;
}

/**
 * property → notAfter of each certificate that is known and parses (an unparsable one is the
 * certificate rules' business, reported elsewhere), warning at preview for each inside the window.
 */
export function watchCertificateExpiry(
    parent: pulumi.Resource,
    label: string,
    certificates: WatchedCertificate[],
    windowDays: number,
): pulumi.Output<Record<string, string>> {
    // Expiry dates are not secret, though a certificate may come out of an Output made secret by
    // its key's company: unsecret them, or the review could not read them from state.
    const pems = pulumi.unsecret(pulumi.all(certificates.map((c) => pulumi.output(c.pem))));
    return pems.apply((pems) => {
        const expiry: Record<string, string> = {};
        const now = new Date();
        pems.forEach((pem, i) => {
            const { propertyPath, renew } = certificates[i];
            let notAfter: Date;
            try {
                notAfter = new Date(parseCertificate(pem, propertyPath).validTo);
            } catch {
                return;
            }
            expiry[propertyPath] = notAfter.toISOString();
            const w = expiryWarning(propertyPath, notAfter, now, windowDays, renew);
            if (w) void pulumi.log.warn(`${label}: ${w}`, parent);
        });
        return expiry;
    });
}
