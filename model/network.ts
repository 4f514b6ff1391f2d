/**
 * IP addresses and CIDRs, IPv4 and IPv6, as bigints: parsing (strict: no shorthand forms, no host
 * bits in a range), formatting (RFC 5952 for IPv6), overlap, containment and the n-th address.
 */

export interface ParsedIp {
    family: 4 | 6;
    value: bigint;
}

function parseIpv4(s: string): bigint | undefined {
    const parts = s.split(".");
    if (parts.length !== 4) return undefined;
    let v = 0n;
    for (const p of parts) {
        if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
        const n = Number(p);
        if (n > 255) return undefined;
        v = (v << 8n) | BigInt(n);
    }
    return v;
}

function parseIpv6(s: string): bigint | undefined {
    if (s.includes("%")) return undefined; // zone ids are not addresses Kubernetes accepts
    let head = s;
    let tailV4: bigint | undefined;
    const lastColon = s.lastIndexOf(":");
    if (s.includes(".")) {
        tailV4 = parseIpv4(s.slice(lastColon + 1));
        if (tailV4 === undefined) return undefined;
        head = s.slice(0, lastColon + 1) + "0:0";
    }
    const dbl = head.split("::");
    if (dbl.length > 2) return undefined;
    const group = (g: string) => (g === "" ? [] : g.split(":"));
    const left = group(dbl[0]);
    const right = dbl.length === 2 ? group(dbl[1]) : [];
    const missing = 8 - left.length - right.length;
    if (dbl.length === 1 ? left.length !== 8 : missing < 1) return undefined;
    const groups = [...left, ...Array(dbl.length === 2 ? missing : 0).fill("0"), ...right];
    let v = 0n;
    for (const g of groups) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        v = (v << 16n) | BigInt(parseInt(g, 16));
    }
    if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
    return v;
}

/** Parses an IPv4 or IPv6 address (no brackets, no zone); undefined when it is not one. */
export function parseIp(s: string): ParsedIp | undefined {
    if (typeof s !== "string" || s === "") return undefined;
    if (s.includes(":")) {
        const v = parseIpv6(s);
        return v === undefined ? undefined : { family: 6, value: v };
    }
    const v = parseIpv4(s);
    return v === undefined ? undefined : { family: 4, value: v };
}

export interface ParsedCidr {
    family: 4 | 6;
    /** The network address. */
    base: bigint;
    prefix: number;
    text: string;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

export function formatIp(family: 4 | 6, v: bigint): string {
    if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
    const groups: string[] = [];
    for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
    // Compress the longest run of zero groups (RFC 5952).
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8;) {
        if (groups[i] !== "0") {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
        i = j;
    }
    if (best < 0) return groups.join(":");
    return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
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
