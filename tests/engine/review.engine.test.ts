// Golden change reviews from real previews on the full lab: a tenant with a worker pool of real sshd
// hosts, created, scaled out, scaled in, upgraded (previewed) and destroyed through the embedding
// (Automation API). At each step the plain CLI's `pulumi preview --json` of the same stack is recorded
// and reviewed; the review must equal the golden file exactly, must equal the review the Automation
// API's events give, and must hold no secret of the spec.
//
// HCP_UPDATE_GOLDEN=1 rewrites tests/fixtures/previews/<scenario>.json (+ .context.json) and
// tests/fixtures/reviews/<scenario>.{md,json} instead of comparing.
import { expect } from "chai";
import { labIp, labNet } from "../support/labNet";
import * as fs from "fs";
import * as path from "path";
import { deploy, destroy, preview, previewDestroy, StackOptions } from "../../automation/stack";
import { reviewContextFor } from "../../automation/program";
import { HcpSpec } from "../../automation/spec";
import {
    GateConfig,
    renderJson,
    renderMarkdown,
    reviewPreviewJson,
    Review,
    ReviewContext,
} from "../../automation/review";
import type { LabDescription } from "../../lab/defaultStack";
import { repoRoot } from "../support/engine";
import { HostLab } from "../support/hosts";
import { deleteNamespace, ensureNamespace } from "../support/kube";
import { managementClient } from "../support/lab";
import { installLabStandIns } from "../support/labHosts";
import { labSpec, LabHostRef, newWorkspace, PASSPHRASE, requireFullLab, Workspace } from "../support/reviewLab";

const PROJECT = "hcp-review";
const STACK = "review";
const NAMESPACE = "hcp-review";
const HOSTS = [
    { name: "rv-1", ip: labIp(171) },
    { name: "rv-2", ip: labIp(172) },
    { name: "rv-3", ip: labIp(173) },
];
/** The gates the goldens are reviewed with: defaults plus at most one disrupted node. */
export const GOLDEN_GATES: GateConfig = { maxDisruptedNodes: 1 };
const UPDATE = process.env.HCP_UPDATE_GOLDEN === "1";
const previewsDir = path.join(repoRoot, "tests", "fixtures", "previews");
const reviewsDir = path.join(repoRoot, "tests", "fixtures", "reviews");

describe("change review: golden reviews from real previews on the full lab", function () {
    this.timeout(30 * 60 * 1000);
    let lab: LabDescription;
    let hostLab: HostLab;
    let hosts: LabHostRef[];
    let ws: Workspace;
    let opts: StackOptions;
    let secrets: string[];
    let version: string;
    let upgradeVersion: string;

    const spec = (names: string[], v = version): HcpSpec =>
        labSpec(lab, {
            prefix: "rv",
            namespace: NAMESPACE,
            slot: 10,
            cidrBase: 230,
            version: v,
            hosts: names.map((n) => hosts.find((h) => h.name === n)!),
        });

    /** The goldens are recorded as on lab instance 0 (198.18.0.x): the same text whichever lab ran them. */
    const asRecorded = (text: string) => {
        let t = text.split(`198.18.${labNet}.`).join("198.18.0.").split(`198-18-${labNet}-`).join("198-18-0-");
        // The DataStore's ports move with the instance too (+100 per HCP_LAB_NET); it listens on the
        // lab bridge's address, rewritten above to instance 0's.
        for (const e of lab.dataStore.endpoints.split(",")) {
            const port = Number(e.split(":").pop());
            t = t.split(`198.18.0.1:${port}`).join(`198.18.0.1:${port - 100 * labNet}`);
        }
        return t;
    };

    /** Reviews the CLI's JSON, compares with the golden and with the API's review; returns the review. */
    function check(scenario: string, json: string, context: ReviewContext, apiReview: Review): Review {
        for (const s of secrets) expect(json, `${scenario}: the CLI's preview JSON holds a secret`).not.to.include(s);
        const review = reviewPreviewJson(json, GOLDEN_GATES, context);
        const md = asRecorded(renderMarkdown(review));
        const js = asRecorded(renderJson(review));
        for (const s of secrets) {
            expect(md).not.to.include(s);
            expect(js).not.to.include(s);
            expect(renderJson(apiReview)).not.to.include(s);
        }
        const files = {
            preview: path.join(previewsDir, `${scenario}.json`),
            context: path.join(previewsDir, `${scenario}.context.json`),
            md: path.join(reviewsDir, `${scenario}.md`),
            json: path.join(reviewsDir, `${scenario}.json`),
        };
        if (UPDATE) {
            fs.mkdirSync(reviewsDir, { recursive: true });
            fs.writeFileSync(files.preview, asRecorded(JSON.stringify(JSON.parse(json), null, 2) + "\n"));
            fs.writeFileSync(files.context, asRecorded(JSON.stringify(context, null, 2) + "\n"));
            fs.writeFileSync(files.md, md);
            fs.writeFileSync(files.json, js);
        } else {
            expect(fs.existsSync(files.md), `${files.md} is missing: record it with HCP_UPDATE_GOLDEN=1`).to.equal(
                true,
            );
            expect(md).to.equal(fs.readFileSync(files.md, "utf8"));
            expect(js).to.equal(fs.readFileSync(files.json, "utf8"));
        }
        // The Automation API's events give the same review as the CLI's JSON.
        expect(apiReview.entries).to.deep.equal(review.entries);
        expect(apiReview.gates).to.deep.equal(review.gates);
        return review;
    }

    async function scenario(name: string, s: HcpSpec): Promise<Review> {
        const api = await preview(s, { ...opts, gates: GOLDEN_GATES });
        const json = ws.cli(["preview", "--json"]);
        return check(name, json, reviewContextFor(s), api.review);
    }

    before(async () => {
        lab = requireFullLab();
        version = lab.kubernetesVersion;
        if (lab.upgradeVersions.length === 0)
            throw new Error(
                "the lab has no upgrade version (lab.json upgradeVersions is empty): build it with scripts/toolchain, then `bash lab/lab up`",
            );
        upgradeVersion = lab.upgradeVersions[0];
        hostLab = new HostLab();
        hosts = [];
        for (const h of HOSTS) {
            const t = await hostLab.create(h.name, h.ip);
            await installLabStandIns(hostLab, h.name);
            hosts.push({ name: h.name, address: t.address, hostKey: t.hostKey, privateKey: t.privateKey });
        }
        await ensureNamespace(managementClient(lab), NAMESPACE);
        ws = newWorkspace(PROJECT, STACK);
        opts = {
            projectName: PROJECT,
            stackName: STACK,
            stateDir: ws.stateDir,
            workDir: ws.dir,
            secretsPassphrase: PASSPHRASE,
        };
        const full = spec(HOSTS.map((h) => h.name));
        secrets = [
            full.managementCluster.kubeconfig,
            full.dataStores![0].tls.caPrivateKey,
            full.dataStores![0].tls.clientPrivateKey!,
            hosts[0].privateKey,
        ].flatMap((s) => [s, ...s.split("\n").filter((l) => l.length > 40)]);
    });

    after(async () => {
        if (ws) {
            await destroy(undefined, opts).catch(() => undefined);
            ws.dispose();
        }
        await hostLab?.dispose();
        if (lab) await deleteNamespace(managementClient(lab), NAMESPACE);
    });

    it("create: a tenant with two hosts", async () => {
        const r = await scenario("create", spec(["rv-1", "rv-2"]));
        expect(r.passed).to.equal(true);
        expect(r.entries.map((e) => `${e.subject} ${e.action} ${e.name}`)).to.include.members([
            "tenant create rv-team",
            "datastore create rv-etcd",
            "node join rv-1",
            "node join rv-2",
            `host prepare ${labIp(171)}`,
            `host prepare ${labIp(172)}`,
        ]);
        const up = await deploy(spec(["rv-1", "rv-2"]), opts);
        expect(up.result).to.equal("succeeded");
        expect(up.outputs.workerPools["rv-team-workers"].nodeNames).to.deep.equal(["rv-1", "rv-2"]);
    });

    it("scale out: a third host", async () => {
        const r = await scenario("scale-out", spec(["rv-1", "rv-2", "rv-3"]));
        expect(r.entries.map((e) => `${e.subject} ${e.action} ${e.name}`)).to.have.members([
            "node join rv-3",
            `host prepare ${labIp(173)}`,
        ]);
        expect((await deploy(spec(["rv-1", "rv-2", "rv-3"]), opts)).result).to.equal("succeeded");
    });

    it("scale in: the middle host leaves (drained and reset)", async () => {
        const r = await scenario("scale-in", spec(["rv-1", "rv-3"]));
        expect(r.counts.nodesDisrupted).to.equal(1);
        expect(r.entries.map((e) => `${e.subject} ${e.action} ${e.name}`)).to.have.members([
            "node remove rv-2",
            `host clean ${labIp(172)}`,
        ]);
        expect((await deploy(spec(["rv-1", "rv-3"]), opts)).result).to.equal("succeeded");
    });

    it("upgrade (previewed): tenant and both nodes to the next minor; the node gate trips", async () => {
        const r = await scenario("upgrade", spec(["rv-1", "rv-3"], upgradeVersion));
        expect(r.entries.find((e) => e.subject === "tenant")).to.include({
            action: "upgrade",
            from: version,
            to: upgradeVersion,
        });
        expect(r.counts.nodesDisrupted).to.equal(2);
        expect(r.passed).to.equal(false);
        expect(r.gates.find((g) => !g.passed)!.gate).to.equal("disrupted-nodes");
    });

    it("destroy (previewed, then applied): the tenant and DataStore gates trip", async () => {
        const api = await previewDestroy({ ...opts, gates: GOLDEN_GATES });
        const json = ws.cli(["destroy", "--preview-only", "--json"]);
        const r = check("destroy", json, reviewContextFor(spec(["rv-1", "rv-3"])), api.review);
        expect(r.gates.filter((g) => !g.passed).map((g) => g.gate)).to.have.members([
            "tenant-deletion",
            "datastore-deletion",
            "disrupted-nodes",
        ]);
        const res = await destroy(undefined, opts);
        expect(res.result).to.equal("succeeded");
    });
});
