// PreparedHost provider: runs the preparation script of ./logic over SSH (../ssh/client).
// Loaded at run time by path (provider/dynamic.ts); receives secret inputs unwrapped.
import type * as pulumi from "@pulumi/pulumi";
import { containsUnknown, PartialFailure, UNKNOWN, unknownAt } from "../dynamic";
import { KubeClient } from "../../lib/kube/client";
import { drain, setUnschedulable, waitForReadyNode } from "../kubeadm/nodeOps";
import { RolloutBudget, withinBudget } from "../kubeadm/rollout";
import { newOwner, owns, readOwner, writeOwner } from "../ownership";
import { connect, ConnectOptions, connectionSecrets, SshConnection, SshError, validateConnection } from "../../lib/ssh/client";
import { missingHostKeyFailures, pinRecordedHostKeys, redact } from "../../lib/ssh/logic";
import {
    CgroupDriver,
    changedSteps,
    Comparable,
    compare,
    joinConnection,
    normalizePrep,
    NormalizedPrep,
    parseReport,
    prepSecrets,
    PublicConnection,
    renderCleanScript,
    renderPrepareScript,
    Report,
    ReusePolicy,
    SecretConnection,
    splitConnection,
    validatePrep,
} from "./logic";

/** SSH behaviour; tests may shorten it through the environment of the provider process. */
function connectOptions(): ConnectOptions {
    const n = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
    return {
        dialAttempts: n("HCP_SSH_DIAL_ATTEMPTS", 5),
        backoff: { baseMs: n("HCP_SSH_BACKOFF_MS", 1000), factor: 2, maxMs: 15000 },
        attemptTimeoutMs: n("HCP_SSH_ATTEMPT_TIMEOUT_MS", 20000),
        execTimeoutMs: n("HCP_HOSTPREP_TIMEOUT_MS", 30 * 60 * 1000),
    };
}

/**
 * Which PreparedHost owns the host (provider/ownership.ts): written before the preparation changes
 * anything, read before a clean. Outside the preparation's own record, which the clean removes.
 */
export const OWNER_PATH = "/var/lib/hcp-owner/prepared-host.json";

/** The stored outputs. `secrets` is listed in additionalSecretOutputs. */
export interface PreparedHostOutputs {
    connection: PublicConnection;
    kubernetesVersion: string;
    containerd: {
        version: string;
        pauseImage: string;
        registryMirrors: Record<string, string[]>;
        /** Absent in states written before the field existed: the defaults then. */
        cgroupDriver?: CgroupDriver;
        restrictOOMScoreAdj?: boolean;
    };
    packageSource: NormalizedPrep["packageSource"];
    reusePolicy: ReusePolicy;
    secrets: {
        connection: SecretConnection;
        registryCredentials: NormalizedPrep["containerd"]["registryCredentials"];
        /** A bundle URL (it may carry credentials); `packageSource` holds the rest. */
        packageSourceUrl?: string;
    };
    /** The host key in use: pinned, or recorded on first use. */
    hostKey: string;
    /** The bastion's key in use (with a bastion): pinned, or recorded on first use and pinned from then on. */
    bastionHostKey?: string;
    os: string;
    osVersion: string;
    arch: string;
    preparedVersion: string;
    changedSteps: string[];
    steps: Record<string, string>;
    warnings: string[];
    /** This resource's mark on the host; absent in states written before owner records. */
    owner?: string;
    /** True when a create began preparing the host but failed: the next update prepares it again. */
    incomplete?: boolean;
}

function fromInputs(news: any): Comparable {
    const { pub, sec } = splitConnection(news.connection);
    return {
        connection: pub,
        connectionSecrets: sec,
        prep: normalizePrep(news),
        reusePolicy: news.reusePolicy ?? "retain",
    };
}

function fromOutputs(olds: PreparedHostOutputs): Comparable {
    return {
        connection: olds.connection,
        connectionSecrets: olds.secrets?.connection ?? {},
        prep: {
            kubernetesVersion: olds.kubernetesVersion,
            containerd: {
                cgroupDriver: "systemd",
                restrictOOMScoreAdj: false,
                ...olds.containerd,
                registryCredentials: olds.secrets?.registryCredentials ?? {},
            },
            // States written before the URL moved to `secrets` hold it in packageSource.
            packageSource: olds.secrets?.packageSourceUrl
                ? ({ ...olds.packageSource, url: olds.secrets.packageSourceUrl } as NormalizedPrep["packageSource"])
                : olds.packageSource,
        },
        reusePolicy: olds.reusePolicy ?? "retain",
    };
}

interface Facts {
    hostKey: string;
    bastionHostKey?: string;
    os: string;
    osVersion: string;
    arch: string;
    preparedVersion: string;
    changedSteps: string[];
    steps: Record<string, string>;
    warnings: string[];
}

function outputs(c: Comparable, f: Facts): PreparedHostOutputs {
    return {
        connection: c.connection,
        kubernetesVersion: c.prep.kubernetesVersion,
        containerd: {
            version: c.prep.containerd.version,
            pauseImage: c.prep.containerd.pauseImage,
            registryMirrors: c.prep.containerd.registryMirrors,
            cgroupDriver: c.prep.containerd.cgroupDriver,
            restrictOOMScoreAdj: c.prep.containerd.restrictOOMScoreAdj,
        },
        packageSource: withoutUrl(c.prep.packageSource),
        reusePolicy: c.reusePolicy,
        secrets: {
            connection: c.connectionSecrets,
            registryCredentials: c.prep.containerd.registryCredentials,
            ...(bundleUrl(c.prep.packageSource) ? { packageSourceUrl: bundleUrl(c.prep.packageSource) } : {}),
        },
        ...f,
    };
}

const bundleUrl = (s: NormalizedPrep["packageSource"]) => (s.kind === "bundle" ? s.url : undefined);

/** The package source as stored in plain outputs: a bundle URL lives in `secrets` instead. */
function withoutUrl(s: NormalizedPrep["packageSource"]): NormalizedPrep["packageSource"] {
    if (s.kind !== "bundle" || s.url === undefined) return s;
    const rest = { ...s };
    delete rest.url;
    return rest;
}

function where(c: Comparable): string {
    return `${c.connection.address}:${c.connection.port}`;
}

/** The host keys recorded in state (target and bastion), pinned on every later connection. */
interface Recorded {
    hostKey?: string;
    bastionHostKey?: string;
}

/**
 * Runs a rendered script as root on the host; returns the parsed report. `before` runs first on the
 * same connection; when it returns false, the script does not run and there is no report.
 */
async function runScript(
    c: Comparable,
    script: string,
    recorded: Recorded,
    what: string,
    before: (conn: SshConnection) => Promise<boolean> = async () => true,
): Promise<{ report?: Report; hostKey: string; bastionHostKey?: string }> {
    const args = pinRecordedHostKeys(
        joinConnection(c.connection, c.connectionSecrets),
        recorded.hostKey,
        recorded.bastionHostKey,
    );
    const secrets = [...connectionSecrets(args), ...prepSecrets(c.prep)];
    const conn = await connect(args, connectOptions());
    try {
        if (!(await before(conn))) return { hostKey: conn.hostKey };
        let stdout: string;
        try {
            stdout = (await conn.exec(["bash", "-s"], { stdin: script, secrets })).stdout;
        } catch (e) {
            if (e instanceof SshError && e.kind === "command") {
                const rep = parseReport(String((e.details as any).stdout ?? ""));
                if (rep.error) throw new Error(`${what} ${where(c)}: ${redact(rep.error, secrets)}`);
            }
            throw e;
        }
        const report = parseReport(stdout);
        if (!report.done)
            throw new Error(
                `${what} ${where(c)}: the script ended early without an error report; output:\n${redact(stdout, secrets)}`,
            );
        return { report, hostKey: conn.hostKey, bastionHostKey: conn.bastionHostKey };
    } finally {
        conn.close();
    }
}

/** Prepares the host; with `claim`, first records `claim.owner` on it and then calls `claim.done`. */
async function prepare(
    c: Comparable,
    recorded: Recorded = {},
    claim?: { owner: string; done: (hostKey: string) => void },
): Promise<Facts> {
    const {
        report: r,
        hostKey,
        bastionHostKey,
    } = await runScript(c, renderPrepareScript(c.prep), recorded, "preparing", async (conn) => {
        if (claim) {
            await writeOwner(conn, OWNER_PATH, { owner: claim.owner, resource: "PreparedHost" });
            claim.done(conn.hostKey);
        }
        return true;
    });
    const report = r!;
    return {
        hostKey,
        ...(bastionHostKey ? { bastionHostKey } : {}),
        os: report.facts.os ?? "",
        osVersion: report.facts.osVersion ?? "",
        arch: report.facts.arch ?? "",
        preparedVersion: report.facts.preparedVersion ?? "",
        changedSteps: changedSteps(report),
        steps: report.steps,
        warnings: report.warnings,
    };
}

/**
 * The connection with each input that is not known yet (at preview) replaced by a value its rule
 * accepts, so that validateConnection, which stops at the first problem, checks every known one.
 * An unknown credential still counts as a credential; an unknown passphrase skips the key check.
 */
function knownConnection(c: any): any {
    const k: any = { ...c };
    const unknown = (f: string) => containsUnknown(c[f]);
    if (unknown("address")) k.address = "unknown.invalid";
    if (unknown("port")) delete k.port;
    if (unknown("user")) delete k.user;
    if (unknown("hostKey")) delete k.hostKey;
    if (unknown("password")) k.password = "unknown";
    if (unknown("agent")) k.agent = "unknown";
    if (unknown("privateKey") || unknown("passphrase")) {
        delete k.privateKey;
        delete k.passphrase;
        if (c.privateKey !== undefined) k.agent ??= "unknown";
    }
    if (c.bastion === UNKNOWN) delete k.bastion;
    else if (c.bastion && typeof c.bastion === "object") k.bastion = knownConnection(c.bastion);
    return k;
}

/** Checks every input that is known; the ones not known yet (at preview) are checked at update. */
export async function check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures = validatePrep(news).filter((f) => !unknownAt(news, f.property));
    const c = news.connection;
    if (c === UNKNOWN) {
        // checked when known
    } else if (!c || typeof c !== "object") {
        failures.push({
            property: "connection",
            reason: "required: { address, user, privateKey | password | agent, hostKey }",
        });
    } else {
        try {
            validateConnection(knownConnection(c));
        } catch (e) {
            const m = /^([\w.]+): (.*)$/s.exec((e as Error).message);
            failures.push({ property: m ? m[1] : "connection", reason: m ? m[2] : (e as Error).message });
        }
        failures.push(...missingHostKeyFailures(c));
    }
    return { inputs: news, failures };
}

export async function diff(_id: string, olds: PreparedHostOutputs, news: any): Promise<pulumi.dynamic.DiffResult> {
    let n: Comparable;
    try {
        n = fromInputs(news);
    } catch {
        return { changes: true };
    }
    const changes = compare(fromOutputs(olds), n);
    const replaces = changes.some((x) => x.kind === "replace") ? ["connection"] : [];
    // Delete first: a new port may still reach the same machine, and a "clean" delete after the
    // create would remove what the create had just installed.
    return { changes: changes.length > 0, replaces, deleteBeforeReplace: true };
}

/** The property changes between stored outputs and new inputs (for logs and tests). */
export function changesOf(olds: PreparedHostOutputs, news: any) {
    return compare(fromOutputs(olds), fromInputs(news));
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const c = fromInputs(inputs);
    const owner = newOwner();
    let claimedWith: string | undefined;
    try {
        const facts = await prepare(c, undefined, { owner, done: (hostKey) => (claimedWith = hostKey) });
        return { id: where(c), outs: { ...outputs(c, facts), owner, incomplete: false } };
    } catch (e) {
        // The script may have changed the host before failing: record it, so that the next up
        // prepares it again and a clean delete undoes what it did.
        if (claimedWith === undefined) throw e;
        const none = {
            os: "",
            osVersion: "",
            arch: "",
            preparedVersion: "",
            changedSteps: [],
            steps: {},
            warnings: [],
        };
        const facts: Facts = { hostKey: claimedWith, ...none };
        throw new PartialFailure(
            `${(e as Error).message}\n(PreparedHost ${where(c)}: the preparation began and is recorded in state: ` +
                `the next \`pulumi up\` prepares the host again, a delete cleans it as reusePolicy says)`,
            where(c),
            { ...outputs(c, facts), owner, incomplete: true },
        );
    }
}

export async function read(id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
}

/** The Node a pool's host serves as (input `node`); absent for a PreparedHost used alone. */
interface NodeOfHost {
    tenantKubeconfig: string;
    nodeName: string;
    rollout: RolloutBudget;
    drainTimeoutSeconds?: number;
}

/**
 * Re-prepares the host of a joined Node within its pool's budget, drained first: new packages and
 * a containerd restart disrupt its pods as an upgrade does. Uncordoned after: a kubelet restart
 * left pending (new binary) is NodeJoin's, in its own turn of the budget.
 */
async function prepareDrained(node: NodeOfHost, run: () => Promise<Facts>): Promise<Facts> {
    const client = KubeClient.fromKubeconfig(node.tenantKubeconfig);
    return withinBudget(node.rollout, node.nodeName, async () => {
        // No Node (the host was never joined): nothing to drain.
        if (!(await setUnschedulable(client, node.nodeName, true))) return run();
        await drain(client, node.nodeName, (node.drainTimeoutSeconds ?? 300) * 1000);
        const facts = await run();
        await waitForReadyNode(client, node.nodeName, 5 * 60_000);
        await setUnschedulable(client, node.nodeName, false);
        return facts;
    });
}

export async function update(_id: string, olds: PreparedHostOutputs, news: any): Promise<pulumi.dynamic.UpdateResult> {
    const o = fromOutputs(olds);
    const n = fromInputs(news);
    const changes = compare(o, n);
    const keep = { owner: olds.owner, incomplete: false };
    if (!olds.incomplete && !changes.some((x) => x.kind === "prepare")) {
        // Only recorded state changed (reusePolicy, credentials, ...): the host is not touched.
        const hostKey = n.connection.hostKey ?? olds.hostKey;
        const bastionHostKey = n.connection.bastion ? (n.connection.bastion.hostKey ?? olds.bastionHostKey) : undefined;
        const facts = {
            hostKey,
            ...(bastionHostKey ? { bastionHostKey } : {}),
            os: olds.os,
            osVersion: olds.osVersion,
            arch: olds.arch,
            preparedVersion: olds.preparedVersion,
            changedSteps: [],
            steps: olds.steps,
            warnings: olds.warnings,
        };
        return { outs: { ...outputs(n, facts), ...keep } };
    }
    const run = () => prepare(n, olds);
    const facts = news.node ? await prepareDrained(news.node, run) : await run();
    return { outs: { ...outputs(n, facts), ...keep } };
}

/** Runs the clean-up script (reusePolicy "clean"); returns its report. Exported for tests. */
export async function clean(props: PreparedHostOutputs): Promise<Report | undefined> {
    const c = fromOutputs(props);
    // A host another PreparedHost has claimed since (the program renamed or re-addressed it) is
    // that resource's: cleaning it would remove what it relies on.
    const ours = async (conn: SshConnection) => owns(props.owner, await readOwner(conn, OWNER_PATH));
    // The owner record goes last (in the script), so a clean that fails can be retried.
    const script = `${renderCleanScript(c.prep)}\nrm -f ${OWNER_PATH}; rmdir ${OWNER_PATH.replace(/\/[^/]+$/, "")} 2>/dev/null || true\n`;
    try {
        return (await runScript(c, script, props, "cleaning", ours)).report;
    } catch (e) {
        const m = (e as Error).message;
        throw new Error(
            `${m}\nPreparedHost ${where(c)} has reusePolicy "clean" and could not be cleaned. If the host is gone or should ` +
                `be left as it is, set reusePolicy: "retain" (an update that does not touch the host) and delete again.`,
        );
    }
}

export async function delete_(_id: string, props: PreparedHostOutputs): Promise<void> {
    if ((props.reusePolicy ?? "retain") !== "clean") return;
    await clean(props);
}
export { delete_ as delete };
