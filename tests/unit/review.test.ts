// The change review from recorded previews (tests/fixtures/previews, recorded with the real CLI on
// the full lab by tests/engine/review.engine.test.ts): golden files, gates, secrets, the CLI.
// Over 400 lines: the golden reviews, every gate and the CLI share the recorded previews.
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
    Review,
    reviewPreviewJson,
    ReviewContext,
    TYPES,
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

/**
 * A preview document with each "[secret]" replaced by one of the real secrets, at random: what
 * the Automation API's events may carry in their place.
 */
function withSecretValues(x: any, secrets: { privateKey: string; kubeconfig: string }): any {
    if (x === "[secret]") return Math.random() < 0.5 ? secrets.privateKey : secrets.kubeconfig;
    if (Array.isArray(x)) return x.map((v) => withSecretValues(v, secrets));
    if (x && typeof x === "object")
        return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, withSecretValues(v, secrets)]));
    return x;
}

/** Every substring of a secret worth looking for (whole value, and each longer line). */
function needles(secret: string): string[] {
    return [secret, ...secret.split("\n").filter((l) => l.trim().length >= 20)];
}

/** Runs hcp-review in-process with `stdin` as its input. */
async function run(argv: string[], stdin = "") {
    let out = "";
    let err = "";
    const code = await main(
        argv,
        (s) => ((out += s), true),
        (s) => ((err += s), true),
        async () => stdin,
    );
    return { code, out, err };
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
            expect(tenant).to.include({ action: "downgrade", from: "v1.30.2", to: "v1.29.15", risk: "high" });
            const gate = r.gates.find((g) => g.gate === "downgrade")!;
            expect(gate.passed).to.equal(false);
            expect(gate.reason).to.equal(
                "tenant rv-team goes from v1.30.2 down to v1.29.15, node rv-1 goes from v1.30.2 down to v1.29.15, node rv-3 goes from v1.30.2 down to v1.29.15; allow with --allow-downgrade",
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
                const injected = withSecretValues(doc, { privateKey, kubeconfig });
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
        it("reads a preview file and prints the golden Markdown; exit 0 when every gate holds", async () => {
            const r = await run(["--preview", path.join(previews, "scale-out.json"), "--max-disrupted-nodes", "1"]);
            expect(r.code).to.equal(0);
            // Without --spec the pool names the scope instead of the tenant.
            expect(r.out).to.include(
                "| low | Node rv-3 | host 198.18.0.173 joins worker pool rv-team-workers as node rv-3 (kubelet v1.29.15) |",
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

// None of the recorded previews replaces anything, so the previews below are derived from them the
// way `pulumi preview --json` marks a replacement: one logical "replace" step whose replaceReasons
// (and diffReasons) name the keys that force it, detailedDiff kind "update-replace"; with
// --show-replacement-steps, also the create-replacement and delete-replaced steps.

/** A recorded step turned into the "replace" step of the same resource, its new inputs edited. */
function asReplace(step: any, reasons: string[], edit: (inputs: any) => void): any {
    const s = structuredClone(step);
    s.op = "replace";
    edit(s.newState.inputs);
    s.diffReasons = reasons;
    s.replaceReasons = reasons;
    s.detailedDiff = Object.fromEntries(reasons.map((k) => [k, { kind: "update-replace", inputDiff: true }]));
    return s;
}

/**
 * DataStore rv-etcd renamed rv-etcd-b: its object and TLS Secrets are replaced (a Kubernetes name
 * cannot change in place). Old states from the destroy preview, new ones from the create preview.
 */
function dataStoreRenamed(): any[] {
    const created = JSON.parse(fixture("create")).steps;
    const deleted = JSON.parse(fixture("destroy")).steps;
    return ["rv-etcd-datastore", "rv-etcd-ca", "rv-etcd-client"].map((n) => {
        const c = created.find((s: any) => s.op === "create" && s.urn.endsWith(`::${n}`));
        const d = deleted.find((s: any) => s.op === "delete" && s.urn.endsWith(`::${n}`));
        return asReplace({ ...c, oldState: d.oldState }, ["metadata.name"], (i) => {
            i.metadata.name = i.metadata.name.replace(/^rv-etcd/, "rv-etcd-b");
        });
    });
}

interface Replaced {
    /** The TenantControlPlane moves to another namespace, or is renamed. */
    tenant?: "namespace" | "name";
    dataStore?: boolean;
    /** Host 198.18.0.171's SSH port changes: its PreparedHost and NodeJoin are replaced (their diff rules). */
    host?: boolean;
}

/** The upgrade preview with some of its updates turned into replacements, plus the DataStore's. */
function replacementPreview(r: Replaced): any {
    const doc = JSON.parse(fixture("upgrade"));
    const edits: [RegExp, string[], (i: any) => void][] = [];
    if (r.tenant === "namespace")
        edits.push([/::rv-team-tcp$/, ["metadata.namespace"], (i) => (i.metadata.namespace = "hcp-review-b")]);
    if (r.tenant === "name") edits.push([/::rv-team-tcp$/, ["metadata.name"], (i) => (i.metadata.name = "rv-team-b")]);
    if (r.host) {
        edits.push([/-198-18-0-171-prep$/, ["connection"], (i) => (i.connection.port = 2222)]);
        edits.push([/-198-18-0-171-join$/, ["port"], (i) => (i.connection.port = 2222)]);
    }
    let matched = 0;
    doc.steps = doc.steps.map((s: any) => {
        const e = edits.find(([re]) => re.test(s.urn));
        if (!e) return s;
        matched++;
        return asReplace(s, e[1], e[2]);
    });
    expect(matched, "every edit found its recorded step").to.equal(edits.length);
    if (r.dataStore) doc.steps.push(...dataStoreRenamed());
    return doc;
}

/**
 * The same preview as `--show-replacement-steps` writes it: delete-replaced, replace,
 * create-replacement for deleteBeforeReplace resources (all here but the PreparedHost); otherwise
 * create-replacement, replace, and the delete-replaced after every other step.
 */
function withReplacementSteps(doc: any): any {
    const out = structuredClone(doc);
    const late: any[] = [];
    out.steps = out.steps.flatMap((s: any) => {
        if (s.op !== "replace") return [s];
        const create = { ...s, op: "create-replacement" };
        const del = {
            op: "delete-replaced",
            urn: s.urn,
            provider: s.provider,
            oldState: s.oldState,
            detailedDiff: null,
        };
        if (s.newState.type === TYPES.preparedHost) {
            late.push(del);
            return [create, s];
        }
        return [del, s, create];
    });
    out.steps.push(...late);
    return out;
}

describe("change review of replacements (previews derived from the recorded ones)", () => {
    const everything = () => replacementPreview({ tenant: "namespace", dataStore: true, host: true });
    const only = (r: Review, subject: string, name: string) => {
        const es = r.entries.filter((e) => e.subject === subject && e.name === name);
        expect(es, `${subject} ${name}`).to.have.length(1);
        return es[0];
    };

    it("reports a replaced tenant, DataStore, node and host as replacements, with impact and risk", () => {
        const r = reviewPreviewJson(everything(), {}, context("upgrade"));
        expect(only(r, "tenant", "rv-team")).to.deep.include({
            action: "replace",
            risk: "high",
            from: "v1.29.15",
            to: "v1.30.2",
            changed: [],
            replacedBecause: ["metadata.namespace"],
            summary: "tenant rv-team is replaced",
            impact: "replaces the control plane: the API endpoint changes, the cluster starts empty and every node must rejoin (replaced because metadata.namespace changed)",
        });
        const ds = only(r, "datastore", "rv-etcd");
        expect(ds).to.deep.include({
            action: "replace",
            risk: "high",
            replacedBecause: ["metadata.name"],
            summary: "DataStore rv-etcd is replaced by rv-etcd-b",
            impact: "the DataStore object is deleted and created again (replaced because metadata.name changed); tenants stored there lose their storage meanwhile",
        });
        // Its TLS Secrets are part of the same entry.
        expect(ds.resources).to.deep.equal(["rv-etcd-ca", "rv-etcd-client", "rv-etcd-datastore"]);
        // A node rejoin drains like an upgrade or a removal: medium, not the data loss of a tenant or DataStore.
        expect(only(r, "node", "rv-1")).to.deep.include({
            action: "rejoin",
            risk: "medium",
            disruptsNode: true,
            host: "198.18.0.171",
            replacedBecause: ["port"],
            summary: "node rv-1 is drained, reset and joined again",
            impact: "drains node rv-1, resets host 198.18.0.171 and joins it again (replaced because port changed)",
        });
        expect(only(r, "host", "198.18.0.171")).to.deep.include({
            action: "re-prepare",
            risk: "medium",
            replacedBecause: ["connection"],
            summary: "host 198.18.0.171 is prepared again from scratch",
            impact: "cleans and prepares the host again (replaced because connection changed)",
        });
        // What was not replaced is still reported as the upgrade it is.
        expect(only(r, "node", "rv-3").action).to.equal("upgrade");
        expect(only(r, "host", "198.18.0.173").action).to.equal("re-prepare");
        expect(r.risk).to.equal("high");
        expect(r.counts).to.deep.include({ high: 2, nodesDisrupted: 2 });
        expect(r.impacts.map((i) => i.text)).to.deep.equal([
            "rv-team: control plane replaced; drains 2 nodes of rv-team (1 upgraded to v1.30.2, 1 rejoined)",
        ]);
        const md = renderMarkdown(r);
        expect(md).to.include(
            "| high | Tenant rv-team | tenant rv-team is replaced | replaces the control plane: the API endpoint changes",
        );
        expect(md).to.include("| high | DataStore rv-etcd | DataStore rv-etcd is replaced by rv-etcd-b |");
        expect(md).not.to.include("is upgraded from v1.29.15 to v1.30.2 (changes:");
    });

    it("reads the same from --show-replacement-steps output (create-replacement, replace, delete-replaced)", () => {
        const logical = reviewPreviewJson(everything(), {}, context("upgrade"));
        const expanded = withReplacementSteps(everything());
        expect(expanded.steps.filter((s: any) => s.op === "delete-replaced")).to.have.length(6);
        expect(reviewPreviewJson(expanded, {}, context("upgrade"))).to.deep.equal(logical);
    });

    it("a renamed tenant is named by the control plane it loses", () => {
        const r = reviewPreviewJson(replacementPreview({ tenant: "name" }), {}, context("upgrade"));
        expect(only(r, "tenant", "rv-team")).to.deep.include({
            action: "replace",
            summary: "tenant rv-team is replaced by rv-team-b",
        });
        expect(r.gates.find((g) => g.gate === "tenant-deletion")!.reason).to.equal(
            "tenant rv-team is replaced; allow with --allow-tenant-deletion",
        );
    });

    describe("gates", () => {
        const failed = (r: Review) => r.gates.filter((g) => !g.passed);

        const deletionGates = [
            {
                what: "tenant",
                change: { tenant: "namespace" as const },
                gate: "tenant-deletion",
                reason: "tenant rv-team is replaced; allow with --allow-tenant-deletion",
                allow: { allowTenantDeletion: true },
                allowed: "allowed: rv-team (replace)",
            },
            {
                what: "DataStore",
                change: { dataStore: true },
                gate: "datastore-deletion",
                reason: "DataStore rv-etcd is replaced; allow with --allow-datastore-deletion",
                allow: { allowDataStoreDeletion: true },
                allowed: "allowed: rv-etcd (replace)",
            },
        ];
        for (const g of deletionGates) {
            it(`a replaced ${g.what} fails ${g.gate}, naming it, unless allowed`, () => {
                const doc = replacementPreview(g.change);
                expect(failed(reviewPreviewJson(doc, {}, context("upgrade")))).to.deep.equal([
                    { gate: g.gate, passed: false, reason: g.reason },
                ]);
                const allowed = reviewPreviewJson(doc, g.allow, context("upgrade"));
                expect(allowed.passed).to.equal(true);
                expect(allowed.gates.find((x) => x.gate === g.gate)!.reason).to.equal(g.allowed);
            });
        }

        it("a replaced host and node trip no deletion gate (only the disruption limit)", () => {
            const doc = replacementPreview({ host: true });
            expect(failed(reviewPreviewJson(doc, {}, context("upgrade")))).to.deep.equal([]);
            expect(
                failed(reviewPreviewJson(doc, { maxDisruptedNodes: 1 }, context("upgrade"))).map((g) => g.gate),
            ).to.deep.equal(["disrupted-nodes"]);
        });

        it("hcp-review exits 1 with each reason, and 0 once both are allowed", async () => {
            const stdin = JSON.stringify(everything());
            const r = await run([], stdin);
            expect(r.code).to.equal(1);
            expect(r.err).to.equal(
                "hcp-review: gate tenant-deletion failed: tenant rv-team is replaced; allow with --allow-tenant-deletion\n" +
                    "hcp-review: gate datastore-deletion failed: DataStore rv-etcd is replaced; allow with --allow-datastore-deletion\n",
            );
            expect(r.out).to.include("**Blocked**: 2 gates failed");
            const one = await run(["--allow-tenant-deletion"], stdin);
            expect(one.code).to.equal(1);
            expect(one.err).to.equal(
                "hcp-review: gate datastore-deletion failed: DataStore rv-etcd is replaced; allow with --allow-datastore-deletion\n",
            );
            const both = await run(["--allow-tenant-deletion", "--allow-datastore-deletion"], stdin);
            expect(both).to.deep.include({ code: 0, err: "" });
            expect(both.out).to.include("**Passed**");
        });
    });

    it("no secret value reaches the Markdown or JSON of a replacement review", () => {
        const { privateKey, kubeconfig } = realSecrets();
        for (const doc of [everything(), withReplacementSteps(everything())]) {
            const injected = withSecretValues(doc, { privateKey, kubeconfig });
            for (const st of injected.steps.filter((s: any) => s.op !== "same")) {
                for (const state of [st.oldState, st.newState]) {
                    const i = state?.inputs;
                    if (!i) continue;
                    // Secrets in the fields the review does read.
                    if (i.connection) i.connection.address = privateKey;
                    if (i.nodeName !== undefined) i.nodeName = kubeconfig;
                    if (i.metadata) i.metadata.name = kubeconfig;
                    if (i.spec?.kubernetes) i.spec.kubernetes.version = privateKey;
                    if (i.spec?.dataStore) i.spec.dataStore = kubeconfig;
                    if (i.spec?.endpoints) i.spec.endpoints = [privateKey];
                }
            }
            expect(JSON.stringify(injected)).to.include(privateKey.split("\n")[1]);
            const r = reviewPreviewJson(injected, {}, context("upgrade"));
            expect(r.entries.filter((e) => e.action === "replace").map((e) => e.subject)).to.have.members([
                "tenant",
                "datastore",
            ]);
            const text = renderMarkdown(r) + renderJson(r);
            for (const n of [...needles(privateKey), ...needles(kubeconfig)]) expect(text).not.to.include(n);
            expect(text).not.to.include("PRIVATE KEY");
            expect(text).not.to.include("client-key-data");
        }
    });
});
