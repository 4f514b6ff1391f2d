// The tenant's kube-scheduler (Kamaji runs it in the control-plane pod): places the tenant's pods on
// its nodes. Its flags, and (re)starting it when it is not running or runs with other flags.
import * as path from "path";
import { argsHash } from "./flags";
import { StartContext } from "./options";
import { freePort, livePid, portInUse, startDetached, stopPidFile } from "./process";
import { schedulerPidFile, writeState } from "./state";

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

/**
 * Starts kube-scheduler unless it runs with these flags, on the health port it had (a free one
 * when that is taken). Records the flags' hash and the port; does not wait for it.
 */
export async function ensureScheduler(c: StartContext): Promise<{ pid: number; port: number | undefined }> {
    const { o, dir, log, saved } = c;
    const schedBin = schedulerBinary(c);
    let schedPort = saved.schedulerPort;
    let schedPid = livePid(schedulerPidFile(dir), schedBin);
    if (schedPid === undefined && (schedPort === undefined || (await portInUse(schedPort))))
        schedPort = await freePort();
    const schedArgs = schedulerArgs(c, schedPort);
    const schedHash = argsHash([schedBin, ...schedArgs]);
    if (schedPid !== undefined && (o.restart || saved.schedulerArgsHash !== schedHash)) {
        log(`${o.name}: restarting kube-scheduler`);
        await stopPidFile(schedulerPidFile(dir), schedBin);
        schedPid = undefined;
    }
    if (schedPid === undefined) {
        log(`${o.name}: starting kube-scheduler (health on 127.0.0.1:${schedPort})`);
        schedPid = startDetached(schedBin, schedArgs, schedulerPidFile(dir), schedulerLog(c));
    }
    saved.schedulerArgsHash = schedHash;
    saved.schedulerPort = schedPort;
    writeState(dir, saved);
    return { pid: schedPid, port: schedPort };
}

export const schedulerBinary = (c: StartContext) => path.join(c.binDir, "kube-scheduler");
export const schedulerLog = (c: StartContext) => path.join(c.dir, "logs", "kube-scheduler.log");
