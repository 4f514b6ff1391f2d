// The parts of the SSH client that need no sshd: host key checks, command failure messages, the
// connection defaults. (Real connections: tests/integration/ssh.test.ts.)
import { expect } from "chai";
import * as crypto from "crypto";
import { hostLabel, withConnectionDefaults } from "../../model/connection";
import { commandFailure } from "../../lib/ssh/exec";
import { connectionProblem, validateConnection } from "../../lib/ssh/connectionArgs";
import { hostKeyCheck } from "../../lib/ssh/hostKeyCheck";
import { fingerprint, parsePublicKey } from "../../lib/ssh/logic";

/** A random ed25519 host key as the server sends it (wire format). */
function hostKeyBlob(): Buffer {
    const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    return Buffer.concat([field(Buffer.from("ssh-ed25519")), field(crypto.randomBytes(32))]);
}
const line = (blob: Buffer) => `ssh-ed25519 ${blob.toString("base64")}`;

describe("ssh client: connection defaults", () => {
    it("fills in port 22 and user root, keeping what is set", () => {
        expect(withConnectionDefaults({ address: "h" })).to.include({ address: "h", port: 22, user: "root" });
        expect(withConnectionDefaults({ address: "h", port: 2222, user: "ops" })).to.include({
            port: 2222,
            user: "ops",
        });
        expect(hostLabel({ address: "10.0.0.1" })).to.equal("root@10.0.0.1:22");
    });
});

describe("ssh client: connection arguments", () => {
    it("names the property of the first problem apart from its reason, the bastion's after the host's", () => {
        const ok = { address: "10.0.0.1", password: "x", hostKey: line(hostKeyBlob()) };
        expect(connectionProblem(ok)).to.equal(undefined);
        expect(connectionProblem({ ...ok, port: 0 })).to.deep.equal({
            propertyPath: "connection.port",
            reason: "must be an integer 1..65535, got 0",
        });
        const bad = connectionProblem({ ...ok, bastion: { ...ok, hostKey: "ssh-ed25519 not-base64!" } });
        expect(bad?.propertyPath).to.equal("connection.bastion.hostKey");
        expect(bad?.reason).to.match(/^the key data after "ssh-ed25519" is not valid base64/);
        expect(() => validateConnection({ ...ok, password: undefined })).to.throw(
            "connection: no credentials; set privateKey, password or agent",
        );
    });
});

describe("ssh client: host key check", () => {
    const host = withConnectionDefaults({ address: "10.0.0.1", port: 2222 });
    const key = hostKeyBlob();
    it("accepts the pinned key and records it", () => {
        const c = hostKeyCheck(host, parsePublicKey(line(key)));
        expect(c.verify(key)).to.equal(true);
        expect(c.error).to.equal(undefined);
        expect(c.presented!.equals(key)).to.equal(true);
    });
    it("refuses another key, naming both fingerprints; trustOnFirstUse does not override a pin", () => {
        const other = hostKeyBlob();
        const c = hostKeyCheck({ ...host, trustOnFirstUse: true }, parsePublicKey(line(key)));
        expect(c.verify(other)).to.equal(false);
        expect(c.error!.kind).to.equal("host-key");
        expect(c.error!.message).to.include("host key mismatch for 10.0.0.1:2222");
        expect(c.error!.message).to.include(fingerprint(key)).and.include(fingerprint(other));
    });
    it("without a pin, accepts only on trust on first use", () => {
        expect(hostKeyCheck({ ...host, trustOnFirstUse: true }, undefined).verify(key)).to.equal(true);
        const c = hostKeyCheck(host, undefined);
        expect(c.verify(key)).to.equal(false);
        expect(c.error!.message).to.match(/^no hostKey for 10\.0\.0\.1:2222: set connection\.hostKey/);
    });
});

describe("ssh client: command failures", () => {
    const ctx = { target: "ops@h:22", shown: "kubeadm join", secrets: ["s3cret-token"], user: "ops", address: "h" };
    const res = (code: number | null, stderr: string) => ({ code, stdout: "out s3cret-token", stderr });
    it("names a sudo that wants a password, and how to allow it", () => {
        const e = commandFailure(res(1, "sudo: a password is required\n"), { ...ctx, sudoAdded: true });
        expect(e.kind).to.equal("sudo");
        expect(e.message).to.include('"ops ALL=(ALL) NOPASSWD:ALL"');
    });
    it("names a missing sudo", () => {
        const e = commandFailure(res(1, "sh: sudo: not found"), { ...ctx, sudoAdded: true });
        expect(e.message).to.equal(
            "user ops is not root and sudo is not installed on h; install sudo or connect as root",
        );
    });
    it("reports the command's own failure with its redacted stderr, also when sudo was the caller's", () => {
        const e = commandFailure(res(1, "sudo: a password is required s3cret-token"), { ...ctx, sudoAdded: false });
        expect(e.kind).to.equal("command");
        expect(e.message).to.match(/^kubeadm join failed on ops@h:22 with exit code 1; stderr/);
        expect(e.message).to.not.include("s3cret-token");
        expect(e.details.stdout).to.equal("out [REDACTED]");
        expect(commandFailure({ ...res(null, ""), signal: "KILL" }, { ...ctx, sudoAdded: false }).message).to.equal(
            "kubeadm join failed on ops@h:22 with signal KILL",
        );
    });
});
