// Table-driven tests of the pure rules in components/validation.ts: every message the components
// can produce for invalid arguments is asserted here exactly once or more.
// Over 400 lines: one table per component's rules, every message asserted.
import { expect } from "chai";
import {
    ControlPlaneValues,
    validateControlPlane,
    validateEndpoints,
    validateManagementRanges,
    validateWorkerPool,
    WorkerPoolValues,
} from "../../components/validation";
import { HostRegistry } from "../../components/hostRegistry";
import { canonicalHost } from "../../model/hosts";
import { ParsedCidr, cidrsOverlap, ipInCidr, isParsedCidr, nthAddress, parseCidr, parseIp } from "../../model/network";

const cidr = (s: string): ParsedCidr => {
    const c = parseCidr(s);
    if (!isParsedCidr(c)) throw new Error(`bad test CIDR ${s}: ${c.error}`);
    return c;
};

describe("validation: IP and CIDR math", () => {
    const ips: [string, 4 | 6 | undefined, bigint?][] = [
        ["10.0.0.1", 4, 0x0a000001n],
        ["255.255.255.255", 4, 0xffffffffn],
        ["0.0.0.0", 4, 0n],
        ["256.0.0.1", undefined],
        ["10.0.0", undefined],
        ["01.2.3.4", undefined],
        ["::1", 6, 1n],
        ["fd00::", 6, 0xfd00n << 112n],
        ["2001:db8::ff00:42:8329", 6, 0x20010db8000000000000ff0000428329n],
        ["::ffff:10.0.0.1", 6, 0xffff0a000001n],
        ["1:2:3:4:5:6:7:8", 6, 0x00010002000300040005000600070008n],
        ["1::2::3", undefined],
        ["fe80::1%eth0", undefined],
        ["", undefined],
        ["example.com", undefined],
    ];
    for (const [s, fam, v] of ips) {
        it(`parseIp(${JSON.stringify(s)}) = ${fam ? `IPv${fam}` : "invalid"}`, () => {
            const r = parseIp(s);
            if (fam === undefined) expect(r).to.equal(undefined);
            else expect(r).to.deep.equal({ family: fam, value: v });
        });
    }

    const cidrs: [string, string | undefined][] = [
        ["10.20.0.0/16", undefined],
        ["0.0.0.0/0", undefined],
        ["10.20.0.1/16", 'has host bits set; use the network address "10.20.0.0/16"'],
        ["10.20.0.0/33", "prefix length /33 is longer than an IPv4 address (/32)"],
        ["10.20.0.0", 'must be a CIDR such as "10.20.0.0/16"'],
        ["10.20.0.0/x", 'must be a CIDR such as "10.20.0.0/16"'],
        ["fd00:10::/56", undefined],
        ["fd00:10::1/56", 'has host bits set; use the network address "fd00:10::/56"'],
        ["fd00::/129", "prefix length /129 is longer than an IPv6 address (/128)"],
    ];
    for (const [s, error] of cidrs) {
        it(`parseCidr(${s}) ${error ? "fails" : "parses"}`, () => {
            const r = parseCidr(s);
            if (error) expect(r).to.deep.equal({ error });
            else expect(isParsedCidr(r)).to.equal(true);
        });
    }

    const overlaps: [string, string, boolean][] = [
        ["10.0.0.0/8", "10.20.0.0/16", true],
        ["10.20.0.0/16", "10.0.0.0/8", true],
        ["10.20.0.0/16", "10.21.0.0/16", false],
        ["10.20.0.0/15", "10.21.0.0/16", true],
        ["10.20.0.0/16", "10.20.255.0/24", true],
        ["192.168.0.0/24", "192.168.1.0/24", false],
        ["fd00::/64", "fd00::/48", true],
        ["fd00::/64", "fd00:0:0:1::/64", false],
        ["10.0.0.0/8", "fd00::/8", false],
    ];
    for (const [a, b, want] of overlaps) {
        it(`${a} ${want ? "overlaps" : "does not overlap"} ${b}`, () =>
            expect(cidrsOverlap(cidr(a), cidr(b))).to.equal(want));
    }

    it("ipInCidr and nthAddress", () => {
        expect(ipInCidr(parseIp("10.96.0.10")!, cidr("10.96.0.0/16"))).to.equal(true);
        expect(ipInCidr(parseIp("10.97.0.10")!, cidr("10.96.0.0/16"))).to.equal(false);
        expect(ipInCidr(parseIp("fd00::a")!, cidr("10.96.0.0/16"))).to.equal(false);
        expect(nthAddress(cidr("10.96.0.0/16"), 10)).to.equal("10.96.0.10");
        expect(nthAddress(cidr("fd00:10::/108"), 10)).to.equal("fd00:10::a");
    });
});

describe("validation: canonical host addresses", () => {
    const cases: [string, string][] = [
        ["198.18.0.14", "198.18.0.14"],
        [" 198.18.0.14 ", "198.18.0.14"],
        ["[2001:DB8:0:0:0:0:0:1]", "2001:db8::1"],
        ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
        ["::ffff:198.18.0.14", "198.18.0.14"],
        ["Worker-1.Example.COM.", "worker-1.example.com"],
        ["host-1", "host-1"],
        ["1host.example", "1host.example"],
    ];
    for (const [address, want] of cases) {
        it(`canonicalHost(${JSON.stringify(address)}) = ${want}`, () =>
            expect(canonicalHost(address)).to.deep.equal({ canonical: want }));
    }
    for (const bad of ["300.1.1.1", "0xc6.18.0.14", "3323068430", "198.18.14", "host.123", "a..b", "198.18.0.14:22"]) {
        it(`canonicalHost(${JSON.stringify(bad)}) refuses it`, () =>
            expect(canonicalHost(bad)).to.have.property("error"));
    }
});

describe("validation: DataStore endpoints", () => {
    const cases: [unknown, boolean, string[], { propertyPath: string; reason: string }[]][] = [
        [
            ["etcd-0.example:2379", "10.0.0.5:2379", "[fd00::5]:2379"],
            false,
            ["etcd-0.example:2379", "10.0.0.5:2379", "[fd00::5]:2379"],
            [],
        ],
        [
            [],
            false,
            [],
            [
                {
                    propertyPath: "endpoints",
                    reason: 'must list at least one etcd endpoint "host:port", e.g. ["etcd-0.example:2379"]',
                },
            ],
        ],
        [
            undefined,
            false,
            [],
            [
                {
                    propertyPath: "endpoints",
                    reason: 'must list at least one etcd endpoint "host:port", e.g. ["etcd-0.example:2379"]',
                },
            ],
        ],
        [
            ["https://etcd-0.example:2379"],
            false,
            [],
            [
                {
                    propertyPath: "endpoints[0]",
                    reason: 'must not carry a scheme: Kamaji adds "https://" itself; write "etcd-0.example:2379"',
                },
            ],
        ],
        [
            ["http://etcd-0.example:2379"],
            false,
            [],
            [
                {
                    propertyPath: "endpoints[0]",
                    reason: '"http://etcd-0.example:2379" is plaintext etcd: tenant data and credentials would cross the network unencrypted; serve etcd over TLS and write "etcd-0.example:2379", or set insecure: true to accept it knowingly',
                },
            ],
        ],
        [["http://etcd-0.example:2379"], true, ["etcd-0.example:2379"], []],
        [
            ["unix://etcd"],
            false,
            [],
            [
                {
                    propertyPath: "endpoints[0]",
                    reason: 'unsupported scheme "unix://"; write "host:port" without a scheme',
                },
            ],
        ],
        [
            ["etcd-0.example"],
            false,
            [],
            [
                {
                    propertyPath: "endpoints[0]",
                    reason: 'must be "host:port" with a port from 1 to 65535 (etcd\'s client port is usually 2379); got "etcd-0.example"',
                },
            ],
        ],
        [
            ["etcd-0.example:99999"],
            false,
            [],
            [
                {
                    propertyPath: "endpoints[0]",
                    reason: 'must be "host:port" with a port from 1 to 65535 (etcd\'s client port is usually 2379); got "etcd-0.example:99999"',
                },
            ],
        ],
        [
            ["[fd00::1::2]:2379"],
            false,
            [],
            [{ propertyPath: "endpoints[0]", reason: '"[fd00::1::2]" is not a valid bracketed IPv6 address' }],
        ],
        [
            ["a:2379", "a:2379"],
            false,
            ["a:2379"],
            [
                {
                    propertyPath: "endpoints[1]",
                    reason: 'duplicates an earlier endpoint "a:2379"; list each etcd member once',
                },
            ],
        ],
        [
            [""],
            false,
            [],
            [{ propertyPath: "endpoints[0]", reason: 'must be "host:port", e.g. "etcd-0.example:2379"' }],
        ],
    ];
    for (const [input, insecure, endpoints, errors] of cases) {
        it(`${JSON.stringify(input)}${insecure ? " (insecure)" : ""}`, () => {
            expect(validateEndpoints(input, insecure)).to.deep.equal({ endpoints, errors });
        });
    }
});

describe("validation: HostedControlPlane arguments", () => {
    const base: ControlPlaneValues = {
        name: "team-a",
        kubernetesVersion: "v1.33.4",
        network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16" },
        managementPodCidrs: ["10.1.0.0/16"],
        managementServiceCidrs: ["10.2.0.0/16"],
    };
    const cases: [string, Partial<ControlPlaneValues>, [string, string][]][] = [
        ["valid arguments", {}, []],
        [
            "defaults (no network) are valid",
            { network: undefined, managementPodCidrs: [], managementServiceCidrs: [] },
            [],
        ],
        [
            "bad name",
            { name: "Team_A" },
            [
                [
                    "name",
                    'must be lower-case letters, digits and "-", starting with a letter and ending with a letter or digit (an RFC 1035 label); got "Team_A" (it names the TenantControlPlane, its Service and the prefix of its Secrets)',
                ],
            ],
        ],
        [
            "name too long",
            { name: "a".repeat(47) },
            [
                [
                    "name",
                    "must be at most 46 characters (got 47); choose a shorter name (it names the TenantControlPlane, its Service and the prefix of its Secrets)",
                ],
            ],
        ],
        [
            "bad version",
            { kubernetesVersion: "1.33.4" },
            [["kubernetesVersion", 'must start with "v" (Kamaji and kubeadm expect "v1.33.4"); write "v1.33.4"']],
        ],
        [
            "negative replicas",
            { replicas: -1 },
            [
                [
                    "replicas",
                    "must be a whole number >= 0 (0 puts the control plane to sleep; 2 or more is highly available); got -1",
                ],
            ],
        ],
        [
            "bad service type",
            { serviceType: "Ingress" },
            [["serviceType", 'must be one of LoadBalancer, NodePort, ClusterIP; got "Ingress"']],
        ],
        [
            "NodePort without address",
            { serviceType: "NodePort" },
            [
                [
                    "address",
                    "is required when serviceType is NodePort: Kamaji cannot discover an address to advertise; set the IP or DNS name workers use to reach the API server",
                ],
            ],
        ],
        ["NodePort with address", { serviceType: "NodePort", address: "192.0.2.10" }, []],
        [
            "address with port",
            { address: "192.0.2.10:6443" },
            [
                [
                    "address",
                    'must be a bare IP or host name without scheme or port (the port is "port"); got "192.0.2.10:6443"',
                ],
            ],
        ],
        ["bad port", { port: 70000 }, [["port", "must be a TCP port from 1 to 65535 (default 6443); got 70000"]]],
        [
            "advertiseAddress (not in Kamaji v1.0.0)",
            { advertiseAddress: "10.0.0.5" },
            [
                [
                    "advertiseAddress",
                    "is not supported by Kamaji v1.0.0 (its networkProfile has no advertiseAddress; the API server advertises `address`); remove it, or set `address` to that IP",
                ],
            ],
        ],
        [
            "certSAN with port",
            { certSANs: ["cp.example", "cp.example:6443", "10.0.0.1", "fd00::1"] },
            [
                [
                    "certSANs[1]",
                    'must be a bare host name or IP, not a URL or host:port (Kamaji loops rotating certificates otherwise, kamaji#679); got "cp.example:6443"',
                ],
            ],
        ],
        [
            "invalid pod CIDR",
            { network: { podCidr: "10.20.0.0", serviceCidr: "10.21.0.0/16" } },
            [["network.podCidr", 'must be a CIDR such as "10.20.0.0/16"']],
        ],
        [
            "service CIDR with host bits",
            { network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.1/16" } },
            [["network.serviceCidr", 'has host bits set; use the network address "10.21.0.0/16"']],
        ],
        [
            "pod and service overlap",
            { network: { podCidr: "10.20.0.0/15", serviceCidr: "10.21.0.0/16" } },
            [
                [
                    "network.podCidr",
                    "10.20.0.0/15 overlaps the service range 10.21.0.0/16; pod and service ranges must be disjoint (choose e.g. a different second octet)",
                ],
            ],
        ],
        [
            "overlaps the management cluster",
            { network: { podCidr: "10.1.128.0/17", serviceCidr: "10.2.0.0/24" } },
            [
                [
                    "network.podCidr",
                    "10.1.128.0/17 overlaps the management cluster's pod range 10.1.0.0/16; tenant ranges must be disjoint from the management cluster's, so pick another range",
                ],
                [
                    "network.serviceCidr",
                    "10.2.0.0/24 overlaps the management cluster's service range 10.2.0.0/16; tenant ranges must be disjoint from the management cluster's, so pick another range",
                ],
            ],
        ],
        [
            "DNS IP inside",
            { network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16", dnsServiceIPs: ["10.21.0.10"] } },
            [],
        ],
        [
            "DNS IP outside the service range",
            { network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16", dnsServiceIPs: ["10.96.0.10"] } },
            [
                [
                    "network.dnsServiceIPs[0]",
                    "10.96.0.10 is outside the service range 10.21.0.0/16; the DNS service IP must be a service address, e.g. 10.21.0.10",
                ],
            ],
        ],
        [
            "DNS IP is the network address / kubernetes service / not an IP",
            {
                network: {
                    podCidr: "10.20.0.0/16",
                    serviceCidr: "10.21.0.0/16",
                    dnsServiceIPs: ["10.21.0.0", "10.21.0.1", "dns"],
                },
            },
            [
                ["network.dnsServiceIPs[0]", "10.21.0.0 is the network address of 10.21.0.0/16; use e.g. 10.21.0.10"],
                [
                    "network.dnsServiceIPs[1]",
                    '10.21.0.1 is taken by the "kubernetes" Service (first address of 10.21.0.0/16); use e.g. 10.21.0.10',
                ],
                ["network.dnsServiceIPs[2]", 'must be an IP address; got "dns"'],
            ],
        ],
        [
            "too many DNS IPs",
            {
                network: {
                    podCidr: "10.20.0.0/16",
                    serviceCidr: "10.21.0.0/16",
                    dnsServiceIPs: Array.from({ length: 9 }, (_, i) => `10.21.0.${10 + i}`),
                },
            },
            [["network.dnsServiceIPs", "may list at most 8 addresses; got 9"]],
        ],
        [
            "cluster domain other than cluster.local (not in Kamaji v1.0.0)",
            { network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16", clusterDomain: "tenant.example" } },
            [
                [
                    "network.clusterDomain",
                    'is not supported by Kamaji v1.0.0 (its networkProfile has no clusterDomain, tenants use "cluster.local"); remove it; got "tenant.example"',
                ],
            ],
        ],
        [
            "cluster domain cluster.local is accepted",
            { network: { podCidr: "10.20.0.0/16", serviceCidr: "10.21.0.0/16", clusterDomain: "cluster.local" } },
            [],
        ],
        [
            "konnectivity port = API port",
            { addons: { konnectivity: { serverPort: 6443 } } },
            [
                [
                    "addons.konnectivity.serverPort",
                    "must differ from the API server port 6443: both are ports of the same Service",
                ],
            ],
        ],
        [
            "konnectivity port invalid",
            { addons: { konnectivity: { serverPort: 0 } } },
            [["addons.konnectivity.serverPort", "must be a TCP port from 1 to 65535 (default 8132); got 0"]],
        ],
        [
            "konnectivity Deployment mode (not in Kamaji v1.0.0)",
            { addons: { konnectivity: { agentMode: "Deployment" } } },
            [
                [
                    "addons.konnectivity.agentMode",
                    'must be "DaemonSet": Kamaji v1.0.0 runs the Konnectivity agents only as a DaemonSet; got "Deployment"; remove it',
                ],
            ],
        ],
        ["konnectivity DaemonSet mode is accepted", { addons: { konnectivity: { agentMode: "DaemonSet" } } }, []],
        [
            "konnectivity agent replicas and host network (not in Kamaji v1.0.0)",
            { addons: { konnectivity: { agentReplicas: 2, agentHostNetwork: true } } },
            [
                [
                    "addons.konnectivity.agentReplicas",
                    "is not supported by Kamaji v1.0.0 (its agents are a DaemonSet, one per node); remove it",
                ],
                [
                    "addons.konnectivity.agentHostNetwork",
                    "is not supported by Kamaji v1.0.0 (its agent DaemonSet runs on the pod network); remove it",
                ],
            ],
        ],
        [
            "kubelet address types: unknown and duplicate",
            { kubeletPreferredAddressTypes: ["InternalIP", "NodeIP", "InternalIP"] },
            [
                [
                    "kubeletPreferredAddressTypes[1]",
                    'must be one of Hostname, InternalIP, ExternalIP, InternalDNS, ExternalDNS (Kamaji\'s enum); got "NodeIP"',
                ],
                [
                    "kubeletPreferredAddressTypes[2]",
                    '"InternalIP" is listed twice (Kamaji\'s webhook refuses duplicates); list each type once',
                ],
            ],
        ],
        [
            "kubelet address types: empty",
            { kubeletPreferredAddressTypes: [] },
            [
                [
                    "kubeletPreferredAddressTypes",
                    "must list at least one of Hostname, InternalIP, ExternalIP, InternalDNS, ExternalDNS (default InternalIP, ExternalIP, Hostname)",
                ],
            ],
        ],
        ["kubelet address types: InternalIP only", { kubeletPreferredAddressTypes: ["InternalIP"] }, []],
        [
            "bad cgroup driver",
            { kubeletCgroupDriver: "cgroup" },
            [
                [
                    "kubeletCgroupDriver",
                    'must be "systemd" (what containerd is configured with) or "cgroupfs"; got "cgroup"',
                ],
            ],
        ],
    ];
    for (const [title, patch, want] of cases) {
        it(title, () => {
            const got = validateControlPlane({ ...base, ...patch }).map((e) => [e.propertyPath, e.reason]);
            expect(got).to.deep.equal(want);
        });
    }

    it("reports every problem at once", () => {
        const errors = validateControlPlane({
            ...base,
            kubernetesVersion: "latest",
            replicas: 1.5,
            network: { podCidr: "10.2.0.0/16", serviceCidr: "10.2.0.0/16", dnsServiceIPs: ["1.1.1.1"] },
        });
        expect(errors.map((e) => e.propertyPath)).to.deep.equal([
            "kubernetesVersion",
            "replicas",
            "network.podCidr",
            "network.podCidr",
            "network.serviceCidr",
            "network.dnsServiceIPs[0]",
        ]);
    });

    it("management ranges must be CIDRs", () => {
        expect(validateManagementRanges(["10.1.0.0/16", "x"], "10.2.0.0/16")).to.deep.equal([
            { propertyPath: "podCidrs[1]", reason: 'must be a CIDR such as "10.20.0.0/16"' },
            { propertyPath: "serviceCidrs", reason: 'must be a list of CIDRs, e.g. ["10.1.0.0/16"]' },
        ]);
    });
});

describe("validation: WorkerPool arguments", () => {
    const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake";
    const keyOk = (k: string) =>
        k.startsWith("ssh-ed25519 ") ? undefined : 'must be an OpenSSH public key ("ssh-ed25519 AAAA...")';
    const host = { address: "192.0.2.11", user: "ops", hasPrivateKey: true, hostKey };
    const base: WorkerPoolValues = { hosts: [host], kubernetesVersion: "v1.33.4", controlPlaneVersion: "v1.33.4" };
    const cases: [string, Partial<WorkerPoolValues>, [string, string][]][] = [
        ["valid", {}, []],
        [
            "not a list",
            { hosts: undefined },
            [["hosts", 'must be a list of hosts, e.g. [{ address: "192.0.2.11", user: "ops", privateKey, hostKey }]']],
        ],
        [
            "missing address",
            { hosts: [{ ...host, address: "" }] },
            [["hosts[0].address", "is required: the host's IP address or DNS name as reachable over SSH"]],
        ],
        [
            "address with port",
            { hosts: [{ ...host, address: "192.0.2.11:22" }] },
            [
                [
                    "hosts[0].address",
                    'must be an IP address or DNS name without scheme or port (the port is "port"); got "192.0.2.11:22"',
                ],
            ],
        ],
        [
            "duplicate host",
            { hosts: [host, { ...host, address: "192.0.2.11" }] },
            [["hosts[1].address", "192.0.2.11 is listed twice (also hosts[0]); list each host once"]],
        ],
        [
            "bad port",
            { hosts: [{ ...host, port: 0 }] },
            [["hosts[0].port", "must be a TCP port from 1 to 65535 (default 22); got 0"]],
        ],
        [
            "bad user",
            { hosts: [{ ...host, user: "o p s" }] },
            [["hosts[0].user", 'must be a login name such as "ops" (default "root"); got "o p s"']],
        ],
        [
            "no credentials",
            { hosts: [{ ...host, hasPrivateKey: false }] },
            [["hosts[0]", "needs credentials: set privateKey (preferred) or password"]],
        ],
        [
            "bad host key",
            { hosts: [{ ...host, hostKey: "AAAA" }] },
            [["hosts[0].hostKey", 'must be an OpenSSH public key ("ssh-ed25519 AAAA...")']],
        ],
        [
            "no host key",
            { hosts: [{ ...host, hostKey: undefined }] },
            [
                [
                    "hosts[0].hostKey",
                    "is required so the host is authenticated: copy /etc/ssh/ssh_host_ed25519_key.pub from the host (or `ssh-keyscan -t ed25519 HOST`), or set trustOnFirstUse: true to record the key on first contact",
                ],
            ],
        ],
        ["no host key, trust on first use", { hosts: [{ ...host, hostKey: undefined }], trustOnFirstUse: true }, []],
        ["host key from an Output", { hosts: [{ ...host, hostKey: undefined, hostKeyUnknown: true }] }, []],
        [
            "restricted label",
            { hosts: [{ ...host, labels: { "node-role.kubernetes.io/worker": "" } }] },
            [
                [
                    "hosts[0].labels",
                    '"node-role.kubernetes.io/worker" is in the node-role.kubernetes.io namespace, which kubelet may not set on its own Node (NodeRestriction); use your own prefix (e.g. "example.com/role") or node.kubernetes.io/...',
                ],
            ],
        ],
        [
            "allowed labels",
            {
                hosts: [
                    { ...host, labels: { "node.kubernetes.io/pool": "a", "example.com/role": "worker", plain: "x" } },
                ],
            },
            [],
        ],
        [
            "bad label value",
            { hosts: [{ ...host, labels: { "example.com/role": "-x" } }] },
            [
                [
                    'hosts[0].labels["example.com/role"]',
                    'must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit; got "-x"',
                ],
            ],
        ],
        [
            "bad label key",
            { hosts: [{ ...host, labels: { "a/b/c": "x" } }] },
            [["hosts[0].labels", '"a/b/c" has more than one "/"; use "prefix/name"']],
        ],
        [
            "bad taint",
            {
                hosts: [
                    {
                        ...host,
                        taints: [
                            { key: "", effect: "NoSchedule" },
                            { key: "dedicated", value: "gpu", effect: "Never" },
                        ],
                    },
                ],
            },
            [
                ["hosts[0].taints[0].key", "is required"],
                ["hosts[0].taints[1].effect", 'must be one of NoSchedule, PreferNoSchedule, NoExecute; got "Never"'],
            ],
        ],
        [
            "bad version",
            { kubernetesVersion: "1.33" },
            [["kubernetesVersion", 'must name a patch release, e.g. "v1.33.0"']],
        ],
        [
            "kubelet newer than control plane",
            { kubernetesVersion: "v1.34.0" },
            [
                [
                    "kubernetesVersion",
                    "v1.34.0 is newer than the control plane (v1.33.4); kubelets must not be newer than the API server: upgrade the control plane first",
                ],
            ],
        ],
        ["older patch is fine", { kubernetesVersion: "v1.33.1" }, []],
        [
            "kubelet too old",
            { kubernetesVersion: "v1.29.0" },
            [
                [
                    "kubernetesVersion",
                    "v1.29.0 is more than 3 minor versions older than the control plane (v1.33.4), outside Kubernetes' supported skew; upgrade the pool step by step",
                ],
            ],
        ],
        ["containerd version", { containerdVersion: "1.7.27-4" }, []],
        [
            "bad containerd version",
            { containerdVersion: "latest" },
            [
                [
                    "containerd.version",
                    'must be a containerd release such as "1.7.27" (optionally with a package revision, "1.7.27-4"); got "latest"',
                ],
            ],
        ],
        [
            "bad registry mirrors",
            { registryMirrors: { "https://docker.io": ["https://mirror.example"], "docker.io": ["mirror.example"] } },
            [
                [
                    'containerd.registryMirrors["https://docker.io"]',
                    'the key must be a registry host[:port] in lower case such as "docker.io", or "*"',
                ],
                [
                    'containerd.registryMirrors["docker.io"][0]',
                    'must be an http(s) URL like "https://mirror.example.com" (got "mirror.example")',
                ],
            ],
        ],
        [
            "bad reuse policy",
            { reusePolicy: "wipe" },
            [
                [
                    "reusePolicy",
                    'must be "retain" (leave the host as it is after removal) or "clean" (remove what preparation installed); got "wipe"',
                ],
            ],
        ],
        [
            "bad maxUnavailable",
            { maxUnavailable: 0 },
            [
                [
                    "maxUnavailable",
                    "must be a whole number >= 1 (how many hosts may be drained at once during an upgrade); got 0",
                ],
            ],
        ],
    ];
    for (const [title, patch, want] of cases) {
        it(title, () => {
            expect(
                validateWorkerPool({ ...base, ...patch }, keyOk).map((e) => [e.propertyPath, e.reason]),
            ).to.deep.equal(want);
        });
    }

    const nodeNameCases: [string, Partial<WorkerPoolValues>, [string, string][]][] = [
        [
            "two hosts with one explicit nodeName",
            {
                name: "a",
                hosts: [
                    { ...host, nodeName: "worker-1" },
                    { ...host, address: "192.0.2.12", nodeName: "worker-1" },
                ],
            },
            [
                [
                    "hosts[1].nodeName",
                    '"worker-1" is also the nodeName of hosts[0] in WorkerPool "a"; two hosts with one Node name would become one Node: give each host its own nodeName',
                ],
            ],
        ],
        [
            "an explicit nodeName equal to another host's default",
            { hosts: [host, { ...host, address: "192.0.2.12", nodeName: "192.0.2.11" }] },
            [
                [
                    "hosts[1].nodeName",
                    '"192.0.2.11" is also the nodeName of hosts[0] in this pool; two hosts with one Node name would become one Node: give each host its own nodeName',
                ],
            ],
        ],
        [
            "a default nodeName equal to another host's explicit one",
            {
                name: "a",
                hosts: [
                    { ...host, address: "192.0.2.12", nodeName: "node-a.example" },
                    { ...host, address: "Node-A.example." },
                ],
            },
            [
                [
                    "hosts[1].nodeName",
                    '"node-a.example" (the default Node name, from address Node-A.example.) is also the nodeName of hosts[0] in WorkerPool "a"; two hosts with one Node name would become one Node: give each host its own nodeName',
                ],
            ],
        ],
        ["distinct node names", { hosts: [host, { ...host, address: "192.0.2.12" }] }, []],
    ];
    for (const [title, patch, want] of nodeNameCases) {
        it(`nodeName uniqueness: ${title}`, () => {
            expect(
                validateWorkerPool({ ...base, ...patch }, keyOk).map((e) => [e.propertyPath, e.reason]),
            ).to.deep.equal(want);
        });
    }

    const addressCases: [string, string, string][] = [
        [
            "an all-numeric name that is no IPv4 address",
            "300.1.1.1",
            '"300.1.1.1" is neither an IPv4 address (four parts from 0 to 255 without leading zeros) nor a DNS name (the last label of a DNS name is never all digits); write the host\'s IPv4 address in dotted decimal or its DNS name',
        ],
        [
            "a hexadecimal IPv4 form",
            "0xc6.18.0.14",
            '"0xc6.18.0.14" is not a dotted-decimal IPv4 address, yet resolvers read it as 198.18.0.14 (an inet_aton shorthand form), so it would hide which host it is; write "198.18.0.14"',
        ],
        [
            "a single-number IPv4 form",
            "3323068430",
            '"3323068430" is not a dotted-decimal IPv4 address, yet resolvers read it as 198.18.0.14 (an inet_aton shorthand form), so it would hide which host it is; write "198.18.0.14"',
        ],
        [
            "a three-part IPv4 form",
            "198.18.14",
            '"198.18.14" is not a dotted-decimal IPv4 address, yet resolvers read it as 198.18.0.14 (an inet_aton shorthand form), so it would hide which host it is; write "198.18.0.14"',
        ],
        [
            "an octal IPv4 form",
            "198.018.0.010",
            '"198.018.0.010" is neither an IPv4 address (four parts from 0 to 255 without leading zeros) nor a DNS name (the last label of a DNS name is never all digits); write the host\'s IPv4 address in dotted decimal or its DNS name',
        ],
        [
            "a leading-zero IPv4 form",
            "198.18.0.010",
            '"198.18.0.010" is not a dotted-decimal IPv4 address, yet resolvers read it as 198.18.0.8 (an inet_aton shorthand form), so it would hide which host it is; write "198.18.0.8"',
        ],
    ];
    for (const [title, address, reason] of addressCases) {
        it(`address: refuses ${title} (${address})`, () => {
            expect(
                validateWorkerPool({ ...base, hosts: [{ ...host, address }] }, keyOk).map((e) => [
                    e.propertyPath,
                    e.reason,
                ]),
            ).to.deep.equal([["hosts[0].address", reason]]);
        });
    }

    it("address: another spelling of the same host is listed twice", () => {
        const hosts = [host, { ...host, address: "::FFFF:192.0.2.11" }];
        expect(validateWorkerPool({ ...base, hosts }, keyOk).map((e) => [e.propertyPath, e.reason])).to.deep.equal([
            [
                "hosts[1].address",
                "::FFFF:192.0.2.11 is listed twice (also hosts[0] (as 192.0.2.11, the same host)); list each host once",
            ],
        ]);
    });

    it("maxUnavailable above the host count", () => {
        const two = [host, { ...host, address: "192.0.2.12" }];
        expect(validateWorkerPool({ ...base, hosts: two, maxUnavailable: 3 }, keyOk)).to.deep.equal([
            {
                propertyPath: "maxUnavailable",
                reason: "is 3, more than the pool's 2 hosts: at most 2 can be drained at once; set it to 2 or less",
            },
        ]);
        expect(validateWorkerPool({ ...base, hosts: two, maxUnavailable: 2 }, keyOk)).to.deep.equal([]);
        expect(validateWorkerPool({ ...base, maxUnavailable: 1.5 }, keyOk).map((e) => e.propertyPath)).to.deep.equal([
            "maxUnavailable",
        ]);
        expect(validateWorkerPool({ ...base, maxUnavailable: -1 }, keyOk).map((e) => e.propertyPath)).to.deep.equal([
            "maxUnavailable",
        ]);
    });

    it("host registry: a Node name belongs to one host in the stack", () => {
        const r = new HostRegistry();
        const claim = (address: string, i: number, nodeName: string, nodeNameDefault = false) => ({
            address,
            path: `hosts[${i}].address`,
            nodeName,
            nodeNamePath: `hosts[${i}].nodeName`,
            nodeNameDefault,
        });
        expect(
            r.claim("a", [claim("192.0.2.11", 0, "192.0.2.11", true), claim("192.0.2.12", 1, "worker-1")]),
        ).to.deep.equal([]);
        expect(r.claim("b", [claim("192.0.2.13", 0, "x"), claim("192.0.2.14", 1, "worker-1")])).to.deep.equal([
            {
                propertyPath: "hosts[1].nodeName",
                reason: '"worker-1" is also the nodeName of hosts[1] in WorkerPool "a" in this stack; two hosts with one Node name would become one Node: give each host its own nodeName',
            },
        ]);
        expect(r.claim("c", [claim("192.0.2.11.example", 0, "192.0.2.11")])).to.have.length(1);
        expect(r.claim("d", [claim("192.0.2.15", 0, "192.0.2.15", true)])).to.deep.equal([]);
        r.release("a");
        expect(r.claim("b", [claim("192.0.2.14", 1, "worker-1")])).to.deep.equal([]);
    });

    it("host registry: shorthand and mapped forms are the same host", () => {
        const r = new HostRegistry();
        r.claim("a", [{ address: "198.18.0.14", path: "hosts[0].address" }]);
        for (const other of ["0xc6.18.0.14", "3323068430", "198.18.14", "::ffff:198.18.0.14", "[::FFFF:C612:E]"])
            expect(r.claim("b", [{ address: other, path: "hosts[0].address" }]), other).to.have.length(1);
        r.claim("c", [{ address: "Node.Example.", path: "hosts[0].address" }]);
        expect(r.claim("d", [{ address: "node.example", path: "hosts[0].address" }])).to.have.length(1);
        r.claim("e", [{ address: "2001:DB8:0:0:0:0:0:1", path: "hosts[0].address" }]);
        expect(r.claim("f", [{ address: "2001:db8::1", path: "hosts[0].address" }])).to.have.length(1);
    });

    it("host registry: a host belongs to one pool in the stack", () => {
        const r = new HostRegistry();
        expect(r.claim("a", [{ address: "192.0.2.11", path: "hosts[0].address" }])).to.deep.equal([]);
        expect(r.claim("a", [{ address: "192.0.2.11", path: "hosts[0].address" }])).to.deep.equal([]);
        expect(
            r.claim("b", [
                { address: "192.0.2.12", path: "hosts[0].address" },
                { address: "192.0.2.11", path: "hosts[1].address" },
            ]),
        ).to.deep.equal([
            {
                propertyPath: "hosts[1].address",
                reason: '192.0.2.11 already belongs to WorkerPool "a" in this stack; a host can join one pool only: remove it from one of them',
            },
        ]);
        // Case and IPv6 brackets do not make a different host.
        r.claim("c", [{ address: "[FD00::1]", path: "hosts[0].address" }]);
        expect(r.claim("d", [{ address: "fd00::1", path: "hosts[0].address" }])).to.have.length(1);
        r.release("a");
        expect(r.claim("b", [{ address: "192.0.2.11", path: "hosts[0].address" }])).to.deep.equal([]);
    });
});
