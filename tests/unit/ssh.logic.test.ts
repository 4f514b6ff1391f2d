import { expect } from "chai";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    buildCommand,
    classifyConnectError,
    describeCommand,
    fingerprint,
    hostKeyAlgorithmsFor,
    parsePublicKey,
    pinRecordedHostKey,
    privateKeyReason,
    publicKeyFromBlob,
    redact,
    sameKey,
    shellQuote,
    sudoProblem,
    tail,
    uploadArgv,
    withSudo,
} from "../../lib/ssh/logic";
import { dialRetryPolicy } from "../../lib/ssh/retry";

/** What /bin/sh makes of a command line: the argv it would pass to a program. */
function shArgv(commandLine: string): string[] {
    const out = execFileSync("sh", ["-c", `for a in ${commandLine}; do printf '%s\\0' "$a"; done`], {
        encoding: "utf8",
    });
    return out.split("\0").slice(0, -1);
}

describe("ssh logic: shellQuote / buildCommand", () => {
    const cases: [string, string][] = [
        ["plain", "plain"],
        ["/usr/local/bin/kubeadm", "/usr/local/bin/kubeadm"],
        ["a=b,c:d@e%f+g", "a=b,c:d@e%f+g"],
        ["", "''"],
        ["two words", "'two words'"],
        ["it's", "'it'\\''s'"],
        ["$(touch /tmp/pwned)", "'$(touch /tmp/pwned)'"],
        ["; rm -rf /", "'; rm -rf /'"],
        ["`id`", "'`id`'"],
        ["a\nb", "'a\nb'"],
        ["*", "'*'"],
        ["~root", "'~root'"],
        ["--flag=x y", "'--flag=x y'"],
    ];
    for (const [input, want] of cases) {
        it(`quotes ${JSON.stringify(input)}`, () => expect(shellQuote(input)).to.equal(want));
    }

    const hostile = [
        "$(touch /tmp/pwned)",
        "`touch /tmp/pwned`",
        "; rm -rf /tmp/x",
        "a && b || c",
        "'single' \"double\" \\back",
        "line1\nline2\n",
        "tab\there",
        "$HOME ${PATH} $1 $@ $$",
        "|&;<>()!#*?[]{}~",
        "'",
        "''",
        "\\",
        "ünïcödé ✓",
        " leading and trailing ",
        "",
    ];
    it("round-trips hostile arguments through a real sh", () => {
        expect(shArgv(buildCommand(hostile))).to.deep.equal(hostile);
    });

    it("refuses NUL and non-strings, and empty argv", () => {
        expect(() => shellQuote("a\0b")).to.throw(/NUL/);
        expect(() => shellQuote(5 as any)).to.throw(/string/);
        expect(() => buildCommand([])).to.throw(/empty/);
    });

    it("prefixes sudo -n -- only for non-root users", () => {
        expect(withSudo(["id"], "root")).to.deep.equal(["id"]);
        expect(withSudo(["id"], "ops")).to.deep.equal(["sudo", "-n", "--", "id"]);
        expect(withSudo(["id"], "ops", false)).to.deep.equal(["id"]);
    });

    it("describes commands with secrets redacted and long ones cut", () => {
        expect(describeCommand(["echo", "hunter2hunter2"], ["hunter2hunter2"])).to.equal("echo [REDACTED]");
        expect(describeCommand(["echo", "x".repeat(500)]).length).to.be.lessThan(210);
    });
});

describe("ssh logic: uploadArgv", () => {
    const table: { path: string; mode: string; owner?: string; err?: RegExp }[] = [
        { path: "/etc/x.conf", mode: "0644" },
        { path: "/etc/x.conf", mode: "600" },
        { path: "/etc/x.conf", mode: "0644", owner: "root:root" },
        { path: "etc/x.conf", mode: "0644", err: /absolute/ },
        { path: "/etc/x", mode: "rw", err: /octal/ },
        { path: "/etc/x", mode: "0644", owner: "a b", err: /owner/ },
    ];
    for (const t of table) {
        it(`${t.path} ${t.mode} ${t.owner ?? ""} -> ${t.err ? "error" : "ok"}`, () => {
            if (t.err) expect(() => uploadArgv(t.path, t.mode, t.owner)).to.throw(t.err);
            else
                expect(uploadArgv(t.path, t.mode, t.owner).slice(3)).to.deep.equal([
                    "sh",
                    t.path,
                    t.mode,
                    t.owner ?? "",
                ]);
        });
    }

    it("writes atomically with the mode, through a real sh", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-upload-"));
        try {
            const target = path.join(dir, "sub dir", "it's.conf");
            const argv = uploadArgv(target, "0640");
            execFileSync(argv[0], argv.slice(1), { input: "content\n" });
            expect(fs.readFileSync(target, "utf8")).to.equal("content\n");
            expect(fs.statSync(target).mode & 0o777).to.equal(0o640);
            expect(fs.readdirSync(path.dirname(target))).to.deep.equal(["it's.conf"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("ssh logic: public keys and fingerprints", () => {
    let dir: string;
    let ed: string;
    let edFp: string;
    let rsa: string;
    let rsaFp: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-pk-"));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "me@host", "-f", path.join(dir, "ed")]);
        execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", path.join(dir, "rsa")]);
        ed = fs.readFileSync(path.join(dir, "ed.pub"), "utf8").trim();
        rsa = fs.readFileSync(path.join(dir, "rsa.pub"), "utf8").trim();
        const fp = (f: string) =>
            execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", f], { encoding: "utf8" }).split(" ")[1];
        edFp = fp(path.join(dir, "ed.pub"));
        rsaFp = fp(path.join(dir, "rsa.pub"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("parses an ed25519 key with comment, and fingerprints it like ssh-keygen -l", () => {
        const k = parsePublicKey(ed);
        expect(k.type).to.equal("ssh-ed25519");
        expect(k.comment).to.equal("me@host");
        expect(k.line).to.equal(ed.split(" ").slice(0, 2).join(" "));
        expect(fingerprint(k)).to.equal(edFp);
        expect(fingerprint(k)).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
    });

    it("parses rsa keys and offers rsa-sha2 algorithms", () => {
        const k = parsePublicKey(rsa);
        expect(fingerprint(k)).to.equal(rsaFp);
        expect(hostKeyAlgorithmsFor(k)).to.deep.equal(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
        expect(hostKeyAlgorithmsFor(parsePublicKey(ed))).to.deep.equal(["ssh-ed25519"]);
    });

    it("accepts the ssh-keyscan / known_hosts form and surrounding whitespace", () => {
        const [t, b] = ed.split(" ");
        expect(parsePublicKey(`198.18.0.11 ${t} ${b}`).line).to.equal(`${t} ${b}`);
        expect(parsePublicKey(`\n  ${t}   ${b}  \n`).line).to.equal(`${t} ${b}`);
        expect(parsePublicKey(`# comment from ssh-keyscan\n${t} ${b}`).line).to.equal(`${t} ${b}`);
    });

    it("round-trips through the wire blob", () => {
        const k = parsePublicKey(ed);
        expect(publicKeyFromBlob(k.blob).line).to.equal(k.line);
        expect(sameKey(k, k.blob)).to.equal(true);
        expect(sameKey(k, parsePublicKey(rsa).blob)).to.equal(false);
    });

    const bad: [string, RegExp][] = [
        ["", /hostKey: must be an OpenSSH public key/],
        ["ssh-ed25519", /no key data/],
        ["ssh-dss AAAAB3NzaC1kc3MAAACBAP", /"ssh-dss" is not supported/],
        ["ssh-ed25519 not*base64!", /not valid base64/],
        ["ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==", /says "ssh-rsa" but the line says "ssh-ed25519"|garbage/],
        ["SHA256:abcdef", /no key data|not supported/],
        [["-----BEGIN", "OPENSSH PRIVATE KEY-----"].join(" "), /not supported|no key data/],
    ];
    for (const [text, re] of bad) {
        it(`rejects ${JSON.stringify(text)} with a clear message`, () => {
            expect(() => parsePublicKey(text)).to.throw(re);
            expect(() => parsePublicKey(text)).to.throw(/ssh-keyscan -t ed25519 HOST/);
        });
    }

    it("rejects two keys, naming the property", () => {
        expect(() => parsePublicKey(`${ed}\n${rsa}`, "bastion.hostKey")).to.throw(
            /^bastion\.hostKey: expected exactly one key line, found 2/,
        );
    });

    it("fingerprints a raw blob the same as the parsed key", () => {
        const k = parsePublicKey(ed);
        expect(fingerprint(k.blob)).to.equal(fingerprint(k));
        const want = "SHA256:" + crypto.createHash("sha256").update(k.blob).digest("base64").replace(/=+$/, "");
        expect(fingerprint(k)).to.equal(want);
    });
});

describe("ssh logic: private keys", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-priv-"));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "plain")]);
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "s3cret-pass", "-f", path.join(dir, "enc")]);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const read = (n: string) => fs.readFileSync(path.join(dir, n), "utf8");

    it("accepts a plain key and an encrypted key with its passphrase", () => {
        expect(privateKeyReason(read("plain"))).to.equal(undefined);
        expect(privateKeyReason(read("enc"), "s3cret-pass")).to.equal(undefined);
    });
    it("asks for a passphrase for an encrypted key", () => {
        expect(privateKeyReason(read("enc"))).to.match(/^the key is encrypted; set passphrase/);
    });
    it("says when the passphrase is wrong", () => {
        expect(privateKeyReason(read("enc"), "wrong")).to.match(/passphrase does not decrypt|cannot be parsed/);
    });
    it("rejects a path or a public key", () => {
        expect(privateKeyReason("/root/.ssh/id_ed25519")).to.match(/not a path or a public key/);
        expect(privateKeyReason(read("plain.pub"))).to.match(/not a path or a public key/);
    });
});

describe("ssh logic: redact and tail", () => {
    const table: { text: string; secrets: (string | undefined)[]; want: string }[] = [
        { text: "password=hunter22 ok", secrets: ["hunter22"], want: "password=[REDACTED] ok" },
        { text: "a hunter22 b hunter22", secrets: ["hunter22"], want: "a [REDACTED] b [REDACTED]" },
        { text: "abc", secrets: ["ab"], want: "abc" }, // too short to redact
        { text: "nothing", secrets: [undefined, ""], want: "nothing" },
        {
            text: "tok=abcdef-long; tok2=abcdef",
            secrets: ["abcdef", "abcdef-long"],
            want: "tok=[REDACTED]; tok2=[REDACTED]",
        },
        {
            text: "line: MIIEowIBAAKCAQEAxyz0123456789 end",
            secrets: ["-----BEGIN KEY-----\nMIIEowIBAAKCAQEAxyz0123456789\n-----END KEY-----\n"],
            want: "line: [REDACTED] end",
        },
        { text: "", secrets: ["x"], want: "" },
    ];
    for (const t of table) {
        it(`redacts ${JSON.stringify(t.text)}`, () => expect(redact(t.text, t.secrets)).to.equal(t.want));
    }
    it("keeps the last lines", () => {
        const text = Array.from({ length: 50 }, (_, i) => `l${i}`).join("\n") + "\n\n";
        expect(tail(text, 3)).to.equal("l47\nl48\nl49");
        expect(tail("x".repeat(100), 20, 10)).to.equal("…" + "x".repeat(10));
    });
});

describe("ssh logic: connect failure classification and dial retries", () => {
    const table: { err: any; kind: string }[] = [
        { err: { code: "ECONNREFUSED", level: "client-socket" }, kind: "dial" },
        { err: { code: "EHOSTUNREACH" }, kind: "dial" },
        { err: { code: "ENETUNREACH" }, kind: "dial" },
        { err: { code: "ETIMEDOUT" }, kind: "dial" },
        { err: { level: "client-timeout", message: "Timed out while waiting for handshake" }, kind: "dial" },
        { err: { message: "Connection lost before handshake" }, kind: "dial" },
        {
            err: { level: "client-authentication", message: "All configured authentication methods failed" },
            kind: "auth",
        },
        { err: { message: "Host denied (verification failed)" }, kind: "host-key" },
        { err: { kind: "host-key", code: "ECONNRESET" }, kind: "host-key" },
        { err: { message: "Encrypted private OpenSSH key detected, but no passphrase given" }, kind: "other" },
    ];
    for (const t of table) {
        it(`${JSON.stringify(t.err)} -> ${t.kind}`, () => {
            expect(classifyConnectError(t.err)).to.equal(t.kind);
        });
    }
    /** Runs the dial retry policy on a function that always throws err; returns the tries and the delays. */
    async function retried(err: object, attempts: number, backoff: { baseMs: number; factor: number; maxMs: number }) {
        const policy = dialRetryPolicy(attempts, backoff);
        const delays: number[] = [];
        policy.onRetry((r) => delays.push(r.delay));
        let tries = 0;
        const thrown = await policy
            .execute(() => {
                tries++;
                throw Object.assign(new Error("x"), err);
            })
            .catch((e) => e);
        return { tries, delays, thrown };
    }
    it("retries dial failures, backing off exponentially up to the cap", async () => {
        const r = await retried({ code: "ECONNREFUSED" }, 6, { baseMs: 5, factor: 2, maxMs: 30 });
        expect(r.tries).to.equal(6);
        expect(r.delays).to.deep.equal([5, 10, 20, 30, 30]);
        expect(r.thrown.code).to.equal("ECONNREFUSED");
        const f3 = await retried({ code: "ETIMEDOUT" }, 3, { baseMs: 2, factor: 3, maxMs: 100 });
        expect(f3.delays).to.deep.equal([2, 6]);
    });
    it("does not retry what is not a dial failure; one attempt means no retry", async () => {
        const auth = await retried({ level: "client-authentication" }, 5, { baseMs: 1, factor: 2, maxMs: 10 });
        expect(auth.tries).to.equal(1);
        expect((await retried({ kind: "host-key" }, 5, { baseMs: 1, factor: 2, maxMs: 10 })).tries).to.equal(1);
        expect((await retried({ code: "ECONNREFUSED" }, 1, { baseMs: 1, factor: 2, maxMs: 10 })).tries).to.equal(1);
    });
    it("recognizes sudo password failures", () => {
        expect(sudoProblem("sudo: a password is required\n")).to.equal("needs-password");
        expect(sudoProblem("sudo: a terminal is required to read the password")).to.equal("needs-password");
        expect(sudoProblem("ops is not in the sudoers file.  This incident will be reported.")).to.equal(
            "needs-password",
        );
        expect(sudoProblem("bash: line 1: sudo: command not found")).to.equal("not-installed");
        expect(sudoProblem("E: Unable to locate package")).to.equal(undefined);
    });
});

describe("ssh logic: pinning a host key recorded on first use", () => {
    const PINNED = "ssh-ed25519 AAAApinned";
    const RECORDED = "ssh-ed25519 AAAArecorded";
    const table: [string, { hostKey?: string }, string | undefined, string | undefined][] = [
        ["an explicit hostKey wins over the recorded one", { hostKey: PINNED }, RECORDED, PINNED],
        ["without hostKey the recorded key is pinned", {}, RECORDED, RECORDED],
        ["an empty hostKey counts as none", { hostKey: "" }, RECORDED, RECORDED],
        ["nothing recorded yet: the explicit key", { hostKey: PINNED }, undefined, PINNED],
        ["nothing recorded, nothing pinned: left to trustOnFirstUse", {}, undefined, undefined],
    ];
    for (const [what, args, recorded, want] of table) {
        it(what, () => {
            const input = { address: "198.18.0.11", trustOnFirstUse: true, ...args };
            const before = JSON.stringify(input);
            const out = pinRecordedHostKey(input, recorded);
            expect(out.hostKey).to.equal(want);
            expect(out.address).to.equal("198.18.0.11");
            expect(out.trustOnFirstUse).to.equal(true);
            expect(JSON.stringify(input)).to.equal(before); // the caller's arguments are not changed
        });
    }
});
