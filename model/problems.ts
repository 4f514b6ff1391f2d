/**
 * Structural problems of plain input, from a zod schema's issues: one {@link PropertyError} per
 * problem, the path written as a user would (`workerPools[0].hosts[1].address`, "(top level)" for
 * the input itself), the reason saying what the value must be and what it was.
 */
import { z } from "zod";
import { PropertyError } from "./rules/propertyError";

/** `a.b[0].c` from a zod path, after `prefix`. */
export function pathText(path: readonly PropertyKey[], prefix = ""): string {
    let out = prefix;
    for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
    return out;
}

/** What a value is, in words: "a number", "a list", "null". */
export function kindOf(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "an object";
    return `a ${typeof v}`;
}

const EXPECTED: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    object: "an object",
    record: "an object",
    array: "a list",
};

/**
 * A strict object schema: a field it does not know is a problem that lists the fields it knows
 * (a typo shows next to the right spelling).
 */
export function fields<T extends z.ZodRawShape>(shape: T) {
    const known = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (iss) =>
            iss.code === "unrecognized_keys" ? `is not a known field; known fields here: ${known}` : undefined,
    });
}

/** The problems of one failed parse, in the order zod found them; one per unknown field. */
export function problemsOf(error: z.ZodError, prefix = ""): PropertyError[] {
    const out: PropertyError[] = [];
    for (const iss of error.issues) {
        const at = (extra: PropertyKey[] = []) => pathText([...iss.path, ...extra], prefix) || "(top level)";
        const input = (iss as { input?: unknown }).input;
        switch (iss.code) {
            case "unrecognized_keys":
                for (const k of iss.keys) out.push({ propertyPath: at([k]), reason: iss.message });
                break;
            case "invalid_type":
                out.push({
                    propertyPath: at(),
                    reason:
                        input === undefined
                            ? "is required"
                            : `must be ${EXPECTED[iss.expected] ?? iss.expected}; got ${kindOf(input)}`,
                });
                break;
            case "invalid_value":
                out.push({
                    propertyPath: at(),
                    reason: `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")}; got ${JSON.stringify(input)}`,
                });
                break;
            default:
                out.push({ propertyPath: at(), reason: iss.message });
        }
    }
    return out;
}

/** Parses `input`: the typed value, or every structural problem. `null` fields count as absent. */
export function parseWith<S extends z.ZodType>(
    schema: S,
    input: unknown,
    prefix = "",
): { value: z.infer<S>; problems: [] } | { value: undefined; problems: PropertyError[] } {
    const r = schema.safeParse(withoutNulls(input), { reportInput: true });
    return r.success ? { value: r.data, problems: [] } : { value: undefined, problems: problemsOf(r.error, prefix) };
}

/** YAML writes an empty field as null: inside objects, a null field is an absent one. */
export function withoutNulls(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(withoutNulls);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(
        Object.entries(v)
            .filter(([, x]) => x !== null)
            .map(([k, x]) => [k, withoutNulls(x)]),
    );
}
