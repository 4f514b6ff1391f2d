// etcd health logic: endpoint parsing, input rules, the verdict and error explanations.
// Over 400 lines: table-driven, one table per rule.
import { expect } from "chai";
import {
    containsUnknown,
    EndpointProbe,
    explainError,
    interpretHealth,
    memberIdHex,
    parseEndpoint,
    reportOutputs,
    UNKNOWN,
    validateEtcdHealthInputs,
} from "../../provider/etcd/logic";
import { createCertificateAuthority, issueCertificate, CertificateAndKey } from "../../lib/pki";

const AT = new Date("2030-01-02T03:04:05Z");
const EP = ["10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379", "10.0.0.4:2379", "10.0.0.5:2379"];
// member IDs as the gRPC API returns them (decimal strings); hex = BigInt(id).toString(16)
const ID = ["1001", "1002", "1003", "1004", "1005"];
const LEADER = ID[1];

function up(i: number, extra: Partial<EndpointProbe> = {}): EndpointProbe {
    return {
        endpoint: EP[i],
        readOk: true,
        status: { version: "3.7.3", dbSize: 20480, memberId: ID[i], leaderId: LEADER },
        alarms: [],
        latencyMs: 5,
        ...extra,
    };
}
function down(
    i: number,
    err = "connection refused [ECONNREFUSED]: the member is not running or not listening on this address",
): EndpointProbe {
    return { endpoint: EP[i], readOk: false, readError: err, statusError: err, alarmError: err, latencyMs: 2 };
}

describe("etcd logic: parseEndpoint", () => {
    const ok: [string, string, string, number][] = [
        ["etcd-0.example:2379", "https://etcd-0.example:2379", "etcd-0.example", 2379],
        ["https://127.0.0.1:23790", "https://127.0.0.1:23790", "127.0.0.1", 23790],
        ["HTTPS://etcd:2379/", "https://etcd:2379", "etcd", 2379],
        ["[::1]:2379", "https://[::1]:2379", "::1", 2379],
        ["  etcd:2379 ", "https://etcd:2379", "etcd", 2379],
    ];
    for (const [given, url, host, port] of ok) {
        it(`accepts ${JSON.stringify(given)}`, () => {
            expect(parseEndpoint(given)).to.deep.equal({ given, url, host, port });
        });
    }
    const bad: [string, RegExp][] = [
        ["", /got an empty value/],
        ["http://etcd:2379", /must use https \(the DataStore requires mutual TLS\); got "http:\/\/etcd:2379"/],
        ["unix:///run/etcd.sock", /must use https/],
        ["etcd", /must include a port \(etcd's client port is usually 2379\)/],
        ["etcd:2379/v3", /without a path, query or user/],
        ["user@etcd:2379", /without a path, query or user/],
        ["etcd:99999", /must be "host:port" or "https:\/\/host:port"; got "etcd:99999"/],
    ];
    for (const [given, re] of bad) {
        it(`rejects ${JSON.stringify(given)}`, () => {
            expect(() => parseEndpoint(given)).to.throw(re);
        });
    }
});

describe("etcd logic: explainError (messages seen from grpc-js / etcd)", () => {
    const cases: [string, string, RegExp][] = [
        [
            "client cert from another CA",
            "14 UNAVAILABLE: No connection established. Last error: C0AC2A16957F0000:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 48\n (2026-11-25T18:24:49.147Z). Resolution note: ",
            /^TLS: the member rejected the client certificate \[alert unknown ca\]: clientCertificate is not signed by a CA in the member's --trusted-ca-file/,
        ],
        [
            "bad certificate alert",
            "SSL routines:ssl3_read_bytes:sslv3 alert bad certificate",
            /^TLS: the member rejected the client certificate \[alert bad certificate\]/,
        ],
        [
            "TLS 1.3 certificate required",
            "tlsv13 alert certificate required",
            /^TLS: the member rejected the client certificate \[alert certificate required\]/,
        ],
        [
            "server cert from another CA",
            "14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ",
            /^TLS: the member's server certificate is not signed by caCertificate \[unable to verify the first certificate\]; pass the CA that issued/,
        ],
        [
            "self-signed server",
            "Error: self-signed certificate",
            /^TLS: the member's server certificate is not signed by caCertificate/,
        ],
        [
            "SAN mismatch",
            "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.0.0.9 is not in the cert's list: 127.0.0.1",
            /^TLS: the member's server certificate does not name this address \[Hostname\/IP does not match certificate's altnames/,
        ],
        ["expired server cert", "Error: certificate has expired", /^TLS: the member's server certificate has expired/],
        [
            "plain http server",
            "SSL routines::wrong version number",
            /^TLS: the endpoint does not speak TLS \[wrong version number\]/,
        ],
        [
            "refused",
            "14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:21385. Resolution note: ",
            /^connection refused \[ECONNREFUSED\]: the member is not running/,
        ],
        ["DNS", "Error: getaddrinfo ENOTFOUND etcd-9.example", /^name does not resolve \[ENOTFOUND etcd-9.example\]/],
        ["unreachable", "connect EHOSTUNREACH 10.0.0.1:2379", /^unreachable \[EHOSTUNREACH\]/],
        ["reset", "read ECONNRESET", /^connection reset \[ECONNRESET\]/],
        ["no leader", "etcdserver: no leader", /^no raft leader \[etcdserver: no leader\]/],
        [
            "deadline",
            "4 DEADLINE_EXCEEDED: Deadline exceeded after 2.000s,name resolution: 0.001s,LB pick: 0.006s,remote_addr=127.0.0.1:21379",
            /^no answer within 1500 ms \[DEADLINE_EXCEEDED\]: the member is partitioned from its peers, has no leader, or is overloaded$/,
        ],
        ["own guard", "timed out after 1500 ms", /^no answer within 1500 ms \[timed out\]/],
        [
            "permission",
            "7 PERMISSION_DENIED: etcdserver: permission denied",
            /^permission denied \[PERMISSION_DENIED\]/,
        ],
        ["auth user", "etcdserver: user name not found", /^authentication failed \[user name not found\]/],
        [
            "unknown, trimmed",
            "13 INTERNAL: something odd. Resolution note: x\nsecond line",
            /^13 INTERNAL: something odd\.$/,
        ],
        ["empty", "", /^unknown error$/],
    ];
    for (const [name, raw, re] of cases) {
        it(name, () => expect(explainError(raw, 1500)).to.match(re));
    }
});

describe("etcd logic: interpretHealth", () => {
    type Case = {
        name: string;
        probes: EndpointProbe[];
        level: "ok" | "warning" | "error";
        healthy: number;
        quorum: number;
        leader?: string;
        message: RegExp[];
        notInMessage?: string[];
    };
    const cases: Case[] = [
        {
            name: "3 of 3 healthy",
            probes: [up(0), up(1), up(2)],
            level: "ok",
            healthy: 3,
            quorum: 2,
            leader: EP[1],
            message: [/^etcd healthy: 3 of 3 endpoints, leader 10\.0\.0\.2:2379, version 3\.7\.3$/],
        },
        {
            name: "single member, healthy",
            probes: [up(1)],
            level: "ok",
            healthy: 1,
            quorum: 1,
            leader: EP[1],
            message: [/^etcd healthy: 1 of 1/],
        },
        {
            name: "1 of 3 down: warning naming it",
            probes: [up(0), up(1), down(2)],
            level: "warning",
            healthy: 2,
            quorum: 2,
            leader: EP[1],
            message: [
                /^etcd degraded: 2 of 3 endpoints healthy \(quorum of 2 holds\)\. Unhealthy: 10\.0\.0\.3:2379 \(connection refused/,
                /One more failure loses quorum\. Fix: restart or replace/,
            ],
            notInMessage: [EP[0], EP[1]],
        },
        {
            name: "the leader is the one down: a new leader is reported",
            probes: [
                up(0, { status: { version: "3.7.3", dbSize: 1, memberId: ID[0], leaderId: ID[0] } }),
                up(2, { status: { version: "3.7.3", dbSize: 1, memberId: ID[2], leaderId: ID[0] } }),
                down(1),
            ],
            level: "warning",
            healthy: 2,
            quorum: 2,
            leader: EP[0],
            message: [/Unhealthy: 10\.0\.0\.2:2379/],
        },
        {
            name: "2 of 5 down: warning, one more failure loses quorum",
            probes: [up(0), up(1), up(2), down(3), down(4)],
            level: "warning",
            healthy: 3,
            quorum: 3,
            leader: EP[1],
            message: [
                /^etcd degraded: 3 of 5 endpoints healthy \(quorum of 3 holds\)\. Unhealthy: 10\.0\.0\.4:2379 \(.*\); 10\.0\.0\.5:2379 \(/,
                /One more failure loses quorum/,
            ],
        },
        {
            name: "1 of 5 down: warning without the 'one more' note",
            probes: [up(0), up(1), up(2), up(3), down(4)],
            level: "warning",
            healthy: 4,
            quorum: 3,
            leader: EP[1],
            message: [
                /^etcd degraded: 4 of 5 endpoints healthy \(quorum of 3 holds\)\. Unhealthy: 10\.0\.0\.5:2379 \([^)]*\)\. Fix:/,
            ],
        },
        {
            name: "2 of 3 down: quorum lost, names both, the fix",
            probes: [
                down(0, "no answer within 3000 ms [DEADLINE_EXCEEDED]: the member is partitioned"),
                down(1),
                down(2),
            ],
            level: "error",
            healthy: 0,
            quorum: 2,
            message: [
                /^etcd quorum lost: 0 of 3 endpoints healthy, 2 needed\. Unhealthy: 10\.0\.0\.1:2379 \(no answer within 3000 ms .*\); 10\.0\.0\.2:2379 \(connection refused .*\); 10\.0\.0\.3:2379 \(connection refused/,
                /every tenant control plane on it is down\. Fix: start the stopped members/,
            ],
        },
        {
            name: "1 of 2 down: quorum of 2 lost",
            probes: [up(0), down(1)],
            level: "error",
            healthy: 1,
            quorum: 2,
            message: [/^etcd quorum lost: 1 of 2 endpoints healthy, 2 needed\. Unhealthy: 10\.0\.0\.2:2379/],
        },
        {
            name: "NOSPACE on one member, all healthy: error naming alarm, member and endpoint",
            probes: [
                up(0, { alarms: [{ memberId: ID[2], alarm: "NOSPACE" }] }),
                up(1, { alarms: [{ memberId: ID[2], alarm: "NOSPACE" }] }),
                up(2, { alarms: [{ memberId: ID[2], alarm: "NOSPACE" }] }),
            ],
            level: "error",
            healthy: 3,
            quorum: 2,
            leader: EP[1],
            message: [
                /^etcd alarm NOSPACE raised on member 3eb \(10\.0\.0\.3:2379\): the member's backend reached --quota-backend-bytes .*etcdctl alarm disarm; or raise --quota-backend-bytes$/,
            ],
        },
        {
            name: "CORRUPT on a member not in the list (no endpoint known)",
            probes: [up(0, { alarms: [{ memberId: "4096", alarm: "CORRUPT" }] }), up(1), up(2)],
            level: "error",
            healthy: 3,
            quorum: 2,
            leader: EP[1],
            message: [/^etcd alarm CORRUPT raised on member 1000: a member's data diverges .*etcdctl member remove/],
        },
        {
            name: "two members with NOSPACE, and a member down: both problems",
            probes: [
                up(0, {
                    alarms: [
                        { memberId: ID[0], alarm: "Nospace" },
                        { memberId: ID[1], alarm: "NOSPACE" },
                    ],
                }),
                up(1),
                down(2),
            ],
            level: "error",
            healthy: 2,
            quorum: 2,
            leader: EP[1],
            message: [
                /^etcd alarm NOSPACE raised on member 3e9 \(10\.0\.0\.1:2379\), member 3ea \(10\.0\.0\.2:2379\): /,
            ],
        },
        {
            name: "quorum lost and CORRUPT: both in the message",
            probes: [up(0, { alarms: [{ memberId: ID[0], alarm: "CORRUPT" }] }), down(1), down(2)],
            level: "error",
            healthy: 1,
            quorum: 2,
            message: [/^etcd quorum lost: 1 of 3/, /\. etcd alarm CORRUPT raised on member 3e9/],
        },
        {
            name: "NONE entries are ignored",
            probes: [up(0, { alarms: [{ memberId: "0", alarm: "NONE" }] }), up(1), up(2)],
            level: "ok",
            healthy: 3,
            quorum: 2,
            leader: EP[1],
            message: [/^etcd healthy/],
        },
        {
            name: "status failed but read ok: still healthy, no version",
            probes: [up(0, { status: undefined, statusError: "x" }), up(1), up(2)],
            level: "ok",
            healthy: 3,
            quorum: 2,
            leader: EP[1],
            message: [/^etcd healthy: 3 of 3/],
        },
        {
            name: "mixed versions are all named",
            probes: [
                up(0),
                up(1, { status: { version: "3.6.5", dbSize: 1, memberId: ID[1], leaderId: LEADER } }),
                up(2),
            ],
            level: "ok",
            healthy: 3,
            quorum: 2,
            leader: EP[1],
            message: [/version 3\.7\.3\/3\.6\.5$/],
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const r = interpretHealth(c.probes, AT);
            expect(r.level).to.equal(c.level);
            expect(r.healthyCount).to.equal(c.healthy);
            expect(r.quorum).to.equal(c.quorum);
            expect(r.total).to.equal(c.probes.length);
            expect(r.leaderEndpoint).to.equal(c.leader);
            expect(r.checkedAt).to.equal("2030-01-02T03:04:05.000Z");
            for (const re of c.message) expect(r.message).to.match(re);
            for (const s of c.notInMessage ?? []) expect(r.message).to.not.include(s + " (");
            expect(r.endpoints.map((e) => e.endpoint)).to.deep.equal(c.probes.map((p) => p.endpoint));
            expect(r.endpoints.filter((e) => e.leader).length).to.equal(c.leader ? 1 : 0);
        });
    }

    it("per-endpoint status carries version, dbSize, hex member ID and error", () => {
        const r = interpretHealth([up(0), down(1)], AT);
        expect(r.endpoints[0]).to.deep.equal({
            endpoint: EP[0],
            healthy: true,
            version: "3.7.3",
            dbSize: 20480,
            memberId: "3e9",
            leader: false,
            latencyMs: 5,
            error: undefined,
        });
        expect(r.endpoints[1]).to.include({ endpoint: EP[1], healthy: false, leader: false });
        expect(r.endpoints[1].error).to.match(/^connection refused/);
    });

    it("reportOutputs: no undefined values, no latency", () => {
        const o = reportOutputs(interpretHealth([up(0), down(1), up(2)], AT));
        const walk = (v: unknown): void => {
            expect(v).to.not.equal(undefined);
            if (v && typeof v === "object") Object.values(v).forEach(walk);
        };
        walk(o);
        expect(o.statuses[1]).to.deep.equal({
            endpoint: EP[1],
            healthy: false,
            leader: false,
            error: down(1).readError,
        });
        expect(o.leaderEndpoint).to.equal(""); // the reported leader (member 1002) is the endpoint that is down
        expect(JSON.stringify(o)).to.not.include("latency");
    });

    it("memberIdHex matches etcdctl's hex IDs", () => {
        expect(memberIdHex("4339987492404835495")).to.equal("3c3abba14e6db4a7");
    });
});

describe("etcd logic: validateEtcdHealthInputs", () => {
    let ca: CertificateAndKey;
    let client: CertificateAndKey;
    before(async () => {
        ca = await createCertificateAuthority("unit-etcd-ca", 1);
        client = await issueCertificate(ca, { commonName: "root", usages: ["client"], validity: 1 });
    });
    const good = () => ({
        endpoints: ["etcd-0:2379", "etcd-1:2379"],
        caCertificate: ca.certPem,
        clientCertificate: client.certPem,
        clientPrivateKey: client.keyPem,
    });
    const cases: { name: string; patch: () => Record<string, unknown>; expect: [string, RegExp][] }[] = [
        { name: "valid", patch: () => ({}), expect: [] },
        { name: "valid with timeout", patch: () => ({ timeoutMs: 500 }), expect: [] },
        {
            name: "no endpoints",
            patch: () => ({ endpoints: [] }),
            expect: [["endpoints", /^endpoints: must list the DataStore's etcd client endpoints .*got none$/]],
        },
        {
            name: "endpoints not a list",
            patch: () => ({ endpoints: "etcd:2379" }),
            expect: [["endpoints", /got none/]],
        },
        {
            name: "bad and duplicate endpoints",
            patch: () => ({ endpoints: ["etcd-0:2379", "http://etcd-1:2379", "https://etcd-0:2379"] }),
            expect: [
                ["endpoints", /^endpoints\[1\]: must use https/],
                ["endpoints", /^endpoints\[2\]: "https:\/\/etcd-0:2379" repeats endpoints\[0\]; list each member once/],
            ],
        },
        {
            name: "timeout too small",
            patch: () => ({ timeoutMs: 5 }),
            expect: [["timeoutMs", /^timeoutMs: must be an integer number of milliseconds in 100\.\.60000; got 5$/]],
        },
        { name: "timeout not a number", patch: () => ({ timeoutMs: "3s" }), expect: [["timeoutMs", /got "3s"$/]] },
        {
            name: "key missing",
            patch: () => ({ clientPrivateKey: undefined }),
            expect: [["clientPrivateKey", /^clientPrivateKey: must be an unencrypted PEM private key .*got nothing/]],
        },
        {
            name: "CA and cert swapped",
            patch: () => ({ caCertificate: client.certPem, clientCertificate: ca.certPem }),
            expect: [
                ["caCertificate", /is not a CA certificate/],
                ["clientCertificate", /is not signed by caCertificate/],
                ["clientPrivateKey", /does not match/],
            ],
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const f = validateEtcdHealthInputs({ ...good(), ...c.patch() }, new Date());
            expect(f.map((x) => x.property)).to.deep.equal(c.expect.map(([p]) => p));
            c.expect.forEach(([, re], i) => expect(f[i].reason).to.match(re));
        });
    }
});

describe("etcd logic: containsUnknown", () => {
    const cases: [unknown, boolean][] = [
        [UNKNOWN, true],
        [["a", UNKNOWN], true],
        [{ a: { b: [UNKNOWN] } }, true],
        [{ a: "x", b: [1, 2] }, false],
        [undefined, false],
        [null, false],
    ];
    cases.forEach(([v, want], i) => it(`case ${i}: ${want}`, () => expect(containsUnknown(v)).to.equal(want)));
});
