/**
 * What every rule reports: a {@link PropertyError} naming the property path, the rule and the fix.
 * A validator runs its rule functions in order with one {@link Report}, so all problems are
 * reported together, in the order the arguments are read.
 */

/** One invalid argument: where it is (`network.podCidr`, `hosts[2].hostKey`) and what is wrong + how to fix it. */
export interface PropertyError {
    propertyPath: string;
    reason: string;
}

/**
 * A {@link PropertyError} thrown: the message reads "path: reason" for whoever prints it, and the
 * two parts stay apart for whoever lists problems (no message is taken apart again).
 */
export class InvalidProperty extends Error implements PropertyError {
    constructor(
        readonly propertyPath: string,
        readonly reason: string,
    ) {
        super(`${propertyPath}: ${reason}`);
        this.name = "InvalidProperty";
    }
}

/** Records one error; the rule functions of one validator share it. */
export type Report = (propertyPath: string, reason: string) => void;

/** A list to collect errors in, and the {@link Report} that adds to it. */
export function errorList(): { errors: PropertyError[]; err: Report } {
    const errors: PropertyError[] = [];
    return { errors, err: (propertyPath, reason) => void errors.push({ propertyPath, reason }) };
}

/** A TCP port: a whole number from 1 to 65535. */
export const isPort = (p: unknown) => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
