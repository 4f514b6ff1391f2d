// What a tenant's state directory records between calls: tenant.json (the flags each process was
// started with, hashed, and the ports picked) and one pid file per process.
import * as fs from "fs";
import * as path from "path";

export interface SavedState {
    name: string;
    apiArgsHash?: string;
    kcmArgsHash?: string;
    kcmPort?: number;
    schedulerArgsHash?: string;
    schedulerPort?: number;
    server?: string;
    kubernetesVersion?: string;
}

const statePath = (dir: string) => path.join(dir, "tenant.json");
export const apiPidFile = (dir: string) => path.join(dir, "kube-apiserver.pid");
export const kcmPidFile = (dir: string) => path.join(dir, "kube-controller-manager.pid");
export const schedulerPidFile = (dir: string) => path.join(dir, "kube-scheduler.pid");

export function readState(dir: string): SavedState | undefined {
    try {
        return JSON.parse(fs.readFileSync(statePath(dir), "utf8"));
    } catch {
        return undefined;
    }
}

export function writeState(dir: string, saved: SavedState): void {
    fs.writeFileSync(statePath(dir), JSON.stringify(saved, null, 2));
}
