/**
 * The error the components throw when their arguments are invalid: every problem at once, each
 * naming the property path, the rule and the fix.
 *
 * It is a `pulumi.InputPropertiesError` (so tools that understand that type get the structured
 * `errors` list), and its `message` spells every problem out, because a program-side error is
 * printed by the language host from its message, not from `errors`.
 */
import * as pulumi from "@pulumi/pulumi";
import { PropertyError } from "./validation";

export class ValidationError extends pulumi.InputPropertiesError {
    /** The component type and name, e.g. "HostedControlPlane team-a". */
    readonly component: string;

    constructor(component: string, errors: PropertyError[]) {
        const lines = errors.map((e) => `  - ${e.propertyPath}: ${e.reason}`);
        const n = errors.length;
        super({
            message: `Invalid arguments for ${component} (${n} problem${n === 1 ? "" : "s"}):\n${lines.join("\n")}`,
            errors,
        });
        this.name = "ValidationError";
        this.component = component;
    }
}

/** Throws a {@link ValidationError} when `errors` is not empty. */
export function throwIfInvalid(component: string, errors: PropertyError[]): void {
    if (errors.length > 0) throw new ValidationError(component, errors);
}

/**
 * True when `v` holds no Output and no Promise anywhere, i.e. its value is known while the
 * program runs, so plain-value validation can run synchronously in the constructor.
 */
export function isPlain(v: unknown, depth = 0): boolean {
    if (v === null || v === undefined) return true;
    if (pulumi.Output.isInstance(v) || v instanceof Promise) return false;
    if (depth > 8 || typeof v !== "object") return true;
    if (pulumi.Resource.isInstance(v)) return true;
    return Object.values(v as object).every((x) => isPlain(x, depth + 1));
}
