// Which connect failures are retried, and how long to wait in between (cockatiel's retry policy).
import { ExponentialBackoff, GeneratorFn, handleWhen, retry, RetryPolicy } from "cockatiel";
import { classifyConnectError, ErrorLike } from "./logic";

export interface BackoffOptions {
    /** delay before the 2nd attempt */
    baseMs: number;
    factor: number;
    maxMs: number;
}

/** baseMs, baseMs × factor, … capped at maxMs. (cockatiel's noJitterGenerator always doubles; we honour `factor`.) */
const exponentialNoJitter: GeneratorFn<number> = (retries = 0, o) => [
    Math.min(o.maxDelay, Math.round(o.initialDelay * Math.pow(o.exponent, retries))),
    retries + 1,
];

/**
 * Up to `attempts` tries in all, retrying dial failures only (see classifyConnectError): a wrong key
 * or password does not get right by trying again, and retries would burn sshd's MaxAuthTries.
 */
export function dialRetryPolicy(attempts: number, backoff: BackoffOptions): RetryPolicy {
    return retry(
        handleWhen((e) => classifyConnectError(e as ErrorLike) === "dial"),
        {
            maxAttempts: Math.max(1, attempts) - 1,
            backoff: new ExponentialBackoff({
                generator: exponentialNoJitter,
                initialDelay: backoff.baseMs,
                exponent: backoff.factor,
                maxDelay: backoff.maxMs,
            }),
        },
    );
}
