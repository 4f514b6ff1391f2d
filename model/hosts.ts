/**
 * Host addresses as the package names and compares hosts: the canonical form (what makes two
 * addresses one host), the text names are derived from, and the default Node name.
 */
import { formatIp, parseIp } from "./network";

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

const ADDRESS_FORM = 'must be an IP address or DNS name without scheme or port (the port is "port")';

/**
 * How inet_aton (and so getaddrinfo, ssh and curl) reads a shorthand IPv4 form: hexadecimal
 * (`0xc6.18.0.14`) or octal (`010.0.0.1`) parts, fewer than four parts (`198.18.14`) or one
 * number (`3323068430`). Returns the address in dotted decimal, or undefined when `s` is no such form.
 */
export function inetAtonAddress(s: string): string | undefined {
    const parts = s.split(".");
    if (parts.length > 4) return undefined;
    const nums: bigint[] = [];
    for (const p of parts) {
        if (/^0x[0-9a-f]+$/i.test(p)) nums.push(BigInt(p.toLowerCase()));
        else if (/^0[0-7]*$/.test(p)) nums.push(p.length > 1 ? BigInt("0o" + p.slice(1)) : 0n);
        else if (/^[1-9][0-9]*$/.test(p)) nums.push(BigInt(p));
        else return undefined;
    }
    const last = nums.length - 1;
    let v = 0n;
    for (let i = 0; i < last; i++) {
        if (nums[i] > 255n) return undefined;
        v = (v << 8n) | nums[i];
    }
    const restBits = BigInt(8 * (4 - last));
    if (nums[last] >= 1n << restBits) return undefined;
    return formatIp(4, (v << restBits) | nums[last]);
}

/**
 * The canonical form of a host address, the one every uniqueness rule compares: IPv4 in dotted
 * decimal, IPv6 compressed and lower-case (brackets removed; an IPv4-mapped IPv6 address is its
 * IPv4 address), DNS names lower-case without the trailing dot. An address that is neither a
 * valid IP address nor a valid DNS name gets the reason instead; inet_aton's shorthand forms
 * (`0xc6.18.0.14`, `3323068430`, `198.18.14`) are refused with their dotted-decimal form as the fix.
 */
export function canonicalHost(address: string): { canonical: string } | { error: string } {
    const trimmed = address.trim();
    const a = trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.slice(1, -1) : trimmed;
    const ip = parseIp(a);
    if (ip) {
        if (ip.family === 6 && ip.value >> 32n === 0xffffn) return { canonical: formatIp(4, ip.value & 0xffffffffn) };
        return { canonical: formatIp(ip.family, ip.value) };
    }
    const fixed = `; got "${address}"`;
    if (a.includes(":") || a.includes("/")) return { error: ADDRESS_FORM + fixed };
    const name = a.toLowerCase().replace(/\.$/, "");
    const aton = inetAtonAddress(name);
    if (aton !== undefined)
        return {
            error: `"${address}" is not a dotted-decimal IPv4 address, yet resolvers read it as ${aton} (an inet_aton shorthand form), so it would hide which host it is; write "${aton}"`,
        };
    const labels = name.split(".");
    if (!HOST_NAME.test(name)) return { error: ADDRESS_FORM + fixed };
    if (labels.some((l) => l.length > 63))
        return { error: `has a DNS label longer than 63 characters, which no DNS name may have${fixed}` };
    if (/^[0-9]+$/.test(labels[labels.length - 1]))
        return {
            error: `"${address}" is neither an IPv4 address (four parts from 0 to 255 without leading zeros) nor a DNS name (the last label of a DNS name is never all digits); write the host's IPv4 address in dotted decimal or its DNS name`,
        };
    return { canonical: name };
}

/**
 * The identity of a host for uniqueness: its {@link canonicalHost} form. Addresses the rules
 * refuse still get the identity of the host they would reach (an inet_aton shorthand form, its
 * dotted-decimal address), otherwise the address lower-cased without IPv6 brackets.
 */
export function hostIdentity(address: string): string {
    const c = canonicalHost(address);
    if ("canonical" in c) return c.canonical;
    const text = addressText(address);
    return inetAtonAddress(text.replace(/\.$/, "")) ?? text;
}

/**
 * The address as written, trimmed, lower-cased, IPv6 brackets removed: the base of host resource
 * names, default Node names and secret keys. Not canonicalised, so those names stay as they were.
 */
export function addressText(address: string): string {
    return address
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, "");
}

/** A Node name derived from an address: lower-case, with anything but [a-z0-9.-] replaced by "-". */
export function defaultNodeName(address: string): string {
    return addressText(address)
        .replace(/[^a-z0-9.-]+/g, "-")
        .replace(/^[-.]+|[-.]+$/g, "");
}
