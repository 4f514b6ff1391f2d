// The tenant's kube-apiserver: its flags, and (re)starting it when it is not running or runs with
// other flags.
import * as path from "path";
import { argsHash, filterManaged } from "./flags";
import { StartContext } from "./options";
import { TenantPkiPaths } from "./pki";
import { livePid, portInUse, startDetached, stopPidFile } from "./process";
import { apiPidFile, kcmPidFile, writeState } from "./state";

/** The flags Kamaji sets, plus the lab's loopback binding, then the user's. */
export function apiServerArgs(c: StartContext, p: TenantPkiPaths): string[] {
    const { o, bind, dir } = c;
    const args = [
        `--advertise-address=${bind}`,
        `--bind-address=${bind}`,
        `--secure-port=${o.apiPort}`,
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        `--enable-admission-plugins=${[...new Set([...(o.admissionPlugins ?? []), "NodeRestriction"])].join(",")}`,
        "--enable-bootstrap-token-auth=true",
        `--client-ca-file=${p.caCrt}`,
        `--tls-cert-file=${p.apiserverCrt}`,
        `--tls-private-key-file=${p.apiserverKey}`,
        `--kubelet-client-certificate=${p.kubeletClientCrt}`,
        `--kubelet-client-key=${p.kubeletClientKey}`,
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        `--etcd-servers=${c.endpoints.join(",")}`,
        `--etcd-prefix=${o.etcdPrefix.replace(/\/+$/, "")}`,
        `--etcd-cafile=${p.etcdCa}`,
        `--etcd-certfile=${p.etcdCrt}`,
        `--etcd-keyfile=${p.etcdKey}`,
        "--etcd-compaction-interval=0",
        `--service-cluster-ip-range=${o.serviceCidr}`,
        `--service-account-issuer=https://kubernetes.default.svc.${c.clusterDomain}`,
        `--service-account-key-file=${p.saPub}`,
        `--service-account-signing-key-file=${p.saKey}`,
        `--cert-dir=${path.join(dir, "apiserver-certs")}`,
        "--profiling=false",
    ];
    args.push(...filterManaged(o.extraApiServerArgs, args));
    return args;
}

/**
 * Starts kube-apiserver unless it runs with these flags; a restart stops the controller-manager
 * first (it is started again after). Records the flags' hash; returns the pid.
 */
export async function ensureApiServer(c: StartContext, p: TenantPkiPaths): Promise<number> {
    const { o, dir, log, saved } = c;
    const apiBin = apiServerBinary(c);
    const apiArgs = apiServerArgs(c, p);
    const apiHash = argsHash([apiBin, ...apiArgs]);
    let apiPid = livePid(apiPidFile(dir), apiBin);
    if (apiPid !== undefined && (o.restart || saved.apiArgsHash !== apiHash)) {
        log(`${o.name}: restarting kube-apiserver (${o.restart ? "restart requested" : "flags changed"})`);
        await stopPidFile(kcmPidFile(dir), path.join(c.binDir, "kube-controller-manager"));
        await stopPidFile(apiPidFile(dir), apiBin);
        apiPid = undefined;
    }
    if (apiPid === undefined) {
        if (await portInUse(o.apiPort, c.bind))
            throw new Error(`apiPort: ${c.bind}:${o.apiPort} is already in use by another process; pick a free port`);
        log(`${o.name}: starting kube-apiserver on ${c.server}`);
        apiPid = startDetached(apiBin, apiArgs, apiPidFile(dir), apiServerLog(c));
    }
    saved.apiArgsHash = apiHash;
    saved.server = c.server;
    saved.kubernetesVersion = o.kubernetesVersion;
    writeState(dir, saved);
    return apiPid;
}

export const apiServerBinary = (c: StartContext) => path.join(c.binDir, "kube-apiserver");
export const apiServerLog = (c: StartContext) => path.join(c.dir, "logs", "kube-apiserver.log");
