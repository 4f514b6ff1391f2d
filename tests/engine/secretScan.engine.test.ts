// The secret search of the engine tests (issue 11): every test stack is scanned when disposed
// (tests/support/engine.ts), and a scan hit fails the test. Here: a stack that does leak fails its
// dispose, naming the place and the secret by label; and a small real stack on the lab (a
// DataStore on the lab's etcd, a PreparedHost installing from the lab bundle through a URL with
// credentials) leaves none of the secrets it used in its state, history, output, the lab's logs
// or the process lists of the machine and the hosts while it ran.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LabDescription, labManagement } from "../../lab/defaultStack";
import { LAB_CGROUP_DRIVER, labContainerd } from "../../lab/nodeSettings";
import { PreparedHost } from "../../provider/hostprep/resource";
import { destroyAndDispose, changeCounts, labFile, newInlineStack, previewSteps, TestStack } from "../support/engine";
import { ensureLab, requireFreeHosts } from "../support/lab";
import { formatHits, labSecrets, registeredSecrets, Scanner, SecretSet } from "../support/secretScan";

/** Every log file under `dir` (the lab's: management cluster, etcd, sshd, kubelets, containerd, pods). */
function logFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
            else if (e.isFile() && /\.log$/.test(e.name)) out.push(p);
        }
    };
    walk(dir);
    return out;
}

describe("secret scan of what the engine tests write", function () {
    this.timeout(20 * 60 * 1000);

    describe("a stack that leaks a secret", () => {
        let ts: TestStack | undefined;
        const token = `leak-${crypto.randomBytes(16).toString("hex")}`;
        // a value the engine does not know is secret (the CLI masks secret config in what it prints)
        const printed = `printed-${crypto.randomBytes(16).toString("hex")}`;
        registeredSecrets.add("a registered secret the leaking stack prints", printed);

        after(async () => {
            // the dispose of the test below failed on purpose; this one removes what is left
            if (ts) await ts.dispose().catch(() => undefined);
        });

        it("fails its dispose, naming each file and text the secret is in by its label only", async () => {
            ts = await newInlineStack(
                "hcp-secret-leak",
                async () => {
                    const token = new pulumi.Config().requireSecret("apiToken");
                    // the mistake under test: a secret unwrapped into a plain output and a log line
                    const plain = token.apply((t) => {
                        pulumi.log.info(`using ${t} and ${printed}`);
                        return `token=${t}`;
                    });
                    return { plain: pulumi.unsecret(plain) };
                },
                { apiToken: { value: token, secret: true } },
            );
            await ts.stack.up();
            const hits = await ts.scan();
            const places = hits.filter((h) => h.label === "config apiToken of hcp-secret-leak").map((h) => h.where);
            expect(places.some((w) => w.endsWith(path.join("stacks", "hcp-secret-leak", "test.json")))).to.equal(true);
            expect(places.some((w) => w.includes(path.join(".pulumi", "history")))).to.equal(true);
            expect(
                hits.filter((h) => h.label === "a registered secret the leaking stack prints").map((h) => h.where),
            ).to.deep.equal(["the output and events of hcp-secret-leak's previews and updates"]);
            await ts.stack.destroy();
            const err = await ts.dispose().then(
                () => undefined,
                (e: Error) => e,
            );
            expect(err?.message).to.match(/^secrets in what the test stack hcp-secret-leak wrote/);
            expect(err?.message).to.include("config apiToken of hcp-secret-leak").and.include("history");
            expect(err?.message).to.include("a registered secret the leaking stack prints");
            expect(err?.message).to.not.include(token).and.not.include(printed);
            ts = undefined;
        });
    });

    describe("a DataStore and a PreparedHost from a credentialed bundle URL, on the lab", () => {
        let lab: LabDescription;
        let ts: TestStack;
        let server: http.Server;
        let tarball: string;
        const user = "bundle-reader";
        const password = crypto.randomBytes(18).toString("base64url");
        const pathToken = crypto.randomBytes(16).toString("hex");
        let served = 0;
        let url: string;
        let sha256: string;
        const version = "v1.34.4";

        before(async () => {
            lab = ensureLab();
            requireFreeHosts(lab);
            const bundle = lab.bundles[version];
            if (!bundle)
                throw new Error(`the lab has no ${version} bundle (it has ${Object.keys(lab.bundles).join(", ")})`);
            // an uncompressed tarball: PreparedHost unpacks any tar; gzip would cost the shared cores a minute
            tarball = path.join(path.dirname(labFile), `secret-scan-bundle-${process.pid}.tar`);
            execFileSync("tar", ["-cf", tarball, "-C", path.dirname(bundle), path.basename(bundle)]);
            sha256 = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
            const expected = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
            server = http.createServer((req, res) => {
                if (req.url !== `/${pathToken}/bundle.tar`) return void res.writeHead(404).end();
                if (req.headers.authorization !== expected) return void res.writeHead(401).end();
                served++;
                fs.createReadStream(tarball).pipe(res);
            });
            await new Promise<void>((r) => server.listen(0, lab.network.bridgeIp, () => r()));
            const port = (server.address() as any).port;
            url = `http://${user}:${password}@${lab.network.bridgeIp}:${port}/${pathToken}/bundle.tar`;
            const read = (p: string) => fs.readFileSync(p, "utf8");
            const host = lab.hosts[0];
            ts = await newInlineStack("hcp-secret-scan", async () => {
                // a client certificate of its own, minted by the component: its key is a secret too
                const { store } = labManagement(lab, { name: "secret-scan-etcd", clientCommonName: "secret-scan" });
                const prepared = new PreparedHost(`secret-scan-${host.name}`, {
                    connection: {
                        address: host.address,
                        user: "root",
                        privateKey: pulumi.secret(read(lab.sshPrivateKey)),
                        hostKey: host.hostKey,
                    },
                    kubernetesVersion: version,
                    containerd: { ...labContainerd(lab.registry), cgroupDriver: LAB_CGROUP_DRIVER },
                    packageSource: { kind: "bundle", url, sha256 },
                    reusePolicy: "clean",
                });
                return {
                    dataStoreName: store.dataStoreName,
                    clientPrivateKey: store.clientPrivateKey,
                    preparedVersion: prepared.preparedVersion,
                };
            });
        });
        after(async () => {
            try {
                await destroyAndDispose(ts); // disposing scans once more: a hit fails this hook
            } finally {
                server?.closeAllConnections();
                server?.close();
                if (tarball) fs.rmSync(tarball, { force: true });
            }
        });

        it("previews, updates and destroys", async () => {
            const p = await previewSteps(ts.stack);
            expect(p.counts.create).to.be.greaterThan(3);
            const up = await ts.stack.up();
            expect(up.summary.result).to.equal("succeeded");
            expect(up.outputs.preparedVersion.value).to.equal(version);
            expect(up.outputs.clientPrivateKey.secret).to.equal(true);
            expect(served, "the host fetched the bundle with the URL's credentials").to.be.greaterThan(0);
            expect(changeCounts((await ts.stack.preview()).changeSummary as any)).to.deep.equal({});
            await ts.stack.destroy();
        });

        it("searches for the secrets it used: the lab's, the URL's credentials, the minted client key", () => {
            const labels = ts.secrets.list().map((s) => s.label);
            const has = (re: RegExp) =>
                expect(
                    labels.some((l) => re.test(l)),
                    String(re),
                ).to.equal(true);
            has(/secret-scan-worker-1 inputs\.connection\.privateKey: openssh private key/);
            has(/secret-scan-worker-1 inputs\.packageSource\.url: password in a URL/);
            has(/secret-scan-worker-1 inputs\.packageSource\.url: URL with credentials/);
            has(/secret-scan-etcd.*rsa private key|secret-scan-etcd.*private key/);
            expect(ts.secrets.list().some((s) => s.value === password)).to.equal(true);
            const lab = labSecrets(labFile)
                .list()
                .map((s) => s.label);
            expect(lab).to.include.members([
                "ssh private key of the lab",
                "DataStore CA key of the lab (etcd)",
                "DataStore root client key of the lab (etcd)",
                "management admin client key of the lab",
            ]);
        });

        it("finds none of them in its state, history, workspace, output, or the process lists while it ran", async () => {
            // the samples did see the host at work: the preparation script over SSH, its download
            const lines = ts.commandLines();
            expect(
                lines.some((l) => /^bash -s\b/.test(l)),
                "bash -s of the preparation",
            ).to.equal(true);
            expect(
                lines.some((l) => /^curl .*--config -/.test(l)),
                "the host's curl",
            ).to.equal(true);
            const hits = await ts.scan();
            expect(formatHits(hits)).to.equal("");
        });

        it("finds none of them in the lab's logs (management cluster, etcd, the hosts' sshd, kubelet, containerd)", () => {
            const scanner = new Scanner(new SecretSet().addAll(labSecrets(labFile)).addAll(ts.secrets));
            const logs = logFiles(path.dirname(labFile));
            expect(logs.length).to.be.greaterThan(3);
            expect(formatHits(scanner.paths(logs))).to.equal("");
        });
    });
});
