import { expect } from "chai";
import * as net from "net";
import { freePort, portInUse } from "../../lab/tenant/process";

/** A listener on host:0 and its port. */
async function listener(host: string): Promise<{ port: number; close: () => Promise<void> }> {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, host, r));
    return {
        port: (srv.address() as net.AddressInfo).port,
        close: () => new Promise<void>((r) => srv.close(() => r())),
    };
}

describe("lab ports", () => {
    it("a port someone listens on is in use, and free again once they stop", async () => {
        const l = await listener("127.0.0.1");
        expect(await portInUse(l.port)).to.equal(true);
        await l.close();
        expect(await portInUse(l.port)).to.equal(false);
    });

    it("a listener on every address holds the port on loopback too", async () => {
        const l = await listener("0.0.0.0");
        try {
            expect(await portInUse(l.port, "127.0.0.1")).to.equal(true);
        } finally {
            await l.close();
        }
    });

    it("freePort hands out a port nobody holds", async () => {
        expect(await portInUse(await freePort())).to.equal(false);
    });
});
