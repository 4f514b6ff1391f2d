// The tenant's kube-scheduler (Kamaji runs it in the control-plane pod): places the tenant's pods on
// its nodes. Its flags, and (re)starting it when it is not running or runs with other flags.
import * as path from "path";
import { ensureHealthPortDaemon } from "./healthPortDaemon";
import { StartContext } from "./options";
import { schedulerPidFile } from "./state";

export function schedulerArgs(c: StartContext, port: number | undefined): string[] {
    const schedulerConfPath = path.join(c.dir, "scheduler.conf");
    return [
        `--kubeconfig=${schedulerConfPath}`,
        `--authentication-kubeconfig=${schedulerConfPath}`,
        `--authorization-kubeconfig=${schedulerConfPath}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
        "--leader-elect=false",
        "--profiling=false",
    ];
}

/** Starts kube-scheduler unless it runs with these flags (see ensureHealthPortDaemon). */
export function ensureScheduler(c: StartContext): Promise<{ pid: number; port: number | undefined }> {
    return ensureHealthPortDaemon(c, {
        name: "kube-scheduler",
        binary: schedulerBinary(c),
        pidFile: schedulerPidFile(c.dir),
        logFile: schedulerLog(c),
        args: (port) => schedulerArgs(c, port),
        hashKey: "schedulerArgsHash",
        portKey: "schedulerPort",
    });
}

export const schedulerBinary = (c: StartContext) => path.join(c.binDir, "kube-scheduler");
export const schedulerLog = (c: StartContext) => path.join(c.dir, "logs", "kube-scheduler.log");
