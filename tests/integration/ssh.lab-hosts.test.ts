// lab/worker-hosts.sh: what the SSH and host preparation tests rely on. Needs root.
import { expect } from "chai";
import { labIp, netnsPrefix, vethPrefix } from "../support/labNet";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { HostLab, hostsScript } from "../support/hosts";

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });

describe("lab worker hosts", function () {
    this.timeout(120000);
    const lab = new HostLab();
    let keys: string[];

    before(async () => {
        const hs = await Promise.all([
            lab.create("t-lab-1", labIp(131)),
            lab.create("t-lab-2", labIp(132), { user: "ops", sudo: false }),
        ]);
        keys = hs.map((h) => h.hostKey);
    });
    after(() => lab.dispose());

    it("gives each host its own ed25519 host key, printed by create", () => {
        expect(keys[0]).to.match(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
        expect(keys[1]).to.match(/^ssh-ed25519 /);
        expect(keys[0]).to.not.equal(keys[1]);
    });

    it("create is idempotent: same key, still running", async () => {
        const again = await lab.create("t-lab-1", labIp(131));
        expect(again.hostKey).to.equal(keys[0]);
        expect(sh(`bash ${hostsScript} list`)).to.match(/t-lab-1\s+198\.18\.\d\.131\s+running/);
    });

    it("refuses an IP that another host has", async () => {
        let err = "";
        try {
            await lab.create("t-lab-3", labIp(131));
        } catch (e) {
            err = (e as Error).message;
        }
        expect(err).to.include(`IP ${labIp(131)} is taken by host t-lab-1`);
    });

    it("keeps writes to /etc, /usr/local, /opt, /root private to the host", async () => {
        for (const f of [
            "/etc/hcp-lab-probe",
            "/usr/local/bin/hcp-lab-probe",
            "/opt/hcp-lab-probe",
            "/root/hcp-lab-probe",
            "/tmp/hcp-lab-probe",
        ]) {
            await lab.writeFile("t-lab-1", f, "one\n");
            expect(await lab.readFile("t-lab-1", f)).to.equal("one\n");
            expect(await lab.readFile("t-lab-2", f)).to.equal(undefined);
            expect(fs.existsSync(f)).to.equal(false);
        }
    });

    it("looks like the machine's Debian, and a host can fake another OS alone", async () => {
        expect(await lab.readFile("t-lab-1", "/etc/os-release")).to.equal(fs.readFileSync("/etc/os-release", "utf8"));
        await lab.writeFile("t-lab-2", "/etc/os-release", "ID=alpine\n");
        expect(await lab.readFile("t-lab-2", "/etc/os-release")).to.equal("ID=alpine\n");
        expect(await lab.readFile("t-lab-1", "/etc/os-release")).to.match(/^ID=debian$/m);
        expect(fs.readFileSync("/usr/lib/os-release", "utf8")).to.match(/^ID=debian$/m);
    });

    it("has its own hostname and network sysctls", async () => {
        expect((await lab.exec("t-lab-1", ["hostname"])).trim()).to.equal("t-lab-1");
        await lab.sh("t-lab-1", "echo 1 > /proc/sys/net/ipv4/ip_forward");
        await lab.sh("t-lab-2", "echo 0 > /proc/sys/net/ipv4/ip_forward");
        expect((await lab.exec("t-lab-1", ["cat", "/proc/sys/net/ipv4/ip_forward"])).trim()).to.equal("1");
        expect((await lab.exec("t-lab-2", ["cat", "/proc/sys/net/ipv4/ip_forward"])).trim()).to.equal("0");
    });

    it("creates the non-root user, without sudo when asked", async () => {
        expect((await lab.exec("t-lab-2", ["id", "-un", "ops"])).trim()).to.equal("ops");
        expect(await lab.readFile("t-lab-2", "/etc/sudoers.d/90-lab-ops")).to.equal(undefined);
        await lab.addUser("t-lab-2", "ops", true);
        expect(await lab.readFile("t-lab-2", "/etc/sudoers.d/90-lab-ops")).to.equal("ops ALL=(ALL) NOPASSWD:ALL\n");
        expect(fs.existsSync("/home/ops")).to.equal(false);
    });

    it("delete leaves no process, namespace, veth or state behind", async () => {
        const pid = fs
            .readFileSync(`${process.env.HCP_LAB_DIR ?? `${__dirname}/../../../.lab`}/hosts/t-lab-2/sshd.pid`, "utf8")
            .trim();
        await lab.delete("t-lab-2");
        expect(sh("ip netns list")).to.not.include(`${netnsPrefix}t-lab-2`);
        expect(sh("ip -o link show")).to.not.include(`${vethPrefix}t-lab-2`);
        // gone, or an exited process its parent (the machine's init) has not reaped yet
        expect(sh(`ps -o stat= -p ${pid} || true`).trim()).to.match(/^(Z.*)?$/);
        expect(sh(`bash ${hostsScript} list`)).to.not.include("t-lab-2");
        expect(
            sh(`grep -c ${netnsPrefix}t-lab-2 /proc/*/mountinfo 2>/dev/null | grep -v ':0$' || true`).trim(),
        ).to.equal("");
    });
});
