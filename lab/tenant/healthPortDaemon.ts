// A tenant daemon with a health port on 127.0.0.1 (kube-controller-manager, kube-scheduler):
// (re)started when it is not running or runs with other flags, on the port it had.
import { argsHash } from "./flags";
import { StartContext } from "./options";
import { freePort, livePid, portInUse, startDetached, stopPidFile } from "./process";
import { writeState } from "./state";

export interface HealthPortDaemon {
    /** The binary's name, for the log: "kube-scheduler". */
    name: string;
    binary: string;
    pidFile: string;
    logFile: string;
    /** Its flags, given its health port. */
    args(port: number | undefined): string[];
    /** Where the tenant's state records the flags' hash and the port. */
    hashKey: "kcmArgsHash" | "schedulerArgsHash";
    portKey: "kcmPort" | "schedulerPort";
}

/**
 * Starts the daemon unless it runs with these flags, on the health port it had (a free one when
 * that is taken). Records the flags' hash and the port; does not wait for it.
 */
export async function ensureHealthPortDaemon(
    c: StartContext,
    d: HealthPortDaemon,
): Promise<{ pid: number; port: number | undefined }> {
    const { o, log, saved } = c;
    let port = saved[d.portKey];
    let pid = livePid(d.pidFile, d.binary);
    if (pid === undefined && (port === undefined || (await portInUse(port)))) port = await freePort();
    const args = d.args(port);
    const hash = argsHash([d.binary, ...args]);
    if (pid !== undefined && (o.restart || saved[d.hashKey] !== hash)) {
        log(`${o.name}: restarting ${d.name}`);
        await stopPidFile(d.pidFile, d.binary);
        pid = undefined;
    }
    if (pid === undefined) {
        log(`${o.name}: starting ${d.name} (health on 127.0.0.1:${port})`);
        pid = startDetached(d.binary, args, d.pidFile, d.logFile);
    }
    saved[d.hashKey] = hash;
    saved[d.portKey] = port;
    writeState(c.dir, saved);
    return { pid, port };
}
