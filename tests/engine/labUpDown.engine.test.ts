// `lab up` is idempotent (a second run starts nothing) and `lab down` leaves no process, network
// namespace, mount, bridge or listening port behind: for the test suite's own lab (brought up
// again at the end, as the later engine tests expect it), and for a lab in a new, empty directory
// on a subnet of its own (what a fresh clone's first `lab up` meets).
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../support/engine";
import { labDir } from "../support/management";
import { labNet } from "../support/labNet";

/** One lab: its directory, its HCP_LAB_NET and how many worker hosts it starts. */
interface Instance {
    dir: string;
    net: number;
    workers: number;
}

const labCommand = (inst: Instance, verb: string) =>
    execFileSync("bash", [path.join(repoRoot, "lab", "lab"), verb], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: {
            ...process.env,
            HCP_LAB_DIR: inst.dir,
            HCP_LAB_NET: String(inst.net),
            HCP_LAB_WORKERS: String(inst.workers),
        },
    });

/** What a lab leaves on the machine, as the kernel sees it. */
interface Footprint {
    /** pid and command of every process of this lab. */
    processes: string[];
    namespaces: string[];
    mounts: string[];
    bridge: boolean;
    ports: number[];
    /** The hosts' cgroup roots (and anything under them), in every hierarchy. */
    cgroups: string[];
    /** Interfaces and routes of this lab in the machine's network namespace. */
    links: string[];
    routes: string[];
}

const netnsOf = (pid: string) => {
    try {
        return fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
        return "";
    }
};

function footprint(inst: Instance): Footprint {
    const self = new Set<number>();
    for (let p = process.pid; p > 1;) {
        self.add(p);
        p = Number(fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1]);
    }
    const prefix = `hcph${inst.net}-`;
    const allNetns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
        .split("\n")
        .map((l) => l.split(" ")[0])
        .filter((n) => n);
    const namespaces = allNetns.filter((n) => n.startsWith(prefix));
    // Network namespaces of other labs (the user's, say): their processes are not ours.
    const others = new Set(
        allNetns
            .filter((n) => /^hcph\d-/.test(n) && !n.startsWith(prefix))
            .map((n) => `net:[${fs.statSync(`/run/netns/${n}`).ino}]`),
    );
    const machineNetns = netnsOf("self");
    const labBinaries = [path.join(repoRoot, "bin") + "/", path.join(repoRoot, "dist", "lab") + "/", "sshd"];
    const processes: string[] = [];
    for (const d of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n) && !self.has(Number(n)))) {
        try {
            const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ").trim();
            const zombie = fs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1].startsWith("Z");
            const ns = netnsOf(d);
            // A process in a host's namespace need not name the lab directory (a kubelet started there).
            const inHost = ns !== machineNetns && !others.has(ns) && labBinaries.some((b) => cmd.includes(b));
            if (!zombie && (cmd.includes(inst.dir + "/") || inHost)) processes.push(`${d} ${cmd.slice(0, 120)}`);
        } catch {
            // gone meanwhile
        }
    }
    // The hosts' private directories are mounted in their own mount namespaces: look there (through
    // the lab's processes) and in ours.
    const mounts = ["self", ...processes.map((p) => p.split(" ")[0])].flatMap((pid) => {
        try {
            return fs
                .readFileSync(`/proc/${pid}/mountinfo`, "utf8")
                .split("\n")
                .filter((l) => l.includes(inst.dir + "/"));
        } catch {
            return [];
        }
    });
    const bridge = fs.existsSync(`/sys/class/net/hlbr${inst.net}`);
    const ports = execFileSync("ss", ["-Hltn"], { encoding: "utf8" })
        .split("\n")
        .map((l) => Number(/:(\d+)$/.exec(l.trim().split(/\s+/)[3] ?? "")?.[1]))
        .filter((p) => p > 0);
    const cgroups = fs.readdirSync("/sys/fs/cgroup").flatMap((h) => {
        try {
            return fs
                .readdirSync(`/sys/fs/cgroup/${h}`)
                .filter((d) => d.startsWith(prefix))
                .map((d) => `${h}/${d}`);
        } catch {
            return [];
        }
    });
    const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
        .split("\n")
        .map((l) => l.split(": ")[1]?.split("@")[0] ?? "")
        .filter((n) => n === `hlbr${inst.net}` || n.startsWith(`hv${inst.net}-`));
    const routes = execFileSync("ip", ["route", "show"], { encoding: "utf8" })
        .split("\n")
        .filter((r) => r.includes(`198.18.${inst.net}.`));
    return { processes, namespaces, mounts, bridge, ports, cgroups, links, routes };
}

function upDownCycle(inst: Instance, restoreAfter: boolean) {
    let portsBefore: number[];
    before(function () {
        labCommand(inst, "down"); // from whatever state earlier tests left
        portsBefore = footprint(inst).ports;
    });
    if (restoreAfter) after(() => labCommand(inst, "up"));

    let up: Footprint;
    it("lab up starts the management cluster and nodes, DataStore etcd, the Kamaji operator and worker hosts", () => {
        labCommand(inst, "up");
        up = footprint(inst);
        const status = labCommand(inst, "status");
        expect(status).to.match(/^Kamaji operator v\d+\.\d+\.\d+: available$/m);
        expect(status).to.include("LoadBalancer controller: up");
        expect(up.namespaces).to.include.members([
            `hcph${inst.net}-worker-1`,
            `hcph${inst.net}-worker-${inst.workers}`,
        ]);
        expect(up.bridge).to.equal(true);
        expect(up.mounts.length, "the hosts' private directories are mounted").to.be.greaterThan(0);
        const offset = inst.net * 100;
        expect(up.ports).to.include.members([12379 + offset, 16443 + offset, 22379 + offset]);
        expect(up.processes.length).to.be.greaterThan(5);
        expect(up.cgroups, "each host has its cgroup root").to.include(`cpu/hcph${inst.net}-worker-1`);
        expect(up.links).to.include(`hlbr${inst.net}`);
        const described = JSON.parse(fs.readFileSync(path.join(inst.dir, "lab.json"), "utf8"));
        expect(described.hosts.map((h: { address: string }) => h.address)[0]).to.equal(`198.18.${inst.net}.11`);
    });

    it("a second lab up starts nothing and duplicates nothing", () => {
        labCommand(inst, "up");
        const again = footprint(inst);
        expect(again.processes.map((p) => p.split(" ")[0]).sort()).to.deep.equal(
            up.processes.map((p) => p.split(" ")[0]).sort(),
        );
        expect(again.namespaces.sort()).to.deep.equal(up.namespaces.sort());
    });

    it("lab down leaves no process, namespace, mount, cgroup, interface, route, bridge or port behind", () => {
        labCommand(inst, "down");
        const after = footprint(inst);
        expect(after.cgroups).to.deep.equal([]);
        expect(after.links).to.deep.equal([]);
        expect(after.routes).to.deep.equal([]);
        expect(after.processes).to.deep.equal([]);
        expect(after.namespaces).to.deep.equal([]);
        expect(after.mounts).to.deep.equal([]);
        expect(after.bridge).to.equal(false);
        expect(after.ports.filter((p) => !portsBefore.includes(p))).to.deep.equal([]);
        expect(fs.existsSync(path.join(inst.dir, "lab.json"))).to.equal(false);
    });
}

describe("lab up / lab down", function () {
    this.timeout(15 * 60 * 1000);

    describe("the test suite's lab", () => upDownCycle({ dir: labDir, net: labNet, workers: 5 }, true));

    describe("a lab in a new, empty directory (a fresh clone's first run)", () => {
        const fresh: Instance = {
            dir: fs.mkdtempSync(path.join(os.tmpdir(), "hcp-fresh-lab-")),
            net: (labNet + 1) % 10,
            workers: 2,
        };
        fs.rmSync(fresh.dir, { recursive: true }); // empty means absent: lab up creates it
        upDownCycle(fresh, false);
        after(() => fs.rmSync(fresh.dir, { recursive: true, force: true }));
    });
});
