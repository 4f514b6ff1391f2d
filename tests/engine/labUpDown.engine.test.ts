// `lab up` is idempotent (a second run starts nothing) and `lab down` leaves no process, network
// namespace, mount, bridge or listening port behind. The lab is brought up again at the end, as the
// later engine tests expect it.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../support/engine";
import { labDir } from "../support/management";

const lab = (verb: string) =>
    execFileSync("bash", [path.join(repoRoot, "lab", "lab"), verb], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });

/** What the lab leaves on the machine, as the kernel sees it. */
interface Footprint {
    /** pid and command of every process started from the lab's binaries or state. */
    processes: string[];
    namespaces: string[];
    mounts: string[];
    bridge: boolean;
    ports: number[];
}

function footprint(): Footprint {
    const self = new Set<number>();
    for (let p = process.pid; p > 1;) {
        self.add(p);
        p = Number(fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1]);
    }
    const ours = [path.join(repoRoot, "bin") + "/", labDir + "/", path.join(repoRoot, "dist", "lab") + "/"];
    const processes: string[] = [];
    for (const d of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n) && !self.has(Number(n)))) {
        try {
            const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ").trim();
            const zombie = fs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1].startsWith("Z");
            if (!zombie && ours.some((o) => cmd.includes(o))) processes.push(`${d} ${cmd.slice(0, 120)}`);
        } catch {
            // gone meanwhile
        }
    }
    const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
        .split("\n")
        .map((l) => l.split(" ")[0])
        .filter((n) => n.startsWith("hcph-"));
    // The hosts' private directories are mounted in their own mount namespaces: look there (through
    // the lab's processes) and in ours.
    const mounts = ["self", ...processes.map((p) => p.split(" ")[0])].flatMap((pid) => {
        try {
            return fs
                .readFileSync(`/proc/${pid}/mountinfo`, "utf8")
                .split("\n")
                .filter((l) => l.includes(labDir + "/"));
        } catch {
            return [];
        }
    });
    const bridge = fs.existsSync("/sys/class/net/hlbr0");
    const ports = execFileSync("ss", ["-Hltn"], { encoding: "utf8" })
        .split("\n")
        .map((l) => Number(/:(\d+)$/.exec(l.trim().split(/\s+/)[3] ?? "")?.[1]))
        .filter((p) => p > 0);
    return { processes, namespaces, mounts, bridge, ports };
}

describe("lab up / lab down", function () {
    this.timeout(15 * 60 * 1000);
    let portsBefore: number[];

    before(function () {
        lab("down"); // from whatever state earlier tests left
        portsBefore = footprint().ports;
    });
    after(() => lab("up"));

    let up: Footprint;
    it("lab up starts the management cluster, DataStore etcd, controller and worker hosts", () => {
        lab("up");
        up = footprint();
        expect(lab("status")).to.include("kamaji-contract controller: up");
        expect(up.namespaces).to.include.members(["hcph-worker-1", "hcph-worker-5"]);
        expect(up.bridge).to.equal(true);
        expect(up.mounts.length, "the hosts' private directories are mounted").to.be.greaterThan(0);
        expect(up.ports).to.include.members([12379, 16443, 22379]);
        expect(up.processes.length).to.be.greaterThan(5);
    });

    it("a second lab up starts nothing and duplicates nothing", () => {
        lab("up");
        const again = footprint();
        expect(again.processes.map((p) => p.split(" ")[0]).sort()).to.deep.equal(
            up.processes.map((p) => p.split(" ")[0]).sort(),
        );
        expect(again.namespaces.sort()).to.deep.equal(up.namespaces.sort());
    });

    it("lab down leaves no process, namespace, mount, bridge or port behind", () => {
        lab("down");
        const after = footprint();
        expect(after.processes).to.deep.equal([]);
        expect(after.namespaces).to.deep.equal([]);
        expect(after.mounts).to.deep.equal([]);
        expect(after.bridge).to.equal(false);
        expect(after.ports.filter((p) => !portsBefore.includes(p))).to.deep.equal([]);
        expect(fs.existsSync(path.join(labDir, "lab.json"))).to.equal(false);
    });
});
