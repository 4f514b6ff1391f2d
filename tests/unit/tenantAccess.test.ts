import { expect } from "chai";
import { adminAllowed, waitForAdminAccess } from "../../components/tenantAccess";
import { KubeApiError } from "../../lib/kube";

/** A client whose SelfSubjectAccessReview answers come from `answers`, one per call (the last repeats). */
function fakeClient(answers: (boolean | Error)[]) {
    const calls: any[] = [];
    return {
        calls,
        async request(method: string, path: string, opts: any) {
            calls.push({ method, path, body: opts.body });
            const a = answers[Math.min(calls.length - 1, answers.length - 1)];
            if (a instanceof Error) throw a;
            return { status: { allowed: a } };
        },
    };
}

describe("tenant admin access (Kamaji reports Ready before the admin group is bound)", () => {
    it("asks the tenant whether its user may do everything", async () => {
        const c = fakeClient([true]);
        expect(await adminAllowed(c as any)).to.equal(true);
        expect(c.calls[0].method).to.equal("POST");
        expect(c.calls[0].path).to.equal("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
        expect(c.calls[0].body.spec.resourceAttributes).to.deep.equal({ verb: "*", group: "*", resource: "*" });
    });

    it("waits through refusals and unreachable moments until the admin is allowed", async () => {
        const c = fakeClient([false, new Error("connect ECONNREFUSED"), false, true]);
        await waitForAdminAccess("", "HostedControlPlane t", 5_000, c as any, 1);
        expect(c.calls).to.have.length(4);
    });

    it("does not wait on a kubeconfig that names no server (the tenant provider reports it)", async () => {
        await waitForAdminAccess("apiVersion: v1\nkind: Config\nclusters: []\n", "HostedControlPlane t", 10);
    });

    it("stops waiting, without failing, on a tenant that does not answer at all", async () => {
        const unreachable = new KubeApiError(
            "POST",
            "/x",
            0,
            "cannot reach https://192.0.2.1:6443",
            "connect ETIMEDOUT",
        );
        const c = fakeClient([unreachable]);
        await waitForAdminAccess("", "HostedControlPlane t", 5_000, c as any, 1, 20);
        expect(c.calls.length).to.be.greaterThan(1);
    });

    it("fails after the timeout, naming the component, the last reason and what to check", async () => {
        const c = fakeClient([false]);
        const err = await waitForAdminAccess("", "HostedControlPlane t", 20, c as any, 5).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.match(
            /^HostedControlPlane t: the tenant's admin kubeconfig was not granted cluster-admin/,
        );
        expect(err?.message).to.include("kubeadm:cluster-admins");
    });
});
