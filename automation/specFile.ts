/**
 * Reading a spec from a YAML or JSON file, with every problem reported before anything is touched.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { HcpSpec, SpecValidationError, validateSpec } from "./spec";

/** Parses spec text (YAML, of which JSON is a subset); `source` names it in errors. */
export function parseSpecText(text: string, source: string): unknown {
    try {
        return source.endsWith(".json")
            ? JSON.parse(text)
            : yaml.load(text, { filename: source, schema: yaml.JSON_SCHEMA });
    } catch (e) {
        const msg = (e as Error).message.split("\n")[0];
        throw new SpecValidationError(
            [{ path: "(file)", message: `is not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${msg}` }],
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
                    path: "(file)",
                    message: `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                },
            ],
            file,
        );
    }
    const doc = parseSpecText(text, file);
    const problems = validateSpec(doc);
    if (problems.length > 0) throw new SpecValidationError(problems, file);
    return doc as HcpSpec;
}
