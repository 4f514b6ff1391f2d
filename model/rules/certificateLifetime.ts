/**
 * Certificate lifetimes: when one is near its end, and when a certificate the package minted is to
 * be renewed. Renewal is never automatic: a preview warns inside the window, the review gates on it,
 * and the user renews by a reviewed change (`rotateBefore`, or a new certificate of their own).
 */
import { PropertyError } from "./propertyError";

/** Warn this many days before a certificate expires, unless `expiryWarningDays` says otherwise. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 86_400_000;

/** Whole days left until `notAfter` (negative once it has passed). */
export function daysLeft(notAfter: Date, now: Date): number {
    return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** The certificate ends inside the warning window (or has ended). */
export function expiresWithin(notAfter: Date, now: Date, windowDays: number): boolean {
    return notAfter.getTime() - now.getTime() <= windowDays * DAY_MS;
}

/**
 * The warning for a certificate inside the window, naming the property, the date and the fix;
 * undefined outside it.
 */
export function expiryWarning(
    propertyPath: string,
    notAfter: Date,
    now: Date,
    windowDays: number,
    fix: string,
): string | undefined {
    if (!expiresWithin(notAfter, now, windowDays)) return undefined;
    const left = daysLeft(notAfter, now);
    const when = left < 0 ? `expired ${-left} day(s) ago` : `expires in ${left} day(s)`;
    return `${propertyPath}: the certificate ${when} (notAfter ${notAfter.toISOString()}, inside the ${windowDays}-day warning window): ${fix}`;
}

/** `expiryWarningDays`: a whole number of days, 1 to 3650. */
export function warningDaysProblem(days: unknown, propertyPath = "expiryWarningDays"): PropertyError | undefined {
    if (days === undefined) return undefined;
    if (typeof days === "number" && Number.isInteger(days) && days >= 1 && days <= 3650) return undefined;
    return {
        propertyPath,
        reason: `must be a whole number of days from 1 to 3650 (how long before expiry a preview warns); got ${JSON.stringify(days)}`,
    };
}

/** `rotateBefore`: an RFC 3339 instant, e.g. "2027-01-01T00:00:00Z". */
export function rotateBeforeProblem(value: unknown, propertyPath = "rotateBefore"): PropertyError | undefined {
    if (value === undefined) return undefined;
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    if (typeof value === "string" && rfc3339.test(value) && !Number.isNaN(Date.parse(value))) return undefined;
    return {
        propertyPath,
        reason: `must be an RFC 3339 instant such as "2027-01-01T00:00:00Z" (a minted certificate issued before it is renewed); got ${JSON.stringify(value)}`,
    };
}

/**
 * A minted certificate issued before `rotateBefore` is due for renewal. X.509 times have whole
 * seconds, so one minted at `rotateBefore` itself may read a second earlier: that one is not due.
 */
export function rotationDue(issuedAt: Date, rotateBefore: string | undefined): boolean {
    return rotateBefore !== undefined && issuedAt.getTime() + 1000 < Date.parse(rotateBefore);
}
