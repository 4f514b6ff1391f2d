/**
 * Reading a spec from a YAML or JSON file, with every problem reported before anything is touched.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { HcpSpec, SpecProblem, SpecValidationError, validateSpec } from "./spec";

/** `${env:NAME}` or `${file:PATH}` as a whole string value: a secret kept out of the spec file. */
const REFERENCE = /^\$\{(env|file):([^}]+)\}$/;

/**
 * Replaces every `${env:NAME}` / `${file:PATH}` string in the parsed spec with the variable's value
 * or the file's contents (a relative PATH is relative to the spec file, `~/` is the home directory),
 * so keys and kubeconfigs need not be written into the spec file itself. Returns one problem per
 * reference that cannot be resolved.
 */
export function resolveReferences(doc: unknown, specFile: string, env: NodeJS.ProcessEnv = process.env): SpecProblem[] {
    const problems: SpecProblem[] = [];
    const resolve = (value: string, at: string): string => {
        const m = REFERENCE.exec(value);
        if (!m) return value;
        const [, kind, name] = m;
        if (kind === "env") {
            if (env[name] === undefined)
                problems.push({
                    propertyPath: at,
                    reason: `\${env:${name}} is not set; export ${name} or put the value in the file`,
                });
            return env[name] ?? value;
        }
        const file = name.startsWith("~/")
            ? path.join(os.homedir(), name.slice(2))
            : path.resolve(path.dirname(specFile), name);
        try {
            return fs.readFileSync(file, "utf8");
        } catch (e) {
            problems.push({
                propertyPath: at,
                reason: `\${file:${name}} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}: ${file})`,
            });
            return value;
        }
    };
    const walk = (node: any, at: string): void => {
        if (Array.isArray(node))
            node.forEach((v, i) =>
                typeof v === "string" ? (node[i] = resolve(v, `${at}[${i}]`)) : walk(v, `${at}[${i}]`),
            );
        else if (node && typeof node === "object") {
            for (const [k, v] of Object.entries(node)) {
                const p = at ? `${at}.${k}` : k;
                if (typeof v === "string") node[k] = resolve(v, p);
                else walk(v, p);
            }
        }
    };
    walk(doc, "");
    return problems;
}

/** Parses spec text (YAML, of which JSON is a subset); `source` names it in errors. */
export function parseSpecText(text: string, source: string): unknown {
    try {
        return source.endsWith(".json")
            ? JSON.parse(text)
            : yaml.load(text, { filename: source, schema: yaml.JSON_SCHEMA });
    } catch (e) {
        const msg = (e as Error).message.split("\n")[0];
        throw new SpecValidationError(
            [{ propertyPath: "(file)", reason: `is not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${msg}` }],
            source,
        );
    }
}

/** Reads, parses and validates a spec file; throws a {@link SpecValidationError} listing every problem. */
export function loadSpecFile(file: string): HcpSpec {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new SpecValidationError(
            [
                {
                    propertyPath: "(file)",
                    reason: `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                },
            ],
            file,
        );
    }
    const doc = parseSpecText(text, file);
    const problems = [...resolveReferences(doc, file), ...validateSpec(doc)];
    if (problems.length > 0) throw new SpecValidationError(problems, file);
    return doc as HcpSpec;
}
