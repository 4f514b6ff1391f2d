// The lab instance the tests run against (HCP_LAB_NET, set by scripts/test): its worker subnet
// 198.18.N.0/24, bridge and namespace names. lab/lib.sh derives the same names from the same variable.
export const labNet = Number(process.env.HCP_LAB_NET ?? 0);

/** An address on the lab's worker subnet: labIp(11) is 198.18.N.11. */
export const labIp = (host: number): string => `198.18.${labNet}.${host}`;

/** The machine's address on the worker bridge, where tenant API servers and the registry listen. */
export const bridgeIp = labIp(1);
export const bridgeName = `hlbr${labNet}`;
/** Network namespaces of this instance's hosts are named `${netnsPrefix}NAME`. */
export const netnsPrefix = `hcph${labNet}-`;
/** The machine side of each host's veth is `${vethPrefix}NAME`. */
export const vethPrefix = `hv${labNet}-`;
