// lib/kube: kubeconfig parsing (pure) and the REST client against an HTTPS server on loopback
// that requires a client certificate, as kube-apiserver does.
import { expect } from "chai";
import * as https from "https";
import { AddressInfo } from "net";
import { createCertificateAuthority, issueCertificate, CertificateAndKey } from "../../lib/pki";
import { KubeApiError, KubeClient, parseKubeconfig, resourcePath } from "../../lib/kube";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function kubeconfig(server: string, ca: string, cert: string, key: string, extra = ""): string {
    return `apiVersion: v1
kind: Config
current-context: test
clusters:
- name: c
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(ca)}
users:
- name: u
  user:
    client-certificate-data: ${b64(cert)}
    client-key-data: ${b64(key)}
${extra}contexts:
- name: test
  context: {cluster: c, user: u}
`;
}

describe("kube: kubeconfig parsing", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    it("reads server, CA and client credentials of the current context", () => {
        const c = parseKubeconfig(kubeconfig("https://127.0.0.1:6443/", pem, pem, pem));
        expect(c.server).to.equal("https://127.0.0.1:6443");
        expect(c.ca).to.equal(pem);
        expect(c.clientCertificate).to.equal(pem);
        expect(c.context).to.equal("test");
        expect(c.insecureSkipTlsVerify).to.equal(false);
    });
    it("reads a bearer token and file references", () => {
        const text = `clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority: /ca.pem}}]
users: [{name: u, user: {tokenFile: /tok}}]
contexts: [{name: only, context: {cluster: c, user: u}}]`;
        const files: Record<string, string> = { "/ca.pem": pem, "/tok": "abc\n" };
        const c = parseKubeconfig(text, undefined, (p) => files[p]);
        expect(c).to.include({ server: "https://h:1", ca: pem, token: "abc", context: "only" });
    });
    const bad: [string, string][] = [
        ["", "kubeconfig: is empty; pass the contents of the file, not its path"],
        [
            "/root/.kube/config",
            "kubeconfig: is not a kubeconfig document (expected apiVersion: v1, kind: Config); did you pass a file path instead of its contents?",
        ],
        ["a: [", "kubeconfig: is not valid YAML"],
        ["clusters: []\ncontexts: []", "kubeconfig: has no current-context; set one (kubectl config use-context NAME)"],
        [
            "current-context: x\ncontexts: []\nclusters: []",
            'kubeconfig: context "x" is not defined; check the context\'s context entry',
        ],
        [
            "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {exec: {command: aws}}}]",
            'kubeconfig: user "u" uses an exec plugin, which this client does not run; use a kubeconfig with a client certificate or token (e.g. a ServiceAccount token)',
        ],
        [
            "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: 'h:6443'}}]",
            'kubeconfig: cluster "c" has no https:// server URL',
        ],
    ];
    for (const [text, msg] of bad) {
        it(`rejects ${JSON.stringify(text.slice(0, 30))}`, () => expect(() => parseKubeconfig(text)).to.throw(msg));
    }
    it("never echoes credential values in errors", () => {
        const text = `current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {client-key-data: c2VjcmV0LWtleQ==}}]`;
        expect(() => parseKubeconfig(text))
            .to.throw(Error)
            .that.satisfies((e: Error) => !e.message.includes("secret-key") && !e.message.includes("c2VjcmV0"));
    });
    it("resourcePath builds core, group, namespaced and subresource paths", () => {
        expect(resourcePath({ version: "v1", plural: "secrets", namespace: "ns", name: "a" })).to.equal(
            "/api/v1/namespaces/ns/secrets/a",
        );
        expect(
            resourcePath({ group: "kamaji.clastix.io", version: "v1alpha1", plural: "datastores", name: "d" }),
        ).to.equal("/apis/kamaji.clastix.io/v1alpha1/datastores/d");
        expect(
            resourcePath({
                group: "kamaji.clastix.io",
                version: "v1alpha1",
                plural: "tenantcontrolplanes",
                namespace: "n",
                name: "t",
                subresource: "status",
            }),
        ).to.equal("/apis/kamaji.clastix.io/v1alpha1/namespaces/n/tenantcontrolplanes/t/status");
    });
});

describe("kube: REST client over HTTPS with a client certificate", function () {
    this.timeout(20_000);
    let server: https.Server;
    let url: string;
    let ca: CertificateAndKey;
    let client: CertificateAndKey;
    const seen: { method: string; path: string; contentType?: string; body: string; cn?: string }[] = [];
    const objects = new Map<string, any>();
    let readyAfter = 0;

    before(async () => {
        ca = await createCertificateAuthority("kube-test-ca", 1);
        const serverCert = await issueCertificate(ca, {
            commonName: "apiserver",
            ipAddresses: ["127.0.0.1"],
            usages: ["server"],
            validity: 1,
        });
        client = await issueCertificate(ca, {
            commonName: "admin",
            organizations: ["system:masters"],
            usages: ["client"],
            validity: 1,
        });
        server = https.createServer(
            {
                key: serverCert.keyPem,
                cert: serverCert.certPem,
                ca: ca.certPem,
                requestCert: true,
                rejectUnauthorized: true,
            },
            (req, res) => {
                let body = "";
                req.on("data", (d) => (body += d));
                req.on("end", () => {
                    const cn = (req.socket as any).getPeerCertificate?.()?.subject?.CN;
                    seen.push({
                        method: req.method!,
                        path: req.url!,
                        contentType: req.headers["content-type"],
                        body,
                        cn,
                    });
                    const path = req.url!.split("?")[0];
                    const send = (code: number, obj: unknown) => {
                        res.writeHead(code, { "content-type": "application/json" });
                        res.end(JSON.stringify(obj));
                    };
                    if (path === "/apis/kamaji.clastix.io/v1alpha1")
                        return send(200, { resources: [{ name: "datastores" }, { name: "tenantcontrolplanes" }] });
                    if (path === "/api/v1/namespaces/ns/configmaps" && req.method === "POST") {
                        const obj = JSON.parse(body);
                        objects.set(`${path}/${obj.metadata.name}`, obj);
                        return send(201, obj);
                    }
                    if (path === "/api/v1/namespaces/ns/configmaps" && req.method === "GET")
                        return send(200, { items: [...objects.values()] });
                    if (path === "/api/v1/forbidden")
                        return send(403, {
                            kind: "Status",
                            reason: "Forbidden",
                            message: 'configmaps is forbidden: User "x" cannot list',
                        });
                    if (path === "/api/v1/namespaces/ns/configmaps/slow") {
                        return send(200, {
                            metadata: { name: "slow" },
                            data: { ready: String(Date.now() >= readyAfter) },
                        });
                    }
                    const obj = objects.get(path);
                    if (!obj) return send(404, { kind: "Status", reason: "NotFound", message: `${path} not found` });
                    if (req.method === "PATCH") {
                        Object.assign(obj.data, JSON.parse(body).data);
                        return send(200, obj);
                    }
                    if (req.method === "DELETE") {
                        objects.delete(path);
                        return send(200, { kind: "Status", status: "Success" });
                    }
                    return send(200, obj);
                });
            },
        );
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    const newClient = () => KubeClient.fromKubeconfig(kubeconfig(url, ca.certPem, client.certPem, client.keyPem));

    it("authenticates with the client certificate and reads discovery", async () => {
        const c = newClient();
        expect(await c.servedResources("kamaji.clastix.io/v1alpha1")).to.deep.equal([
            "datastores",
            "tenantcontrolplanes",
        ]);
        expect(seen[seen.length - 1].cn).to.equal("admin");
        expect(await c.servedResources("metallb.io/v1beta1")).to.equal(undefined);
    });

    it("create / get / list / patch / delete", async () => {
        const c = newClient();
        const col = resourcePath({ version: "v1", plural: "configmaps", namespace: "ns" });
        await c.create(col, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { x: "1" } });
        expect((await c.get(`${col}/a`)).data).to.deep.equal({ x: "1" });
        expect(await c.get(`${col}/missing`)).to.equal(undefined);
        expect((await c.list(col, "app=x")).map((o) => o.metadata.name)).to.deep.equal(["a"]);
        expect(seen[seen.length - 1].path).to.equal("/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dx");
        const patched = await c.patch(`${col}/a`, { data: { y: "2" } }, "merge");
        expect(patched.data).to.deep.equal({ x: "1", y: "2" });
        expect(seen[seen.length - 1].contentType).to.equal("application/merge-patch+json");
        await c.patch(`${col}/a`, { data: {} }, "apply", { fieldManager: "hcp", force: true });
        expect(seen[seen.length - 1]).to.include({
            contentType: "application/apply-patch+yaml",
            path: "/api/v1/namespaces/ns/configmaps/a?fieldManager=hcp&force=true",
        });
        expect(await c.delete(`${col}/a`)).to.equal(true);
        expect(await c.delete(`${col}/a`)).to.equal(false);
    });

    it("reports API errors with status, reason and message", async () => {
        const err = await newClient()
            .list("/api/v1/forbidden")
            .then(
                () => undefined,
                (e) => e,
            );
        expect(err).to.be.instanceOf(KubeApiError);
        expect(err.status).to.equal(403);
        expect(err.message).to.equal(
            'GET /api/v1/forbidden: HTTP 403 Forbidden: configmaps is forbidden: User "x" cannot list',
        );
    });

    it("waitFor polls until the predicate holds", async () => {
        readyAfter = Date.now() + 600;
        const got = await newClient().waitFor(
            "/api/v1/namespaces/ns/configmaps/slow",
            (o) => o?.data?.ready === "true" && o.metadata.name,
            { intervalMs: 100, timeoutMs: 5000 },
        );
        expect(got).to.equal("slow");
    });

    it("waitFor times out naming what it waited for", async () => {
        const err = await newClient()
            .waitFor("/api/v1/namespaces/ns/configmaps/never", (o) => o, {
                intervalMs: 50,
                timeoutMs: 200,
                description: "ConfigMap ns/never",
            })
            .then(
                () => undefined,
                (e) => e,
            );
        expect(err.message).to.match(
            /^timed out after 0 s waiting for ConfigMap ns\/never \(the object does not exist yet\)$/,
        );
    });

    it("refuses a server whose certificate is not signed by the kubeconfig's CA", async () => {
        const other = await createCertificateAuthority("other-ca", 1);
        const c = KubeClient.fromKubeconfig(kubeconfig(url, other.certPem, client.certPem, client.keyPem));
        const err = await c.get("/api/v1/namespaces/ns/configmaps/a").then(
            () => undefined,
            (e) => e,
        );
        expect(err).to.be.instanceOf(KubeApiError);
        expect(err.status).to.equal(0);
        expect(err.message).to.include(`cannot reach ${url}`);
    });

    it("fails fast on a closed port", async () => {
        const c = KubeClient.fromKubeconfig(
            kubeconfig("https://127.0.0.1:1", ca.certPem, client.certPem, client.keyPem),
        );
        const err = await c.get("/version").then(
            () => undefined,
            (e) => e,
        );
        expect(err.message).to.include("ECONNREFUSED");
    });
});
