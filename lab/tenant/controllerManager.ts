// The tenant's kube-controller-manager: signs kubelet CSRs with the tenant CA, runs bootstrapsigner
// and tokencleaner. Its flags, and (re)starting it when it is not running or runs with other flags.
import * as path from "path";
import { argsHash, filterManaged } from "./flags";
import { StartContext } from "./options";
import { TenantPkiPaths } from "./pki";
import { freePort, livePid, portInUse, startDetached, stopPidFile } from "./process";
import { kcmPidFile, writeState } from "./state";

export function controllerManagerArgs(c: StartContext, p: TenantPkiPaths, port: number | undefined): string[] {
    const { o, dir } = c;
    const kcmConfPath = path.join(dir, "controller-manager.conf");
    const args = [
        `--kubeconfig=${kcmConfPath}`,
        `--authentication-kubeconfig=${kcmConfPath}`,
        `--authorization-kubeconfig=${kcmConfPath}`,
        `--bind-address=127.0.0.1`,
        `--secure-port=${port}`,
        `--cert-dir=${path.join(dir, "controller-manager-certs")}`,
        "--controllers=*,bootstrapsigner,tokencleaner",
        `--cluster-name=${o.name}`,
        `--cluster-signing-cert-file=${p.caCrt}`,
        `--cluster-signing-key-file=${p.caKey}`,
        `--client-ca-file=${p.caCrt}`,
        `--root-ca-file=${p.caCrt}`,
        `--service-account-private-key-file=${p.saKey}`,
        "--use-service-account-credentials=true",
        `--service-cluster-ip-range=${o.serviceCidr}`,
        `--cluster-cidr=${o.podCidr}`,
        "--allocate-node-cidrs=true",
        "--leader-elect=false",
        "--profiling=false",
    ];
    args.push(...filterManaged(o.extraControllerManagerArgs, args));
    return args;
}

/**
 * Starts kube-controller-manager unless it runs with these flags, on the health port it had (a
 * free one when that is taken). Records the flags' hash and the port; does not wait for it.
 */
export async function ensureControllerManager(
    c: StartContext,
    p: TenantPkiPaths,
): Promise<{ pid: number; port: number | undefined }> {
    const { o, dir, log, saved } = c;
    const kcmBin = controllerManagerBinary(c);
    let kcmPort = saved.kcmPort;
    let kcmPid = livePid(kcmPidFile(dir), kcmBin);
    if (kcmPid === undefined && (kcmPort === undefined || (await portInUse(kcmPort)))) kcmPort = await freePort();
    const kcmArgs = controllerManagerArgs(c, p, kcmPort);
    const kcmHash = argsHash([kcmBin, ...kcmArgs]);
    if (kcmPid !== undefined && (o.restart || saved.kcmArgsHash !== kcmHash)) {
        log(`${o.name}: restarting kube-controller-manager`);
        await stopPidFile(kcmPidFile(dir), kcmBin);
        kcmPid = undefined;
    }
    if (kcmPid === undefined) {
        log(`${o.name}: starting kube-controller-manager (health on 127.0.0.1:${kcmPort})`);
        kcmPid = startDetached(kcmBin, kcmArgs, kcmPidFile(dir), controllerManagerLog(c));
    }
    saved.kcmArgsHash = kcmHash;
    saved.kcmPort = kcmPort;
    writeState(dir, saved);
    return { pid: kcmPid, port: kcmPort };
}

export const controllerManagerBinary = (c: StartContext) => path.join(c.binDir, "kube-controller-manager");
export const controllerManagerLog = (c: StartContext) => path.join(c.dir, "logs", "kube-controller-manager.log");
