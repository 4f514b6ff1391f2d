/**
 * The errors the embedding throws, each saying what happened and what to do.
 */

/** Another operation holds the stack's lock. */
export class StackLockedError extends Error {
    constructor(
        readonly stackName: string,
        /** Who holds the lock, as the backend reports it ("root@host (pid 123) at 2026-…"), when known. */
        readonly holders: string[],
        readonly detail: string,
    ) {
        super(
            `stack "${stackName}" is locked by ${holders.length > 0 ? holders.join(", ") : "another operation in progress"}: ` +
                "another preview, deploy or destroy is running on it. Wait for it to finish; if that process is gone, " +
                "remove the stale lock with `pulumi cancel` on this stack.",
        );
        this.name = "StackLockedError";
    }
}

/** The caller aborted the operation. */
export class OperationCancelledError extends Error {
    constructor(
        readonly operation: string,
        readonly stackName: string,
    ) {
        super(
            `${operation} of stack "${stackName}" was cancelled; resources being changed at that moment may be ` +
                "recorded as pending: run the operation again (or `pulumi refresh`) to settle them.",
        );
        this.name = "OperationCancelledError";
    }
}

/** The embedding was called with options it cannot work with. */
export class EmbeddingOptionsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EmbeddingOptionsError";
    }
}

const DIY_HOLDER = /^\s*\S+: created by (\S+) \(pid (\d+)\) at (\S+)\s*$/gm;

/**
 * Recognizes the CLI's lock errors in its stderr: the file backend's ("the stack is currently locked
 * by 1 lock(s) … created by user@host (pid N) at T") and the service's ("[409] Conflict: Another
 * update is currently in progress"). Returns the holders, or undefined when it is not a lock error.
 */
export function parseLockError(stderr: string): string[] | undefined {
    if (stderr.includes("the stack is currently locked by")) {
        const holders: string[] = [];
        for (const m of stderr.matchAll(DIY_HOLDER)) holders.push(`${m[1]} (pid ${m[2]}, since ${m[3]})`);
        return holders;
    }
    if (
        /\[409\] Conflict: Another update is currently in progress/.test(stderr) ||
        /update is currently in progress/i.test(stderr)
    )
        return [];
    return undefined;
}
