// The secret search itself (tests/support/secretScan.ts) must be able to fail: it finds a seeded
// secret in a state-like file, base64-encoded, in a re-wrapped PEM key and in a process's argv, and
// names it by its label only.
import { expect } from "chai";
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commandLines, formatHits, ProcessSampler, Scanner, SecretSet, secretsInState } from "../support/secretScan";

/** "PRIVATE KEY", spelled at run time: no PEM key header stands in a committed file. */
const PRIVATE_KEY = ["PRIVATE", "KEY"].join(" ");

const SIG = "4dabf18193072939515e22adb298388d";

describe("secret scan", () => {
    // fresh values each run: nothing found can be a leftover of another run
    const token = crypto.randomBytes(24).toString("hex");
    const { privateKey: pem } = crypto.generateKeyPairSync("rsa", {
        modulusLength: 2048,
        privateKeyEncoding: { type: "pkcs1", format: "pem" },
        publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const secrets = new SecretSet().add("the test's api token", token).add("the test's rsa key", pem);
    const scanner = new Scanner(secrets);
    let dir: string;

    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-secret-scan-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, text: string) => {
        const f = path.join(dir, name);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, text);
        return f;
    };

    it("finds nothing where there is nothing", () => {
        write("clean/.pulumi/stacks/p/test.json", JSON.stringify({ outputs: { address: "198.18.5.11" } }));
        expect(scanner.paths([path.join(dir, "clean")])).to.deep.equal([]);
    });

    it("finds a secret in a state-like file, by label, in a directory tree", () => {
        const f = write(
            "state/.pulumi/stacks/p/test.json",
            JSON.stringify({ resources: [{ outputs: { apiToken: token, key: pem } }] }, null, 4),
        );
        const hits = scanner.paths([path.join(dir, "state")]);
        expect(hits).to.deep.equal([
            { where: f, label: "the test's api token", form: "as is" },
            { where: f, label: "the test's rsa key", form: "as is" }, // JSON-escaped newlines and all
        ]);
        const message = formatHits(hits);
        expect(message).to.include(f).and.include("the test's api token");
        expect(message).to.not.include(token);
    });

    it("finds a base64-encoded copy, also inside a larger base64 blob at any alignment", () => {
        for (const prefix of ["", "a", "ab", "abc"]) {
            const blob = Buffer.from(`${prefix}token=${token};rest`).toString("base64");
            const f = write(`b64/${prefix.length}.yaml`, `data:\n  config: ${blob}\n`);
            expect(scanner.paths([f]), `prefix of ${prefix.length}`).to.deep.equal([
                { where: f, label: "the test's api token", form: "base64" },
            ]);
        }
        const f = write("b64/key.yaml", `client-key-data: ${Buffer.from(pem).toString("base64")}\n`);
        expect(scanner.paths([f])).to.deep.equal([{ where: f, label: "the test's rsa key", form: "base64" }]);
    });

    it("finds a PEM key re-wrapped, re-headed, or only part of its body", () => {
        const body = pem
            .split("\n")
            .filter((l) => l && !l.startsWith("-----"))
            .join("");
        const wrap76 = body.match(/.{1,76}/g)!.join("\r\n");
        const rewrapped = write(
            "pem/rewrapped",
            `-----BEGIN ${PRIVATE_KEY}-----\r\n${wrap76}\r\n-----END ${PRIVATE_KEY}-----\r\n`,
        );
        const half = write("pem/half.log", `debug: key material ${body.slice(0, body.length / 2)}...`);
        for (const f of [rewrapped, half])
            expect(
                scanner.paths([f]).map((h) => h.label),
                f,
            ).to.deep.equal(["the test's rsa key"]);
    });

    it("finds a key by its private numbers only: its certificate and public key are no hit", () => {
        const keyFile = write("x509/key.pem", pem);
        const cert = execFileSync(
            "openssl",
            ["req", "-x509", "-key", keyFile, "-subj", "/CN=secret-scan", "-days", "1"],
            { encoding: "utf8" },
        );
        fs.rmSync(keyFile);
        const pub = crypto.createPublicKey(pem).export({ type: "spki", format: "der" });
        const f = write("x509/state.json", JSON.stringify({ cert, pub: pub.toString("base64") }));
        expect(scanner.paths([f])).to.deep.equal([]);
        // the same key converted to PKCS#8 DER is still found
        const der = crypto.createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
        const g = write("x509/der.b64", der.toString("base64"));
        expect(scanner.paths([g])).to.deep.equal([{ where: g, label: "the test's rsa key", form: "key material" }]);
    });

    it("finds an OpenSSH key re-wrapped, and not its public key", () => {
        const keyFile = path.join(dir, "id_ed25519");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "scan", "-f", keyFile]);
        const key = fs.readFileSync(keyFile, "utf8");
        const ssh = new Scanner(new SecretSet().add("the test's ssh key", key));
        const body = key
            .split("\n")
            .filter((l) => l && !l.startsWith("-----"))
            .join("");
        const f = write("ssh/rewrapped", body.match(/.{1,40}/g)!.join("\n"));
        expect(ssh.paths([f])).to.deep.equal([{ where: f, label: "the test's ssh key", form: "key material" }]);
        expect(ssh.paths([`${keyFile}.pub`])).to.deep.equal([]);
    });

    it("finds a secret in a process's argv, through /proc (the lab hosts' processes are there too)", async () => {
        const fake = `fake-secret-${crypto.randomBytes(12).toString("hex")}`;
        const argv = new Scanner(new SecretSet().add("the fake secret of a throwaway process", fake));
        const sampler = new ProcessSampler();
        sampler.start(50);
        // `; true`: the shell cannot exec sleep in its own place, so its argv stays until it ends
        const child = spawn("sh", ["-c", "sleep 30; true", fake], { stdio: "ignore" });
        try {
            const t0 = Date.now();
            while (!commandLines().some((l) => l.includes(fake)) && Date.now() - t0 < 5000)
                await new Promise((r) => setTimeout(r, 50));
            await new Promise((r) => setTimeout(r, 150));
        } finally {
            child.kill("SIGKILL");
            sampler.stop();
        }
        expect(argv.text("the process list", sampler.text())).to.deep.equal([
            { where: "the process list", label: "the fake secret of a throwaway process", form: "as is" },
        ]);
        // and after the process is gone, the machine's process list is clean again
        await new Promise((r) => child.once("exit", r));
        expect(argv.text("the process list", commandLines().join("\n"))).to.deep.equal([]);
    });

    it("takes a stack's secrets from its state by shape: keys, kubeconfig credentials, tokens, credentialed URLs", () => {
        const keyData = Buffer.from(pem).toString("base64");
        const kubeconfig = [
            "apiVersion: v1",
            "clusters: [{name: t, cluster: {server: 'https://198.18.5.100:6443'}}]",
            `users: [{name: admin, user: {client-key-data: ${keyData}}}, {name: boot, user: {token: abcdef.0123456789abcdef}}]`,
        ].join("\n");
        const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
        const state = {
            deployment: {
                resources: [
                    {
                        urn: "urn:pulumi:test::p::hcp:PreparedHost::worker-1",
                        inputs: {
                            connection: secret({ address: "198.18.5.11", user: "root", privateKey: pem }),
                            packageSource: { kind: "bundle", url: secret("http://u:pa55word@198.18.5.1:8080/b.tar") },
                        },
                        outputs: { kubeconfig: secret(kubeconfig), address: "198.18.5.11", password: "not-secret" },
                    },
                ],
            },
        };
        const got = secretsInState("state of p:", state).list();
        expect(got.map((s) => s.label)).to.deep.equal([
            "state of p: worker-1 inputs.connection.privateKey: rsa private key",
            "state of p: worker-1 inputs.packageSource.url: password in a URL",
            "state of p: worker-1 inputs.packageSource.url: URL with credentials",
            "state of p: worker-1 outputs.kubeconfig: kubeconfig user admin client key (base64)",
            "state of p: worker-1 outputs.kubeconfig: kubeconfig user boot token",
            "state of p: worker-1 outputs.kubeconfig: kubeconfig user boot token: bootstrap token secret",
        ]);
        const values = got.map((s) => s.value);
        expect(values).to.include.members([pem.trim(), "pa55word", "abcdef.0123456789abcdef", "0123456789abcdef"]);
        // what is not secret (the address, user, a plain field) is not searched for
        expect(values).to.not.include.members(["198.18.5.11", "root", "not-secret"]);
    });
});
