/**
 * Detached processes with pid files: started in their own session (so they outlive the caller and
 * can be stopped as a group), stdout/stderr to a log file, stopped with TERM then KILL.
 * A pid file is trusted only when /proc/<pid>/cmdline still names the binary, so a recycled pid
 * is never signalled.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

export function readPid(pidFile: string): number | undefined {
    try {
        const n = Number(fs.readFileSync(pidFile, "utf8").trim());
        return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
        return undefined;
    }
}

/** The pid recorded in `pidFile` when that process is alive and runs `binary`. */
export function livePid(pidFile: string, binary: string): number | undefined {
    const pid = readPid(pidFile);
    if (pid === undefined) return undefined;
    try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (/\) Z /.test(stat)) return undefined; // a zombie is not running
        return path.basename(cmdline[0] ?? "") === path.basename(binary) ? pid : undefined;
    } catch {
        return undefined;
    }
}

export function startDetached(
    binary: string,
    args: string[],
    pidFile: string,
    logFile: string,
    env: NodeJS.ProcessEnv = process.env,
): number {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const out = fs.openSync(logFile, "a");
    try {
        const child = spawn(binary, args, { detached: true, stdio: ["ignore", out, out], env });
        if (child.pid === undefined) throw new Error(`${binary}: could not be started (is it executable?)`);
        child.on("error", () => undefined);
        child.unref();
        fs.writeFileSync(pidFile, `${child.pid}\n`);
        return child.pid;
    } finally {
        fs.closeSync(out);
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return !/\) Z /.test(stat);
    } catch {
        return false;
    }
}

/** TERM the recorded process (and its process group), KILL after `graceMs`, remove the pid file. */
export async function stopPidFile(pidFile: string, binary: string, graceMs = 10_000): Promise<boolean> {
    const pid = livePid(pidFile, binary);
    let stopped = false;
    if (pid !== undefined) {
        const signal = (sig: NodeJS.Signals) => {
            try {
                process.kill(-pid, sig); // the process group started with setsid
            } catch {
                try {
                    process.kill(pid, sig);
                } catch {
                    /* gone */
                }
            }
        };
        signal("SIGTERM");
        const deadline = Date.now() + graceMs;
        while (alive(pid) && Date.now() < deadline) await sleep(100);
        if (alive(pid)) {
            signal("SIGKILL");
            while (alive(pid)) await sleep(50);
        }
        stopped = true;
    }
    fs.rmSync(pidFile, { force: true });
    return stopped;
}

/**
 * True when host:port cannot be listened on because another socket holds it. A bind test rather
 * than a connect: a connect to a free port in the ephemeral range can, rarely, connect to itself
 * and make a free port look taken.
 */
export function portInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRINUSE"));
        srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(false)));
    });
}

export function freePort(host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, host, () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}
