// provider/dataStoreRelease: the delete waits out Kamaji's refusal, never deletes for real, and
// names the tenants still on the DataStore when the refusal is not a lag. Against an HTTP API on
// loopback that answers as kube-apiserver does when Kamaji's webhook refuses.
import { expect } from "chai";
import { loopbackKubeconfig } from "../support/kube";
import * as http from "http";
import * as release from "../../provider/dataStoreRelease/provider";

const REFUSAL = {
    kind: "Status",
    status: "Failure",
    reason: "Forbidden",
    code: 403,
    message:
        'admission webhook "vdatastores.kb.io" denied the request: the DataStore is used by multiple TenantControlPlanes and cannot be removed',
};

interface Seen {
    method: string;
    url: string;
}

async function fakeApi(
    refusals: number,
    tenants: object[],
): Promise<{ kubeconfig: string; seen: Seen[]; close(): void }> {
    const seen: Seen[] = [];
    let refused = 0;
    const server = http.createServer((req, res) => {
        seen.push({ method: req.method!, url: req.url! });
        res.setHeader("content-type", "application/json");
        if (req.method === "DELETE" && refused < refusals) {
            refused++;
            res.statusCode = 403;
            return res.end(JSON.stringify(REFUSAL));
        }
        if (req.method === "DELETE") return res.end(JSON.stringify({ kind: "Status", status: "Success" }));
        if (req.method === "GET" && req.url!.startsWith("/apis/kamaji.clastix.io/v1alpha1/tenantcontrolplanes"))
            return res.end(JSON.stringify({ items: tenants }));
        res.statusCode = 404;
        res.end(JSON.stringify({ kind: "Status", reason: "NotFound", message: "not found" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const kubeconfig = loopbackKubeconfig(server);
    return { kubeconfig, seen, close: () => server.close() };
}

describe("DataStoreRelease provider", function () {
    this.timeout(10_000); // each refusal is followed by a one-second pause
    it("retries the dry-run delete until Kamaji admits it, and deletes nothing itself", async () => {
        const api = await fakeApi(2, []);
        try {
            await release.delete("shared", { kubeconfig: api.kubeconfig, dataStoreName: "shared", timeoutSeconds: 30 });
            const deletes = api.seen.filter((s) => s.method === "DELETE");
            expect(deletes).to.have.length(3);
            for (const d of deletes)
                expect(d.url).to.equal("/apis/kamaji.clastix.io/v1alpha1/datastores/shared?dryRun=All");
        } finally {
            api.close();
        }
    });

    it("gives up at the deadline naming the tenants still on the DataStore", async () => {
        const tenant = { metadata: { namespace: "t1", name: "alpha" }, spec: { dataStore: "shared" } };
        const other = { metadata: { namespace: "t2", name: "beta" }, spec: { dataStore: "elsewhere" } };
        const api = await fakeApi(1000, [tenant, other]);
        try {
            const err = await release
                .delete("shared", { kubeconfig: api.kubeconfig, dataStoreName: "shared", timeoutSeconds: 0 })
                .then(
                    () => undefined,
                    (e: Error) => e,
                );
            expect(err?.message).to.match(/^DataStore shared cannot be deleted: Kamaji refuses/);
            expect(err?.message).to.include("TenantControlPlanes still on it: t1/alpha. Delete or move them first.");
            expect(err?.message).to.not.include("beta");
        } finally {
            api.close();
        }
    });

    it("fails at once on an error that waiting cannot fix", async () => {
        const api = await fakeApi(0, []);
        api.close(); // nothing listens: unreachable
        const err = await release
            .delete("x", { kubeconfig: api.kubeconfig, dataStoreName: "x", timeoutSeconds: 30 })
            .then(
                () => undefined,
                (e: Error) => e,
            );
        expect(err?.message).to.match(/cannot reach http:\/\/127\.0\.0\.1/);
    });
});
