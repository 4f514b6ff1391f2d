/**
 * Network ranges: the management cluster's pod and service CIDRs, and a tenant's, which must
 * parse, be disjoint from each other and from the management cluster's, and hold its DNS
 * Service IPs.
 */
import { cidrsOverlap, ipInCidr, isParsedCidr, nthAddress, ParsedCidr, parseCidr, parseIp } from "../network";
import { PropertyError, Report } from "./propertyError";

/** A range as parsed, or why it does not parse. */
type Cidr = ReturnType<typeof parseCidr>;

export const DEFAULT_POD_CIDR = "10.244.0.0/16";
export const DEFAULT_SERVICE_CIDR = "10.96.0.0/16";

/** The tenant's ranges as its arguments give them (`network`). */
export interface TenantNetworkValues {
    podCidr?: string;
    serviceCidr?: string;
    dnsServiceIPs?: string[];
    clusterDomain?: string;
}

/** The management cluster's ranges, which tenant ranges must not overlap. */
export interface ManagementRangeValues {
    managementPodCidrs?: string[];
    managementServiceCidrs?: string[];
}

export function validateManagementRanges(podCidrs: unknown, serviceCidrs: unknown): PropertyError[] {
    const errors: PropertyError[] = [];
    for (const [path, list] of [
        ["podCidrs", podCidrs],
        ["serviceCidrs", serviceCidrs],
    ] as const) {
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
            errors.push({ propertyPath: path, reason: 'must be a list of CIDRs, e.g. ["10.1.0.0/16"]' });
            continue;
        }
        list.forEach((c, i) => {
            const p = parseCidr(c);
            if (!isParsedCidr(p)) errors.push({ propertyPath: `${path}[${i}]`, reason: p.error });
        });
    }
    return errors;
}

/** The tenant's pod and service ranges: each parses, they are disjoint, and the DNS IPs are service addresses. */
export function tenantRangeRules(net: TenantNetworkValues, management: ManagementRangeValues, err: Report): void {
    const pod = parseCidr(net.podCidr ?? DEFAULT_POD_CIDR);
    const svc = parseCidr(net.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    if (!isParsedCidr(pod)) err("network.podCidr", pod.error);
    if (!isParsedCidr(svc)) err("network.serviceCidr", svc.error);
    if (isParsedCidr(pod) && isParsedCidr(svc)) {
        if (cidrsOverlap(pod, svc)) {
            err(
                "network.podCidr",
                `${pod.text} overlaps the service range ${svc.text}; pod and service ranges must be disjoint (choose e.g. a different second octet)`,
            );
        }
    }
    managementOverlapRules(pod, svc, management, err);
    if (net.dnsServiceIPs !== undefined) dnsServiceIpRules(net.dnsServiceIPs, svc, err);
}

/** Tenant ranges must be disjoint from the management cluster's (ranges that do not parse are reported elsewhere). */
function managementOverlapRules(pod: Cidr, svc: Cidr, management: ManagementRangeValues, err: Report): void {
    const parsed = (list: string[] | undefined, what: string) =>
        (list ?? [])
            .map((t) => ({ t, c: parseCidr(t), what }))
            .filter((x): x is { t: string; c: ParsedCidr; what: string } => isParsedCidr(x.c));
    const mgmtRanges = [
        ...parsed(management.managementPodCidrs, "pod"),
        ...parsed(management.managementServiceCidrs, "service"),
    ];
    for (const [path, c] of [
        ["network.podCidr", pod],
        ["network.serviceCidr", svc],
    ] as const) {
        if (!isParsedCidr(c)) continue;
        for (const m of mgmtRanges) {
            if (cidrsOverlap(c, m.c)) {
                err(
                    path,
                    `${c.text} overlaps the management cluster's ${m.what} range ${m.t}; tenant ranges must be disjoint from the management cluster's, so pick another range`,
                );
            }
        }
    }
}

/** At most 8 DNS Service IPs, each an address of the service range other than the two it reserves. */
function dnsServiceIpRules(dnsServiceIPs: string[], svc: Cidr, err: Report): void {
    if (dnsServiceIPs.length > 8)
        err("network.dnsServiceIPs", `may list at most 8 addresses; got ${dnsServiceIPs.length}`);
    dnsServiceIPs.forEach((s, i) => {
        const p = `network.dnsServiceIPs[${i}]`;
        const ip = parseIp(s);
        if (!ip) return err(p, `must be an IP address; got "${s}"`);
        if (!isParsedCidr(svc)) return;
        if (!ipInCidr(ip, svc)) {
            err(
                p,
                `${s} is outside the service range ${svc.text}; the DNS service IP must be a service address, e.g. ${nthAddress(svc, 10)}`,
            );
        } else if (ip.value === svc.base) {
            err(p, `${s} is the network address of ${svc.text}; use e.g. ${nthAddress(svc, 10)}`);
        } else if (ip.value === svc.base + 1n) {
            err(
                p,
                `${s} is taken by the "kubernetes" Service (first address of ${svc.text}); use e.g. ${nthAddress(svc, 10)}`,
            );
        }
    });
}
