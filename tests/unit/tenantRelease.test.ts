// provider/tenantRelease: the delete waits for the tenant to go, then releases Kamaji's finalizer on
// the tenant's DataStore Secret and deletes it; a tenant that stays is named and its Secret kept.
// Against an HTTP API on loopback that answers as kube-apiserver does.
import { expect } from "chai";
import { loopbackKubeconfig } from "../support/kube";
import * as http from "http";
import * as release from "../../provider/tenantRelease/provider";

interface Seen {
    method: string;
    url: string;
    body: string;
}

const TENANT = "/apis/kamaji.clastix.io/v1alpha1/namespaces/default/tenantcontrolplanes/team-a";
const SECRET = "/api/v1/namespaces/default/secrets/team-a-datastore-config";

/** An API where the tenant answers `tenantPolls` more GETs before it is gone, and its Secret holds `finalizers`. */
async function fakeApi(tenantPolls: number, finalizers: string[] | undefined) {
    const seen: Seen[] = [];
    let polls = 0;
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            seen.push({ method: req.method!, url: req.url!, body });
            res.setHeader("content-type", "application/json");
            const notFound = () => {
                res.statusCode = 404;
                res.end(JSON.stringify({ kind: "Status", reason: "NotFound", code: 404, message: "not found" }));
            };
            if (req.url === TENANT && polls++ < tenantPolls)
                return res.end(JSON.stringify({ metadata: { name: "team-a" } }));
            if (req.url === TENANT) return notFound();
            if (req.url?.startsWith(SECRET) && finalizers !== undefined)
                return res.end(JSON.stringify({ metadata: { name: "team-a-datastore-config", finalizers } }));
            notFound();
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const kubeconfig = loopbackKubeconfig(server);
    return { kubeconfig, seen, close: () => server.close() };
}

const props = (kubeconfig: string, timeoutSeconds = 30) => ({
    kubeconfig,
    namespace: "default",
    tenantName: "team-a",
    timeoutSeconds,
});

describe("TenantRelease provider", function () {
    this.timeout(10_000); // each poll of a tenant still there is followed by a one-second pause
    it("waits for the tenant to go, then removes Kamaji's finalizer from its DataStore Secret and deletes it", async () => {
        const api = await fakeApi(2, ["other/keep", release.DATASTORE_SECRET_FINALIZER]);
        try {
            await release.delete("default/team-a", props(api.kubeconfig));
            const writes = api.seen.filter((s) => s.method !== "GET");
            expect(api.seen.filter((s) => s.url === TENANT)).to.have.length(3);
            expect(writes.map((s) => `${s.method} ${s.url}`)).to.deep.equal([`PATCH ${SECRET}`, `DELETE ${SECRET}`]);
            expect(JSON.parse(writes[0].body)).to.deep.equal({ metadata: { finalizers: ["other/keep"] } });
        } finally {
            api.close();
        }
    });

    it("changes nothing when Kamaji removed the Secret itself", async () => {
        const api = await fakeApi(0, undefined);
        try {
            await release.delete("default/team-a", props(api.kubeconfig));
            expect(api.seen.filter((s) => s.method !== "GET")).to.deep.equal([]);
        } finally {
            api.close();
        }
    });

    it("fails naming a tenant that is still there at the deadline, and leaves its Secret alone", async () => {
        const api = await fakeApi(1000, [release.DATASTORE_SECRET_FINALIZER]);
        try {
            let error: Error | undefined;
            await release.delete("default/team-a", props(api.kubeconfig, 1)).catch((e) => (error = e));
            expect(error?.message).to.match(/TenantControlPlane default\/team-a is still there after 1 s/);
            expect(api.seen.filter((s) => s.method !== "GET")).to.deep.equal([]);
        } finally {
            api.close();
        }
    });

    it("replaces only when the tenant it guards changes", async () => {
        const olds = props("k");
        expect((await release.diff("id", olds, { ...olds })).changes).to.equal(false);
        expect((await release.diff("id", olds, { ...olds, tenantName: "team-b" })).replaces).to.deep.equal([
            "tenantName",
        ]);
    });
});
