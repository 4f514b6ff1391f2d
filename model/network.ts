/**
 * IP addresses and CIDRs, IPv4 and IPv6, as bigints: parsing (strict: no shorthand forms, no host
 * bits in a range), formatting (RFC 5952 for IPv6), overlap, containment and the n-th address.
 * ipaddr.js reads and writes the texts; the range math is bigint arithmetic.
 */
import * as ipaddr from "ipaddr.js";

export interface ParsedIp {
    family: 4 | 6;
    value: bigint;
}

/** The address as one number, from its bytes (network order). */
function toBigint(bytes: number[]): bigint {
    return bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
}

/**
 * Parses an IPv4 or IPv6 address (no brackets, no zone); undefined when it is not one. Strict, as
 * Kubernetes is: IPv4 only in dotted decimal without leading zeros (also inside IPv6).
 */
export function parseIp(s: string): ParsedIp | undefined {
    if (typeof s !== "string" || s === "") return undefined;
    if (s.includes(":")) {
        // zone ids are not addresses Kubernetes accepts
        if (s.includes("%") || !ipaddr.IPv6.isValid(s)) return undefined;
        const embeddedV4 = s.includes(".") ? s.slice(s.lastIndexOf(":") + 1) : undefined;
        if (embeddedV4 !== undefined && !ipaddr.IPv4.isValidFourPartDecimal(embeddedV4)) return undefined;
        return { family: 6, value: toBigint(ipaddr.IPv6.parse(s).toByteArray()) };
    }
    if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return undefined;
    return { family: 4, value: toBigint(ipaddr.IPv4.parse(s).toByteArray()) };
}

export interface ParsedCidr {
    family: 4 | 6;
    /** The network address. */
    base: bigint;
    prefix: number;
    text: string;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

/** The address in its usual text: dotted decimal, or RFC 5952 for IPv6 ("2001:db8::1"). */
export function formatIp(family: 4 | 6, v: bigint): string {
    const size = family === 4 ? 4 : 16;
    const bytes = Array.from({ length: size }, (_, i) => Number((v >> BigInt(8 * (size - 1 - i))) & 255n));
    const ip = ipaddr.fromByteArray(bytes);
    return ip.kind() === "ipv6" ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
}

/**
 * Parses `a.b.c.d/n` or `x::y/n`. Host bits must be zero (`10.0.0.1/16` is rejected with the
 * network address as the fix), because Kubernetes and kubeadm treat such ranges inconsistently.
 */
export function parseCidr(s: string): ParsedCidr | { error: string } {
    if (typeof s !== "string" || !s.includes("/")) return { error: 'must be a CIDR such as "10.20.0.0/16"' };
    const [addr, len, ...rest] = s.split("/");
    const ip = parseIp(addr);
    if (rest.length > 0 || !ip || !/^(0|[1-9][0-9]{0,2})$/.test(len))
        return { error: 'must be a CIDR such as "10.20.0.0/16"' };
    const prefix = Number(len);
    const max = bits(ip.family);
    if (prefix > max) return { error: `prefix length /${prefix} is longer than an IPv${ip.family} address (/${max})` };
    const hostMask = (1n << BigInt(max - prefix)) - 1n;
    if ((ip.value & hostMask) !== 0n) {
        return {
            error: `has host bits set; use the network address "${formatIp(ip.family, ip.value & ~hostMask)}/${prefix}"`,
        };
    }
    return { family: ip.family, base: ip.value, prefix, text: s };
}

export function isParsedCidr(c: ParsedCidr | { error: string }): c is ParsedCidr {
    return (c as ParsedCidr).base !== undefined;
}

/** The last address of a CIDR. */
function lastAddress(c: ParsedCidr): bigint {
    return c.base | ((1n << BigInt(bits(c.family) - c.prefix)) - 1n);
}

/** Two ranges share at least one address (different families never do). */
export function cidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
    if (a.family !== b.family) return false;
    return a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

export function ipInCidr(ip: ParsedIp, c: ParsedCidr): boolean {
    return ip.family === c.family && ip.value >= c.base && ip.value <= lastAddress(c);
}

/** The n-th address of a CIDR (n = 10 gives kubeadm's default DNS service IP). */
export function nthAddress(c: ParsedCidr, n: number): string {
    return formatIp(c.family, c.base + BigInt(n));
}
