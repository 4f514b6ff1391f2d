// lib/ssh against real sshd hosts in network namespaces (lab/worker-hosts.sh). Needs root.
import { expect } from "chai";
import { labIp } from "../support/labNet";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { connect, ConnectionArgs, SshConnection, SshError, withConnection } from "../../lib/ssh/client";
import { fingerprint, parsePublicKey } from "../../lib/ssh/logic";
import { HostLab, TestHost } from "../support/hosts";
import { rejection } from "../support/rejection";
import { measure } from "../support/measure";

const A_IP = labIp(101);
const B_IP = labIp(102);
const NOBODY_IP = labIp(250); // no host there
const PASSWORD = "pw-Ünicode 'quoted' $x";

describe("ssh client against real sshd hosts", function () {
    this.timeout(120000);
    const lab = new HostLab();
    let a: TestHost;
    let b: TestHost;
    const fast = { dialAttempts: 3, backoff: { baseMs: 100, factor: 2, maxMs: 400 }, attemptTimeoutMs: 8000 };
    const root = (h: TestHost, extra: Partial<ConnectionArgs> = {}): ConnectionArgs => ({
        address: h.address,
        port: h.port,
        user: "root",
        privateKey: lab.keys.privateKey,
        hostKey: h.hostKey,
        ...extra,
    });

    before(async () => {
        [a, b] = await Promise.all([
            lab.create("t-ssh-a", A_IP, { user: "ops", sudo: true }),
            lab.create("t-ssh-b", B_IP, { user: "pw", sudo: true, password: PASSWORD }),
        ]);
        await lab.addUser("t-ssh-a", "nosudo", false);
    });
    after(() => lab.dispose());

    describe("authentication", () => {
        it("logs in as root with an ed25519 key and a pinned host key", async () => {
            const c = await connect(root(a), fast);
            try {
                measure("first connect, ed25519 key, pinned host key", c.connectMs);
                expect(c.attempts).to.equal(1);
                expect(c.hostKey).to.equal(a.hostKey);
                expect(c.trustedOnFirstUse).to.equal(false);
                const r = await c.exec(["id", "-un"]);
                expect(r.stdout.trim()).to.equal("root");
                expect(r.code).to.equal(0);
                expect((await c.exec(["hostname"])).stdout.trim()).to.equal("t-ssh-a");
            } finally {
                c.close();
            }
        });

        it("logs in with a passphrase-protected key", async () => {
            const out = await withConnection(
                root(a, { privateKey: lab.keys.encryptedKey, passphrase: lab.keys.passphrase }),
                fast,
                (c) => c.exec(["whoami"]),
            );
            expect(out.stdout.trim()).to.equal("root");
        });

        it("refuses an encrypted key without its passphrase before dialing", async () => {
            let dials = 0;
            const e = await rejection<SshError>(
                connect(root(a, { privateKey: lab.keys.encryptedKey }), { ...fast, onRetry: () => dials++ }),
            );
            expect(e.kind).to.equal("config");
            expect(e.message).to.match(/connection\.privateKey: the key is encrypted; set passphrase/);
            expect(dials).to.equal(0);
        });

        it("logs in with a password", async () => {
            const args: ConnectionArgs = { address: b.address, user: "pw", password: PASSWORD, hostKey: b.hostKey };
            const out = await withConnection(args, fast, (c) => c.exec(["id", "-un"], { sudo: false }));
            expect(out.stdout.trim()).to.equal("pw");
        });

        it("logs in through an SSH agent", async () => {
            const sock = path.join(lab.keys.dir, "agent.sock");
            const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
            try {
                for (let i = 0; i < 50 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
                execFileSync("ssh-add", ["-q", path.join(lab.keys.dir, "client")], {
                    env: { ...process.env, SSH_AUTH_SOCK: sock },
                    stdio: "ignore",
                });
                const args: ConnectionArgs = { address: a.address, user: "root", agent: sock, hostKey: a.hostKey };
                const out = await withConnection(args, fast, (c) => c.exec(["whoami"]));
                expect(out.stdout.trim()).to.equal("root");
            } finally {
                agent.kill("SIGTERM");
            }
        });

        it("fails fast on a key the host does not authorize: no retry", async () => {
            const retries: number[] = [];
            const t0 = Date.now();
            const e = await rejection<SshError>(
                connect(root(a, { privateKey: lab.keys.strangerKey }), {
                    ...fast,
                    onRetry: (i) => retries.push(i.attempt),
                }),
            );
            measure("wrong private key -> error", Date.now() - t0);
            expect(e).to.be.instanceOf(SshError);
            expect(e.kind).to.equal("auth");
            expect(e.message).to.match(/authentication as root on 198\.18\.\d\.101:22 failed \(tried: publickey\)/);
            expect(retries).to.deep.equal([]);
        });

        it("fails on a wrong password without retrying", async () => {
            const retries: number[] = [];
            const e = await rejection<SshError>(
                connect(
                    { address: b.address, user: "pw", password: "not-the-password", hostKey: b.hostKey },
                    { ...fast, onRetry: (i) => retries.push(i.attempt) },
                ),
            );
            expect(e.kind).to.equal("auth");
            expect(e.message).to.not.include("not-the-password");
            expect(retries).to.deep.equal([]);
        });
    });

    describe("host keys", () => {
        it("refuses a host presenting another key, naming both fingerprints", async () => {
            const retries: number[] = [];
            const e = await rejection<SshError>(
                connect(root(a, { hostKey: b.hostKey }), { ...fast, onRetry: (i) => retries.push(i.attempt) }),
            );
            expect(e.kind).to.equal("host-key");
            const expected = fingerprint(parsePublicKey(b.hostKey));
            const presented = fingerprint(parsePublicKey(a.hostKey));
            expect(e.message).to.include(`expected ${expected}`);
            expect(e.message).to.include(`presented ${presented}`);
            expect(e.message).to.match(/^host key mismatch for 198\.18\.\d\.101:22/);
            expect(retries).to.deep.equal([]);
        });

        it("matches a pinned key given in ssh-keyscan form with a comment", async () => {
            const out = await withConnection(
                root(a, { hostKey: `${a.address} ${a.hostKey} some comment` }),
                fast,
                (c) => c.exec(["true"]),
            );
            expect(out.code).to.equal(0);
        });

        it("reports a malformed hostKey before dialing", async () => {
            const e = await rejection<SshError>(connect(root(a, { hostKey: "ssh-ed25519 AAAA-not-base64" }), fast));
            expect(e.kind).to.equal("config");
            expect(e.message).to.match(/^connection\.hostKey: the key data after "ssh-ed25519" is not valid base64/);
        });

        it("without hostKey and without trustOnFirstUse: tells how to get the key", async () => {
            const e = await rejection<SshError>(connect(root(a, { hostKey: undefined }), fast));
            expect(e.kind).to.equal("host-key");
            expect(e.message).to.include("set connection.hostKey");
            expect(e.message).to.include(`ssh-keyscan -t ed25519 ${labIp(101)}`);
            expect(e.message).to.include("trustOnFirstUse: true");
            expect(e.message).to.include(fingerprint(parsePublicKey(a.hostKey)));
        });

        it("with trustOnFirstUse: accepts and returns the presented key", async () => {
            const c = await connect(root(a, { hostKey: undefined, trustOnFirstUse: true }), fast);
            try {
                expect(c.trustedOnFirstUse).to.equal(true);
                expect(c.hostKey).to.equal(a.hostKey);
            } finally {
                c.close();
            }
        });

        it("a pinned key wins over trustOnFirstUse", async () => {
            const e = await rejection<SshError>(connect(root(a, { hostKey: b.hostKey, trustOnFirstUse: true }), fast));
            expect(e.kind).to.equal("host-key");
        });
    });

    describe("dialing", () => {
        it("retries an unreachable host with backoff, then gives a clear error", async () => {
            const retries: { attempt: number; delayMs: number }[] = [];
            const t0 = Date.now();
            const e = await rejection<SshError>(
                connect(
                    { address: NOBODY_IP, user: "root", privateKey: lab.keys.privateKey, hostKey: a.hostKey },
                    {
                        ...fast,
                        attemptTimeoutMs: 2000,
                        onRetry: (i) => retries.push({ attempt: i.attempt, delayMs: i.delayMs }),
                    },
                ),
            );
            measure("unreachable host, 3 attempts", Date.now() - t0);
            expect(e.kind).to.equal("dial");
            expect(e.message).to.match(/^cannot reach root@198\.18\.\d\.250:22 after 3 attempt\(s\)/);
            expect(e.message).to.match(/EHOSTUNREACH|timed out/);
            expect(retries).to.deep.equal([
                { attempt: 1, delayMs: 100 },
                { attempt: 2, delayMs: 200 },
            ]);
        });

        it("retries a refused port", async () => {
            const retries: number[] = [];
            const e = await rejection<SshError>(
                connect(root(a, { port: 2222 }), { ...fast, onRetry: (i) => retries.push(i.attempt) }),
            );
            expect(e.kind).to.equal("dial");
            expect(e.message).to.include("ECONNREFUSED");
            expect(retries).to.deep.equal([1, 2]);
        });

        it("reaches a host through a bastion", async () => {
            const args: ConnectionArgs = {
                address: b.address,
                user: "root",
                privateKey: lab.keys.privateKey,
                hostKey: b.hostKey,
                bastion: root(a),
            };
            const t0 = Date.now();
            const out = await withConnection(args, fast, async (c) => {
                measure("connect through bastion", Date.now() - t0);
                return c.exec(["hostname"]);
            });
            expect(out.stdout.trim()).to.equal("t-ssh-b");
        });

        it("checks the target's host key behind the bastion too", async () => {
            const e = await rejection<SshError>(connect({ ...root(b), hostKey: a.hostKey, bastion: root(a) }, fast));
            expect(e.kind).to.equal("host-key");
            expect(e.message).to.include(labIp(102));
        });

        it("a bastion that cannot reach the target is a dial error", async () => {
            const e = await rejection<SshError>(
                connect(
                    { ...root(b), address: NOBODY_IP, bastion: root(a) },
                    { ...fast, dialAttempts: 1, attemptTimeoutMs: 5000 },
                ),
            );
            expect(e.kind).to.equal("dial");
            expect(e.message).to.include(`through bastion root@${labIp(101)}:22`);
        });
    });

    describe("exec", () => {
        let c: SshConnection;
        let ops: SshConnection;
        before(async () => {
            c = await connect(root(a), fast);
            ops = await connect({ ...root(a), user: "ops" }, fast);
        });
        after(() => {
            c?.close();
            ops?.close();
        });

        const hostile = [
            "$(touch /tmp/pwned)",
            "`touch /tmp/pwned2`",
            "; rm -rf /tmp/victim",
            "&& touch /tmp/pwned3",
            'it\'s "quoted" \\ back',
            "multi\nline\n",
            "$HOME ${PATH} $1 $$",
            "*",
            "",
            " spaces ",
        ];

        for (const who of ["root", "ops (via sudo)"]) {
            it(`passes hostile arguments literally as ${who}`, async () => {
                const conn = who === "root" ? c : ops;
                await lab.sh("t-ssh-a", "mkdir -p /tmp/victim && rm -f /tmp/pwned*");
                const r = await conn.exec(["printf", "%s\\0", ...hostile]);
                expect(r.stdout.split("\0").slice(0, -1)).to.deep.equal(hostile);
                const left = await lab.sh("t-ssh-a", "ls -d /tmp/pwned* /tmp/victim 2>/dev/null || true");
                expect(left.trim()).to.equal("/tmp/victim");
            });
        }

        it("runs as root through sudo -n for a sudo user; sudo:false runs as the user", async () => {
            expect((await ops.exec(["id", "-u"])).stdout.trim()).to.equal("0");
            expect((await ops.exec(["id", "-un"], { sudo: false })).stdout.trim()).to.equal("ops");
        });

        it("names a user without passwordless sudo", async () => {
            const e = await rejection<SshError>(
                withConnection({ ...root(a), user: "nosudo" }, fast, (n) => n.exec(["id"])),
            );
            expect(e.kind).to.equal("sudo");
            expect(e.message).to.match(/^user nosudo cannot run sudo without a password on 198\.18\.\d\.101: /);
            expect(e.message).to.include("NOPASSWD");
        });

        it("feeds stdin", async () => {
            const r = await ops.exec(["sha256sum"], { stdin: "hello\n" });
            expect(r.stdout).to.match(/^5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 /);
        });

        it("reports exit code and the redacted tail of stderr", async () => {
            const secret = "s3cret-registry-token";
            const e = await rejection<SshError>(
                c.exec(
                    [
                        "sh",
                        "-c",
                        'for i in $(seq 1 40); do echo "noise $i" >&2; done; echo "token=$1 rejected" >&2; exit 3',
                        "sh",
                        secret,
                    ],
                    {
                        secrets: [secret],
                    },
                ),
            );
            expect(e.kind).to.equal("command");
            expect(e.message).to.include("with exit code 3");
            expect(e.message).to.include("token=[REDACTED] rejected");
            expect(e.message).to.include("noise 40");
            expect(e.message).to.not.include("noise 1\n");
            expect(e.message).to.not.include(secret);
            expect((e.details as any).code).to.equal(3);
        });

        it("returns non-zero results with check:false", async () => {
            const r = await c.exec(["sh", "-c", "echo out; exit 7"], { check: false });
            expect(r.code).to.equal(7);
            expect(r.stdout).to.equal("out\n");
        });

        it("uploads a file with mode through sudo, atomically", async () => {
            await ops.upload({ path: "/etc/hcp-test/dir with space/it's.conf", content: "a = 1\n", mode: "0640" });
            const st = await lab.sh(
                "t-ssh-a",
                "stat -c '%a %U' \"/etc/hcp-test/dir with space/it's.conf\"; ls -a '/etc/hcp-test/dir with space'",
            );
            expect(st).to.equal("640 root\n.\n..\nit's.conf\n");
            expect(await lab.readFile("t-ssh-a", "/etc/hcp-test/dir with space/it's.conf")).to.equal("a = 1\n");
            expect(fs.existsSync("/etc/hcp-test")).to.equal(false); // the machine's /etc is untouched
        });

        it("times out a long command", async () => {
            const e = await rejection<SshError>(c.exec(["sleep", "20"], { timeoutMs: 500 }));
            expect(e.kind).to.equal("timeout");
            expect(e.message).to.include("timed out after 500 ms");
        });

        it("reports a dropped connection", async () => {
            const d = await connect(root(a), fast);
            const p = rejection<SshError>(d.exec(["sleep", "30"]));
            await new Promise((r) => setTimeout(r, 300));
            await lab.dropSessions("t-ssh-a");
            const e = await p;
            expect(e.kind).to.equal("connection-lost");
            expect(e.message).to.include("was lost while running sleep 30");
            d.close();
            // the long-lived connections of this block were dropped too: reconnect them
            c.close();
            ops.close();
            c = await connect(root(a), fast);
            ops = await connect({ ...root(a), user: "ops" }, fast);
        });

        it("runs 8 commands in parallel on one connection", async () => {
            const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => c.exec(["echo", String(i)])));
            expect(rs.map((r) => r.stdout.trim())).to.deep.equal(["0", "1", "2", "3", "4", "5", "6", "7"]);
        });
    });
});
