import { expect } from "chai";
import { allocate, poolAddresses, ServiceView } from "../../lab/management/loadBalancer";

const svc = (name: string, o: Partial<ServiceView> = {}): ServiceView => ({
    namespace: "default",
    name,
    type: "LoadBalancer",
    assigned: [],
    ...o,
});

describe("lab LoadBalancer controller: address allocation", () => {
    const pool = poolAddresses("198.18.0.100-198.18.0.103");

    it("expands a pool range and refuses one that spans /24s or runs backwards", () => {
        expect(pool).to.deep.equal(["198.18.0.100", "198.18.0.101", "198.18.0.102", "198.18.0.103"]);
        expect(() => poolAddresses("198.18.0.100-198.18.1.2")).to.throw(/within one \/24/);
        expect(() => poolAddresses("198.18.0.9-198.18.0.2")).to.throw(/FIRST-LAST/);
    });

    it("gives the requested address, moving a Service off the one it had when it asks for another", () => {
        const got = allocate([svc("a", { requested: "198.18.0.102", assigned: ["198.18.0.100"] })], pool);
        expect(got.get("default/a")).to.equal("198.18.0.102");
    });

    it("keeps a Service's address, gives others the lowest free one, and ignores other Service types", () => {
        const got = allocate(
            [svc("a", { assigned: ["198.18.0.101"] }), svc("b"), svc("c", { type: "ClusterIP" })],
            pool,
        );
        expect([...got.entries()]).to.deep.equal([
            ["default/a", "198.18.0.101"],
            ["default/b", "198.18.0.100"],
        ]);
    });

    it("never hands one address to two Services; of two requesters, the one holding it keeps it", () => {
        const got = allocate(
            [
                svc("a", { requested: "198.18.0.103" }),
                svc("b", { requested: "198.18.0.103", assigned: ["198.18.0.103"] }),
            ],
            pool,
        );
        expect(got.get("default/b")).to.equal("198.18.0.103");
        expect(got.has("default/a")).to.equal(false);
    });

    it("leaves Services without an address when the pool is exhausted", () => {
        const many = ["a", "b", "c", "d", "e"].map((n) => svc(n));
        const got = allocate(many, pool);
        expect(got.size).to.equal(4);
        expect(new Set(got.values()).size).to.equal(4);
        expect(got.has("default/e")).to.equal(false);
    });
});
