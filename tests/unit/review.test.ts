// The change review from recorded previews (tests/fixtures/previews, recorded with the real CLI on
// the full lab by tests/engine/review.engine.test.ts): golden files, gates, secrets, the CLI.
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    buildReview,
    planFromPreviewJson,
    renderJson,
    renderMarkdown,
    reviewPreviewJson,
    ReviewContext,
} from "../../automation/review";
import { main } from "../../automation/review/cli";
import { repoRoot } from "../support/engine";

const previews = path.join(repoRoot, "tests", "fixtures", "previews");
const reviews = path.join(repoRoot, "tests", "fixtures", "reviews");
const SCENARIOS = ["create", "scale-out", "scale-in", "upgrade", "destroy"];
const GOLDEN_GATES = { maxDisruptedNodes: 1 };

const fixture = (s: string) => fs.readFileSync(path.join(previews, `${s}.json`), "utf8");
const context = (s: string): ReviewContext =>
    JSON.parse(fs.readFileSync(path.join(previews, `${s}.context.json`), "utf8"));

/** Real secret material: an RSA private key and a kubeconfig with a client key. */
function realSecrets(): { privateKey: string; kubeconfig: string } {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const kubeconfig = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: tenant",
        "  cluster: { server: 'https://198.18.0.1:16650', certificate-authority-data: " +
            Buffer.from("ca-" + crypto.randomUUID()).toString("base64") +
            " }",
        "users:",
        "- name: admin",
        "  user: { client-key-data: " +
            Buffer.from(pem).toString("base64") +
            ", token: tok-" +
            crypto.randomUUID() +
            " }",
        "contexts: [{ name: tenant, context: { cluster: tenant, user: admin } }]",
        "current-context: tenant",
    ].join("\n");
    return { privateKey: pem, kubeconfig };
}

/** Every substring of a secret worth looking for (whole value, and each longer line). */
function needles(secret: string): string[] {
    return [secret, ...secret.split("\n").filter((l) => l.trim().length >= 20)];
}

describe("change review from recorded previews", () => {
    for (const s of SCENARIOS) {
        it(`${s}: equals the golden Markdown and JSON exactly`, () => {
            const r = reviewPreviewJson(fixture(s), GOLDEN_GATES, context(s));
            expect(renderMarkdown(r)).to.equal(fs.readFileSync(path.join(reviews, `${s}.md`), "utf8"));
            expect(renderJson(r)).to.equal(fs.readFileSync(path.join(reviews, `${s}.json`), "utf8"));
        });
    }

    it("ignores read steps (Kamaji's Secrets) and same steps", () => {
        const plan = planFromPreviewJson(fixture("upgrade"));
        expect(plan.steps.some((x) => x.op === "read")).to.equal(true);
        expect(plan.steps.some((x) => x.op === "same")).to.equal(true);
        const r = buildReview(plan, GOLDEN_GATES, context("upgrade"));
        expect(r.entries.flatMap((e) => e.resources)).not.to.include.members([
            "rv-team-admin-kubeconfig",
            "rv-team-ca",
        ]);
    });

    it("names hosts by address from the previews alone (no context)", () => {
        const r = reviewPreviewJson(fixture("scale-in"), {});
        expect(r.entries.map((e) => `${e.subject} ${e.action} ${e.name} ${e.host}`)).to.have.members([
            "node remove rv-2 198.18.0.172",
            "host clean 198.18.0.172 198.18.0.172",
        ]);
        // Without the spec, the pool names the scope.
        expect(r.entries[0].impact).to.equal(
            "drains node rv-2, deletes it from worker pool rv-team-workers and runs kubeadm reset on host 198.18.0.172",
        );
    });

    describe("gates", () => {
        it("pass by default on create and scale out", () => {
            for (const s of ["create", "scale-out"])
                expect(reviewPreviewJson(fixture(s), {}, context(s)).passed, s).to.equal(true);
        });

        it("disrupted nodes: the upgrade drains 2 nodes; a limit of 2 passes, 1 fails, none set passes", () => {
            const gate = (max?: number) =>
                reviewPreviewJson(fixture("upgrade"), { maxDisruptedNodes: max }, context("upgrade")).gates.find(
                    (g) => g.gate === "disrupted-nodes",
                )!;
            expect(gate(2)).to.deep.equal({
                gate: "disrupted-nodes",
                passed: true,
                reason: "2 nodes disrupted, within the limit of 2",
            });
            expect(gate(1).passed).to.equal(false);
            expect(gate(undefined)).to.deep.equal({
                gate: "disrupted-nodes",
                passed: true,
                reason: "2 nodes disrupted; no limit set (--max-disrupted-nodes N)",
            });
        });

        it("tenant and DataStore deletion fail the destroy unless allowed", () => {
            const failed = (g: object) =>
                reviewPreviewJson(fixture("destroy"), g, context("destroy"))
                    .gates.filter((x) => !x.passed)
                    .map((x) => x.gate);
            expect(failed({})).to.have.members(["tenant-deletion", "datastore-deletion"]);
            expect(failed({ allowTenantDeletion: true })).to.deep.equal(["datastore-deletion"]);
            expect(failed({ allowTenantDeletion: true, allowDataStoreDeletion: true })).to.deep.equal([]);
        });

        it("a downgrade (the upgrade preview read backwards) fails the downgrade gate unless allowed", () => {
            const doc = JSON.parse(fixture("upgrade"));
            for (const st of doc.steps) [st.oldState, st.newState] = [st.newState, st.oldState];
            const r = reviewPreviewJson(doc, {}, context("upgrade"));
            const tenant = r.entries.find((e) => e.subject === "tenant")!;
            expect(tenant).to.include({ action: "downgrade", from: "v1.35.4", to: "v1.34.4", risk: "high" });
            const gate = r.gates.find((g) => g.gate === "downgrade")!;
            expect(gate.passed).to.equal(false);
            expect(gate.reason).to.equal(
                "tenant rv-team goes from v1.35.4 down to v1.34.4, node rv-1 goes from v1.35.4 down to v1.34.4, node rv-3 goes from v1.35.4 down to v1.34.4; allow with --allow-downgrade",
            );
            expect(
                reviewPreviewJson(doc, { allowDowngrade: true }, context("upgrade")).gates.find(
                    (g) => g.gate === "downgrade",
                )!.passed,
            ).to.equal(true);
        });

        it("a preview that reported errors fails: the review would be incomplete", () => {
            const doc = JSON.parse(fixture("scale-out"));
            doc.diagnostics = [...(doc.diagnostics ?? []), { severity: "error", message: "boom" }];
            const r = reviewPreviewJson(doc, {}, context("scale-out"));
            expect(r.gates.find((g) => g.gate === "preview-errors")).to.deep.include({ passed: false });
        });
    });

    describe("secrets", () => {
        it("no secret value reaches the review, even where the preview carries values in place of [secret]", () => {
            const { privateKey, kubeconfig } = realSecrets();
            for (const s of SCENARIOS) {
                const doc = JSON.parse(fixture(s));
                // What the Automation API's events may carry: the values themselves.
                const inject = (x: any): any => {
                    if (x === "[secret]") return Math.random() < 0.5 ? privateKey : kubeconfig;
                    if (Array.isArray(x)) return x.map(inject);
                    if (x && typeof x === "object")
                        return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, inject(v)]));
                    return x;
                };
                const injected = inject(doc);
                for (const st of injected.steps) {
                    for (const state of [st.oldState, st.newState]) {
                        if (!state?.inputs) continue;
                        // And secrets in allowlisted fields, where a careless review would print them.
                        state.inputs.connection = {
                            ...(state.inputs.connection ?? {}),
                            privateKey,
                            address: privateKey,
                        };
                        if (state.inputs.nodeName !== undefined) state.inputs.nodeName = kubeconfig;
                        if (state.inputs.spec?.kubernetes) state.inputs.spec.kubernetes.version = privateKey;
                        if (state.inputs.metadata) state.inputs.metadata.name = kubeconfig;
                        if (state.inputs.spec?.endpoints) state.inputs.spec.endpoints = [kubeconfig];
                    }
                }
                expect(JSON.stringify(injected)).to.include(privateKey.split("\n")[1]);
                const r = reviewPreviewJson(injected, GOLDEN_GATES, {});
                const text = renderMarkdown(r) + renderJson(r);
                for (const n of [...needles(privateKey), ...needles(kubeconfig)]) expect(text, s).not.to.include(n);
                expect(text).not.to.include("PRIVATE KEY");
                expect(text).not.to.include("client-key-data");
                expect(r.entries.length, s).to.be.greaterThan(0);
            }
        });

        it("the recorded previews themselves mark secrets as [secret] and hold no key", () => {
            for (const s of SCENARIOS) {
                const text = fixture(s);
                expect(text).not.to.include("PRIVATE KEY");
                expect(text).not.to.include("client-key-data");
            }
            expect(fixture("create")).to.include('"[secret]"');
        });
    });

    describe("hcp-review CLI", () => {
        const run = async (argv: string[], stdin = "") => {
            let out = "";
            let err = "";
            const code = await main(
                argv,
                (s) => ((out += s), true),
                (s) => ((err += s), true),
                async () => stdin,
            );
            return { code, out, err };
        };

        it("reads a preview file and prints the golden Markdown; exit 0 when every gate holds", async () => {
            const r = await run(["--preview", path.join(previews, "scale-out.json"), "--max-disrupted-nodes", "1"]);
            expect(r.code).to.equal(0);
            // Without --spec the pool names the scope instead of the tenant.
            expect(r.out).to.include(
                "| low | Node rv-3 | host 198.18.0.173 joins worker pool rv-team-workers as node rv-3 (kubelet v1.34.4) |",
            );
            expect(r.err).to.equal("");
        });

        it("reads stdin, prints JSON, exits 1 with each failed gate's reason on stderr", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-review-cli-"));
            const r = await run(
                ["--format", "json", "--markdown-out", path.join(dir, "r.md"), "--json-out", path.join(dir, "r.json")],
                fixture("destroy"),
            );
            expect(r.code).to.equal(1);
            expect(JSON.parse(r.out).passed).to.equal(false);
            expect(r.err).to.equal(
                "hcp-review: gate tenant-deletion failed: tenant rv-team is deleted; allow with --allow-tenant-deletion\n" +
                    "hcp-review: gate datastore-deletion failed: DataStore rv-etcd is deleted; allow with --allow-datastore-deletion\n",
            );
            expect(fs.readFileSync(path.join(dir, "r.md"), "utf8")).to.include("**Blocked**: 2 gates failed");
            expect(fs.readFileSync(path.join(dir, "r.json"), "utf8")).to.equal(r.out);
            const allowed = await run(["--allow-tenant-deletion", "--allow-datastore-deletion"], fixture("destroy"));
            expect(allowed.code).to.equal(0);
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("exit 2 with a clear message on bad usage or input", async () => {
            expect(await run(["--max-disrupted-nodes", "many"])).to.deep.include({ code: 2 });
            expect((await run(["--bogus"])).err).to.include('unknown argument "--bogus"');
            expect((await run(["--run"])).err).to.include("--run needs --spec FILE");
            expect((await run([], "")).err).to.include("the preview is empty");
            expect((await run([], "not json")).err).to.include("the preview is not JSON");
            expect((await run([], '{"resources": []}')).err).to.include("has no `steps` list");
        });
    });
});
