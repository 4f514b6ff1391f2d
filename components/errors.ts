/**
 * The error the components throw when their arguments are invalid: every problem at once, each
 * naming the property path, the rule and the fix.
 *
 * It is a `pulumi.InputPropertiesError` (so tools that understand that type get the structured
 * `errors` list), and its `message` spells every problem out, because a program-side error is
 * printed by the language host from its message, not from `errors`.
 */
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "util";
import { PropertyError } from "./validation";

export class ValidationError extends pulumi.InputPropertiesError {
    /** The component type and name, e.g. "HostedControlPlane team-a". */
    readonly component: string;
    /** The component the problems are reported on (the stack when undefined). */
    readonly resource: pulumi.Resource | undefined;
    readonly hideStack = true;

    constructor(component: string, errors: PropertyError[], resource?: pulumi.Resource) {
        const lines = errors.map((e) => `  - ${e.propertyPath}: ${e.reason}`);
        const n = errors.length;
        const message = `Invalid arguments for ${component} (${n} problem${n === 1 ? "" : "s"}):\n${lines.join("\n")}`;
        super({ message, errors });
        this.name = "ValidationError";
        this.component = component;
        this.resource = resource;
        // The SDK prints an error it recognises as a ResourceError as its message, on its resource.
        // Any other error from an Output it prints with util.inspect, which took minutes on ours in
        // Pulumi.yaml projects (ts-node's source maps), so the preview seemed to hang.
        (this as any).__pulumResourceError = true;
        // The message stays as written: the SDK would prefix `error serializing property "…": ` to
        // it for every input the rejected Output passes through, burying the sentence.
        Object.defineProperty(this, "message", { get: () => message, set: () => undefined });
    }

    /**
     * What `util.inspect` shows: the message. The SDK's run script inspects every uncaught error
     * for its trace span, and walking the component resource in `resource` took 20 s and more.
     */
    [inspect.custom](): string {
        return `${this.name}: ${this.message}`;
    }
}

/**
 * Throws a {@link ValidationError} on `resource` when `errors` is not empty. For checks that run in
 * a constructor; inside an Output use {@link rejectIfInvalid}.
 * @internal
 */
export function throwIfInvalid(component: string, errors: PropertyError[], resource?: pulumi.Resource): void {
    if (errors.length > 0) throw new ValidationError(component, errors, resource);
}

/**
 * Fails the Output being computed with a {@link ValidationError} on `resource` when `errors` is
 * not empty. The error is {@link reported}, so no run can miss it.
 * @internal
 */
export function rejectIfInvalid(component: string, errors: PropertyError[], resource?: pulumi.Resource): void {
    if (errors.length > 0) throw outputError(component, errors, resource);
}

/**
 * The {@link ValidationError} to throw inside an Output, {@link reported}.
 * @internal
 */
export function outputError(component: string, errors: PropertyError[], resource?: pulumi.Resource): ValidationError {
    return reported(new ValidationError(component, errors, resource));
}

/**
 * The language host's run script (`pulumi preview` or `up` of a project) rather than an
 * Automation API inline program in the caller's process.
 */
const underLanguageHost = /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run([\\/]|$)/.test(process.argv[1] ?? "");
const logged = new WeakSet<Error>();

/**
 * An error that fails an Output, made sure to fail the run. The SDK learns of it only from the
 * process's `unhandledRejection` event. The run script listens for that until the process exits.
 * An inline program's run stops listening when its last RPC is done, which can come before the
 * event: the preview then passed without the error (seen in CI). So in an inline run the error is
 * also logged on its resource, which fails the run whatever the timing (the SDK may report it too).
 */
function reported(e: ValidationError): ValidationError {
    if (!underLanguageHost && !logged.has(e)) {
        logged.add(e);
        void pulumi.log.error(e.message, e.resource);
    }
    return e;
}

/**
 * Runs a check that may fail after the program started (it reads the management cluster, parses a
 * kubeconfig...): any error becomes a {@link ValidationError} on `resource`, naming `property`.
 * @internal
 */
export async function checkedOn<T>(
    resource: pulumi.Resource,
    component: string,
    property: string,
    check: () => T | Promise<T>,
): Promise<T> {
    try {
        return await check();
    } catch (e) {
        if (e instanceof ValidationError) {
            throw reported(e.resource ? e : new ValidationError(e.component, e.errors as PropertyError[], resource));
        }
        const m = e instanceof Error ? e.message : String(e);
        const reason = m.startsWith(`${property}: `) ? m.slice(property.length + 2) : m;
        throw reported(new ValidationError(component, [{ propertyPath: property, reason }], resource));
    }
}

/**
 * True when `v` holds no Output and no Promise anywhere, i.e. its value is known while the
 * program runs, so plain-value validation can run synchronously in the constructor.
 * @internal
 */
export function isPlain(v: unknown, depth = 0): boolean {
    if (v === null || v === undefined) return true;
    if (pulumi.Output.isInstance(v) || v instanceof Promise) return false;
    if (depth > 8 || typeof v !== "object") return true;
    if (pulumi.Resource.isInstance(v)) return true;
    return Object.values(v as object).every((x) => isPlain(x, depth + 1));
}
