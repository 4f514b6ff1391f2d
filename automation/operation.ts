/** One CLI operation on an opened stack: progress events, the CLI's output, cancellation and lock errors. */
import * as automation from "@pulumi/pulumi/automation";
import { OperationCancelledError, parseLockError, StackLockedError } from "./errors";
import { EventMapper } from "./events";
import { isFileBackend, StackOptions } from "./stackOptions";
import { OpenedStack } from "./workspace";

/** What every Automation API operation is given. */
export interface OperationOptions {
    onEvent: (e: automation.EngineEvent) => void;
    onOutput?: (s: string) => void;
    signal?: AbortSignal;
    parallel?: number;
}

/**
 * Runs `body` with events mapped to progress events (`alsoOnEvent` sees the engine's own),
 * cancellation wired to the caller's signal, and a lock held by another update turned into
 * a StackLockedError.
 */
export async function runOperation<T>(
    what: string,
    o: OpenedStack,
    opts: StackOptions,
    hosts: Map<string, string>,
    body: (common: OperationOptions) => Promise<T>,
    alsoOnEvent: (e: automation.EngineEvent) => void = () => undefined,
): Promise<T> {
    if (opts.signal?.aborted) throw new OperationCancelledError(what, o.stackName);
    const mapper = new EventMapper(hosts);
    const onEvent = (e: automation.EngineEvent) => {
        alsoOnEvent(e);
        if (opts.onEvent) for (const pe of mapper.map(e)) opts.onEvent(pe);
    };
    // Remote backends run the update server-side: cancel it there as well.
    const cancelRemote = () => {
        if (!isFileBackend(o.backendUrl)) void o.stack.cancel().catch(() => undefined);
    };
    opts.signal?.addEventListener("abort", cancelRemote, { once: true });
    try {
        return await body({ onEvent, onOutput: opts.onOutput, signal: opts.signal, parallel: opts.parallel });
    } catch (e) {
        if (opts.signal?.aborted) throw new OperationCancelledError(what, o.stackName);
        const stderr = (e as any)?.commandResult?.stderr ?? String((e as Error)?.message ?? e);
        const holders = parseLockError(stderr);
        if (holders !== undefined) throw new StackLockedError(o.stackName, holders, stderr);
        throw e;
    } finally {
        opts.signal?.removeEventListener("abort", cancelRemote);
    }
}
