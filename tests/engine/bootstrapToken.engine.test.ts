// BootstrapToken through the real engine against a real tenant API server (kube-apiserver and
// kube-controller-manager on a DataStore etcd): the Secret it writes is one the real kubeadm lists,
// the token stays secret in outputs and state, a TTL change or a near expiry replaces it, destroy
// removes it.
import { expect } from "chai";
import { labDir } from "../support/management";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { BootstrapToken } from "../../provider/token/resource";
import { DEFAULT_GROUP, TOKEN_PATTERN } from "../../provider/token/logic";
import { KubeClient } from "../../lib/kube/client";
import { startTenantControlPlane, stopTenantControlPlane, TenantControlPlane } from "../../lab/tenant";
import { freePort } from "../../lab/tenant/process";
import {
    destroyAndDispose,
    changeCounts,
    newInlineStack,
    previewSteps,
    rawState,
    repoRoot,
    TestStack,
} from "../support/engine";
import { KUBERNETES_VERSION } from "../support/labHosts";
import { DataStoreEtcd, ensureDataStoreEtcd, requireTenantBinaries, stopDataStoreEtcd } from "../support/tenant";

const PROJECT = "hcp-bootstrap-token";
const ETCD_NAME = "bootstrap-token-test";
// Clear of the other tests' etcd blocks (23960, 23970, 24379, the lab's 22379..).
const ETCD_BASE_PORT = 24479;
const TTL_SECONDS = 900;
const secretPath = (id: string) => `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`;
const decode = (data: Record<string, string>) =>
    Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

/** A preview's steps for the token, with the keys the engine names as the reason for a replacement. */
async function tokenSteps(stack: automation.Stack): Promise<{ op: string; keys: string[] }[]> {
    const steps: { op: string; keys: string[] }[] = [];
    await stack.preview({
        onEvent: (e) => {
            const m = e.resourcePreEvent?.metadata;
            if (m && m.urn.endsWith("::join-token") && m.op !== "same") steps.push({ op: m.op, keys: m.keys ?? [] });
        },
    });
    return steps;
}

describe("BootstrapToken through the engine, on a real tenant API server", function () {
    this.timeout(10 * 60 * 1000);
    const stateDir = path.join(labDir, "test-bootstrap-token");
    let ds: DataStoreEtcd;
    let tenant: TenantControlPlane;
    let client: KubeClient;
    let ts: TestStack;

    const program = async () => {
        const cfg = new pulumi.Config();
        const t = new BootstrapToken("join-token", {
            kubeconfig: cfg.requireSecret("kubeconfig"),
            ttlSeconds: cfg.requireNumber("ttlSeconds"),
            description: "engine test",
        });
        return { tokenId: t.tokenId, token: t.token, expiresAt: t.expiresAt };
    };

    /** The token Secret's data, decoded, or undefined when it does not exist. */
    async function tokenSecretData(id: string): Promise<Record<string, string> | undefined> {
        const s = await client.get(secretPath(id));
        return s && { type: s.type, ...decode(s.data ?? {}) };
    }

    before(async () => {
        requireTenantBinaries();
        fs.rmSync(stateDir, { recursive: true, force: true });
        ds = ensureDataStoreEtcd(ETCD_NAME, ETCD_BASE_PORT);
        tenant = await startTenantControlPlane({
            name: "bootstrap-token",
            dir: stateDir,
            etcdEndpoints: ds.endpoints,
            etcdPrefix: "/bootstrap_token_test/",
            etcdCaPem: ds.caPem,
            etcdCertPem: ds.rootCertPem,
            etcdKeyPem: ds.rootKeyPem,
            serviceCidr: "10.114.0.0/16",
            podCidr: "10.115.0.0/16",
            apiPort: await freePort(),
            kubernetesVersion: KUBERNETES_VERSION,
            bindAddress: "127.0.0.1",
        });
        client = KubeClient.fromKubeconfig(tenant.adminKubeconfig);
        ts = await newInlineStack(PROJECT, program, {
            kubeconfig: { value: tenant.adminKubeconfig, secret: true },
            ttlSeconds: { value: String(TTL_SECONDS) },
        });
    });

    after(async () => {
        await destroyAndDispose(ts);
        // Unconditional: a `before` that failed half-way may have started either.
        await stopTenantControlPlane(stateDir);
        stopDataStoreEtcd(ETCD_NAME);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("previews exactly one create: the token", async () => {
        const p = await previewSteps(ts.stack);
        // The engine's summary counts the stack too.
        expect(p.counts).to.deep.equal({ create: 2 });
        expect(p.steps.map((s) => [s.op, s.urn.split("::").pop()])).to.deep.equal([["create", "join-token"]]);
    });

    it("up writes the token Secret kubeadm's bootstrap authenticator reads", async () => {
        const up = await ts.stack.up();
        expect(up.summary.result).to.equal("succeeded");
        const now = Date.now();
        const id = up.outputs.tokenId.value;
        const [tokenIdPart, tokenSecretPart] = String(up.outputs.token.value).split(".");
        expect(`${tokenIdPart}.${tokenSecretPart}`).to.match(TOKEN_PATTERN);
        expect(tokenIdPart).to.equal(id);

        const s = await tokenSecretData(id);
        expect(s, `Secret kube-system/bootstrap-token-${id}`).to.not.equal(undefined);
        expect(s).to.include({
            type: "bootstrap.kubernetes.io/token",
            "token-id": id,
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
        });
        expect(s!["token-secret"] === tokenSecretPart, "the Secret holds the output's secret part").to.equal(true);
        expect(s!["auth-extra-groups"].split(",")).to.include(DEFAULT_GROUP);
        const expiration = Date.parse(s!.expiration);
        expect(Math.abs(expiration - (now + TTL_SECONDS * 1000))).to.be.below(60_000);
        // The Secret keeps whole seconds; the output may carry the milliseconds.
        expect(Math.abs(expiration - Date.parse(up.outputs.expiresAt.value))).to.be.below(1000);
    });

    it("the real kubeadm lists the token", async () => {
        const { tokenId, token } = await ts.stack.outputs();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-token-kubeadm-"));
        try {
            const kubeconfig = path.join(dir, "admin.conf");
            fs.writeFileSync(kubeconfig, tenant.adminKubeconfig, { mode: 0o600 });
            const kubeadm = path.join(repoRoot, "bin", "kubernetes", KUBERNETES_VERSION, "kubeadm");
            const r = spawnSync(kubeadm, ["token", "list", "--kubeconfig", kubeconfig], { encoding: "utf8" });
            expect(r.status, r.stderr).to.equal(0);
            // Column 1 is the whole token: kubeadm read the same secret part back.
            const listed = r.stdout.split("\n").map((l) => l.split(/\s+/)[0]);
            expect(listed.map((t) => t.split(".")[0])).to.include(tokenId.value);
            expect(listed.includes(token.value), "kubeadm lists the output token").to.equal(true);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("keeps the token secret in outputs and in the state file", async () => {
        const out = await ts.stack.outputs();
        expect(out.token.secret).to.equal(true);
        expect(out.tokenId.secret).to.equal(false);
        const state = rawState(ts, PROJECT);
        const tokenSecretPart = String(out.token.value).split(".")[1];
        const clientKey = (yaml.load(tenant.adminKubeconfig) as any).users[0].user["client-key-data"];
        expect(clientKey).to.be.a("string").with.length.above(100);
        // The resource is in this file (its public id), with its secrets encrypted.
        expect(state).to.include(out.tokenId.value);
        expect(state).to.include("ciphertext");
        expect(state.includes(tokenSecretPart), "the token's secret part in the state file").to.equal(false);
        expect(state.includes(clientKey), "the kubeconfig's client key in the state file").to.equal(false);
        expect(state).not.to.include("PRIVATE KEY");
    });

    it("previews no changes right after up", async () => {
        const p = await previewSteps(ts.stack);
        expect(p.counts).to.deep.equal({});
    });

    it("a new TTL replaces the token, creating the new one before deleting the old", async () => {
        const oldId = (await ts.stack.outputs()).tokenId.value;
        await ts.stack.setConfig("ttlSeconds", { value: "1200" });
        // diff() lists ttlSeconds in replaces with deleteBeforeReplace false: the new token is
        // created first and the old one deleted last (with deleteBeforeReplace the order is reversed).
        expect(await tokenSteps(ts.stack)).to.deep.equal([
            { op: "create-replacement", keys: ["ttlSeconds"] },
            { op: "replace", keys: ["ttlSeconds"] },
            { op: "delete-replaced", keys: [] },
        ]);
        expect((await previewSteps(ts.stack)).counts).to.deep.equal({ replace: 1 });

        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ replace: 1 });
        const newId = up.outputs.tokenId.value;
        expect(newId).to.not.equal(oldId);
        expect(await client.get(secretPath(oldId)), "the old token's Secret").to.equal(undefined);
        const s = await tokenSecretData(newId);
        expect(Math.abs(Date.parse(s!.expiration) - (Date.now() + 1200 * 1000))).to.be.below(60_000);
    });

    it("a token about to expire shows as a replacement in the next preview", async () => {
        await ts.stack.setConfig("ttlSeconds", { value: "60" });
        const up = await ts.stack.up();
        expect(changeCounts(up.summary.resourceChanges as any)).to.deep.equal({ replace: 1 });
        expect(await tokenSteps(ts.stack), "a fresh token").to.deep.equal([]);
        // diff() replaces a token with less than min(300 s, ttl / 4) = 15 s left.
        const due = Date.parse(up.outputs.expiresAt.value) - 15_000;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 1000));
        expect(await tokenSteps(ts.stack)).to.deep.equal([
            { op: "create-replacement", keys: ["expiresAt"] },
            { op: "replace", keys: ["expiresAt"] },
            { op: "delete-replaced", keys: [] },
        ]);
    });

    it("destroy removes the token Secret from the tenant", async () => {
        const id = (await ts.stack.outputs()).tokenId.value;
        expect(await client.get(secretPath(id))).to.not.equal(undefined);
        const res = await ts.stack.destroy();
        expect(res.summary.result).to.equal("succeeded");
        expect(await client.get(secretPath(id))).to.equal(undefined);
        const tokens = await client.list("/api/v1/namespaces/kube-system/secrets");
        expect(tokens.filter((t: any) => t.type === "bootstrap.kubernetes.io/token")).to.have.length(0);
    });
});
