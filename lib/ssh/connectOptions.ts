// How hard the SSH client tries: dial attempts and backoff, timeouts, keepalive; and their defaults.
import { BackoffOptions } from "./retry";

export interface ConnectOptions {
    /** Dial attempts per hop (1 = no retry). Default 5. */
    dialAttempts?: number;
    /** Backoff between dial attempts. Default 500 ms × 2, at most 8 s. */
    backoff?: BackoffOptions;
    /** Per attempt: TCP connect + SSH handshake + authentication. Default 15 s. */
    attemptTimeoutMs?: number;
    /** Default timeout of each exec on the connection. Default 10 min. */
    execTimeoutMs?: number;
    /** Called before each retry (for logs and tests). */
    onRetry?: (info: { hop: string; attempt: number; delayMs: number; error: Error }) => void;
    /** Keepalive interval; default 15 s (0 = off). */
    keepaliveIntervalMs?: number;
}

export const CONNECT_DEFAULTS = {
    dialAttempts: 5,
    backoff: { baseMs: 500, factor: 2, maxMs: 8000 },
    attemptTimeoutMs: 15000,
    execTimeoutMs: 10 * 60 * 1000,
    keepaliveIntervalMs: 15000,
};
