// The tenant's kube-controller-manager: signs kubelet CSRs with the tenant CA, runs bootstrapsigner
// and tokencleaner. Its flags, and (re)starting it when it is not running or runs with other flags.
import * as path from "path";
import { filterManaged } from "./flags";
import { ensureHealthPortDaemon } from "./healthPortDaemon";
import { StartContext } from "./options";
import { TenantPkiPaths } from "./pki";
import { kcmPidFile } from "./state";

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

/** Starts kube-controller-manager unless it runs with these flags (see ensureHealthPortDaemon). */
export function ensureControllerManager(
    c: StartContext,
    p: TenantPkiPaths,
): Promise<{ pid: number; port: number | undefined }> {
    return ensureHealthPortDaemon(c, {
        name: "kube-controller-manager",
        binary: controllerManagerBinary(c),
        pidFile: kcmPidFile(c.dir),
        logFile: controllerManagerLog(c),
        args: (port) => controllerManagerArgs(c, p, port),
        hashKey: "kcmArgsHash",
        portKey: "kcmPort",
    });
}

export const controllerManagerBinary = (c: StartContext) => path.join(c.binDir, "kube-controller-manager");
export const controllerManagerLog = (c: StartContext) => path.join(c.dir, "logs", "kube-controller-manager.log");
