// Waiting for a started process's health endpoint, failing early when the process has exited.
import { setTimeout as sleep } from "node:timers/promises";
import * as https from "https";
import { livePid, tail } from "./process";

function httpsGet(url: string, opts: https.RequestOptions): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
        const req = https.get(url, { ...opts, timeout: 3000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => resolve({ status: 0, body: "" }));
    });
}

export async function waitHealthy(
    what: string,
    url: string,
    opts: https.RequestOptions,
    pidFile: string,
    binary: string,
    logFile: string,
    timeoutMs: number,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = { status: 0, body: "" };
    for (;;) {
        last = await httpsGet(url, opts);
        if (last.status === 200) return;
        if (livePid(pidFile, binary) === undefined)
            throw new Error(`${what} exited during start-up; last log lines (${logFile}):\n${tail(logFile)}`);
        if (Date.now() > deadline) {
            throw new Error(
                `${what} not healthy after ${Math.round(timeoutMs / 1000)} s (${url}: HTTP ${last.status} ${last.body.slice(0, 300)}); see ${logFile}:\n${tail(logFile)}`,
            );
        }
        await sleep(250);
    }
}
