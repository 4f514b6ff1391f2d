import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN } from "../../provider/dynamic";
import { check } from "../../provider/token/provider";
import {
    expiresSoon,
    formatToken,
    generateToken,
    parseToken,
    tokenSecret,
    ttlProblem,
    TOKEN_PATTERN,
    ttlWarning,
} from "../../provider/token/logic";

describe("bootstrap token logic", () => {
    it("generates tokens in kubeadm's format, different each time", () => {
        const seen = new Set<string>();
        for (let i = 0; i < 50; i++) {
            const t = formatToken(generateToken());
            expect(t).to.match(TOKEN_PATTERN);
            seen.add(t);
        }
        expect(seen.size).to.equal(50);
    });

    const bad = [
        "",
        "abcdef",
        "ABCDEF.0123456789abcdef",
        "abcde.0123456789abcdef",
        "abcdef.0123456789abcde",
        "abcdef:0123456789abcdef",
    ];
    for (const text of bad) {
        it(`rejects ${JSON.stringify(text)} without echoing it`, () => {
            expect(() => parseToken(text)).to.throw(/token: must be a kubeadm bootstrap token/);
            try {
                parseToken(text);
            } catch (e) {
                if (text) expect((e as Error).message).not.to.include(text);
            }
        });
    }

    it("parses a valid token", () => {
        expect(parseToken("abcdef.0123456789abcdef")).to.deep.equal({ id: "abcdef", secret: "0123456789abcdef" });
    });

    it("builds the Secret kubeadm and the bootstrap authenticator expect", () => {
        const s = tokenSecret(
            { id: "abcdef", secret: "0123456789abcdef" },
            new Date("2026-11-25T19:00:00.123Z"),
            "test",
        );
        expect(s.type).to.equal("bootstrap.kubernetes.io/token");
        expect(s.metadata).to.include({ name: "bootstrap-token-abcdef", namespace: "kube-system" });
        expect(s.stringData).to.include({
            "token-id": "abcdef",
            "token-secret": "0123456789abcdef",
            expiration: "2026-11-25T19:00:00Z",
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
            "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
        });
    });

    const now = new Date("2026-11-25T18:00:00Z");
    const cases: [string, number, boolean][] = [
        ["2026-11-25T17:59:59Z", 0, true],
        ["2026-11-25T18:10:00Z", 0, false],
        ["2026-11-25T18:04:00Z", 300, true],
        ["2026-11-25T18:06:00Z", 300, false],
    ];
    for (const [at, margin, soon] of cases) {
        it(`expiresSoon(${at}, margin ${margin}) = ${soon}`, () => expect(expiresSoon(at, now, margin)).to.equal(soon));
    }

    it("bounds the TTL", () => {
        expect(ttlProblem(3600)).to.equal(undefined);
        expect(ttlProblem(10)).to.match(/^ttlSeconds: must be a whole number of seconds between 60 and 604800/);
        expect(ttlProblem(1e9)).to.match(/ttlSeconds/);
        expect(ttlProblem("1h")).to.match(/ttlSeconds/);
    });
});

describe("BootstrapToken check", () => {
    const KUBECONFIG = [
        "apiVersion: v1",
        "kind: Config",
        "current-context: t",
        "contexts: [{name: t, context: {cluster: c, user: u}}]",
        'clusters: [{name: c, cluster: {server: "https://192.0.2.1:6443"}}]',
        "users: [{name: u, user: {token: abc}}]",
    ].join("\n");
    const failuresOf = async (news: any) => ((await check({}, news)).failures ?? []).map((f) => f.property);

    it("skips a kubeconfig not known yet at preview (a new tenant's) and checks the rest", async () => {
        expect(await failuresOf({ kubeconfig: UNKNOWN })).to.deep.equal([]);
        expect(await failuresOf({ kubeconfig: UNKNOWN, ttlSeconds: 10 })).to.deep.equal(["ttlSeconds"]);
    });

    it("skips a TTL not known yet and still checks the known kubeconfig", async () => {
        expect(await failuresOf({ kubeconfig: KUBECONFIG, ttlSeconds: UNKNOWN })).to.deep.equal([]);
        expect(await failuresOf({ kubeconfig: "not: [a kubeconfig", ttlSeconds: UNKNOWN })).to.deep.equal([
            "kubeconfig",
        ]);
        expect((await check({}, { kubeconfig: KUBECONFIG, ttlSeconds: UNKNOWN })).inputs.ttlSeconds).to.equal(UNKNOWN);
    });

    it("checks known inputs as before", async () => {
        expect(await failuresOf({ kubeconfig: KUBECONFIG })).to.deep.equal([]);
        expect(await failuresOf({ kubeconfig: "/home/me/.kube/config", ttlSeconds: 10 })).to.deep.equal([
            "ttlSeconds",
            "kubeconfig",
        ]);
    });
});

describe("BootstrapToken TTL above kubeadm's default", () => {
    it("ttlWarning: warns above 24 h only", () => {
        expect(ttlWarning(3600)).to.equal(undefined);
        expect(ttlWarning(86400)).to.equal(undefined);
        expect(ttlWarning(undefined)).to.equal(undefined);
        expect(ttlWarning(1e9)).to.equal(undefined); // a check failure, not a warning
        expect(ttlWarning(2 * 86400)).to.equal(
            "ttlSeconds: 172800 s (48 h) is longer than kubeadm's default of 24 h; whoever holds the token can join nodes to the tenant until it expires: use the shortest lifetime your joins need (e.g. 3600), at most 86400",
        );
    });

    it("the resource logs the warning with pulumi.log.warn", async () => {
        pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
                call: (args) => args.inputs,
            },
            "proj",
            "stack",
            true,
        );
        const warnings: string[] = [];
        const original = pulumi.log.warn;
        (pulumi.log as any).warn = async (msg: string) => {
            warnings.push(msg);
        };
        try {
            const { BootstrapToken } = await import("../../provider/token/resource");
            new BootstrapToken("short", { kubeconfig: "kc", ttlSeconds: 3600 });
            new BootstrapToken("long", { kubeconfig: "kc", ttlSeconds: 3 * 86400 });
            for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        } finally {
            (pulumi.log as any).warn = original;
        }
        expect(warnings).to.have.length(1);
        expect(warnings[0]).to.match(
            /^BootstrapToken long: ttlSeconds: 259200 s \(72 h\) is longer than kubeadm's default of 24 h/,
        );
    });
});
