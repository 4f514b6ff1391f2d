// NodeJoin on a host that already holds Kubernetes node state but no kubelet.conf, over real SSH:
// state left by something else (another cluster's node) is never reset without the user's
// resetForeignState; state left by an interrupted join of this package (its marker) is.
// A recording kubeadm stand-in on the host shows whether `kubeadm reset` ran.
import { expect } from "chai";
import * as nodejoin from "../../provider/kubeadm/provider";
import { JOIN_MARKER } from "../../provider/kubeadm/hostPaths";
import { HostLab, TestHost } from "../support/hosts";
import { labIp } from "../support/labNet";
import { rejection } from "../support/rejection";

/** Records its calls; `reset` removes the node state the way kubeadm reset does. */
const KUBEADM_STANDIN = `#!/bin/sh
echo "kubeadm $*" >> /var/log/kubeadm-calls
if [ "$1" = reset ]; then rm -rf /etc/kubernetes/pki /var/lib/kubelet/config.yaml /etc/kubernetes/bootstrap-kubelet.conf; fi
exit 0
`;

/** A tenant nothing answers on: the join stops at minting its token, after the reset decision. */
const UNREACHABLE_TENANT = `apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: c, context: {cluster: t, user: u}}]
current-context: c
`;

describe("NodeJoin never resets another cluster's node state without being told to", function () {
    this.timeout(5 * 60 * 1000);
    const lab = new HostLab();
    let host: TestHost;

    const inputs = (extra: any = {}) => ({
        connection: { address: host.address, privateKey: host.privateKey, hostKey: host.hostKey },
        tenantKubeconfig: UNREACHABLE_TENANT,
        apiEndpoint: "127.0.0.1:9",
        caCertHash: "sha256:" + "0".repeat(64),
        kubernetesVersion: "v1.34.4",
        nodeName: "foreign-1",
        ...extra,
    });
    const calls = async () => ((await lab.readFile(host.name, "/var/log/kubeadm-calls")) ?? "").trim();

    before(async () => {
        host = await lab.create("t-foreign-1", labIp(151));
        await lab.writeFile(host.name, "/usr/local/sbin/kubeadm", KUBEADM_STANDIN, "0755");
    });
    after(() => lab.dispose());
    beforeEach(async () => {
        await lab.sh(host.name, `rm -f /var/log/kubeadm-calls ${JOIN_MARKER}`);
        await lab.writeFile(host.name, "/etc/kubernetes/pki/ca.crt", "another cluster's CA\n");
        await lab.writeFile(host.name, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n");
    });

    it("refuses the join, naming the files and resetForeignState, and leaves the host as it is", async () => {
        const e = await rejection(nodejoin.create(inputs()));
        expect(e.message).to.equal(
            `host ${host.address} holds Kubernetes node state (/etc/kubernetes/pki/ca.crt, /var/lib/kubelet/config.yaml) ` +
                "but no /etc/kubernetes/kubelet.conf and no sign of an interrupted join by this package: it may be a node of " +
                "another cluster, so it was left as it is and not joined. If the host may be wiped, set resetForeignState: true " +
                "for it (WorkerPool: hosts[i].resetForeignState or the pool's resetForeignState) and run again: the join then " +
                "runs `kubeadm reset -f` first; otherwise take the host out of the pool",
        );
        expect(await calls()).to.equal("");
        expect(await lab.readFile(host.name, "/etc/kubernetes/pki/ca.crt")).to.equal("another cluster's CA\n");
    });

    it("with resetForeignState: true, resets the host before joining", async () => {
        const e = await rejection(nodejoin.create(inputs({ resetForeignState: true })));
        // It got past the reset to the tenant, which does not answer.
        expect(e.message).not.to.include("resetForeignState");
        expect(await calls()).to.match(/^kubeadm reset -f --cri-socket /);
        expect(await lab.readFile(host.name, "/etc/kubernetes/pki/ca.crt")).to.equal(undefined);
    });

    it("resets without asking what an interrupted join of its own left (the marker is there)", async () => {
        await lab.writeFile(host.name, JOIN_MARKER, "foreign-1\n");
        await rejection(nodejoin.create(inputs()));
        expect(await calls()).to.match(/^kubeadm reset -f --cri-socket /);
    });

    it("check refuses a resetForeignState that is not a boolean", async () => {
        const r = await nodejoin.check({}, inputs({ resetForeignState: "yes" }));
        expect(r.failures).to.deep.include({
            property: "resetForeignState",
            reason: 'must be true or false (got "yes")',
        });
    });
});
