/**
 * Command lines through `node:util` parseArgs, with errors in this package's words: an unknown
 * flag is `unknown argument "--x"`, a flag without its value `--x needs a value`. A string flag
 * takes the next word as its value even when that starts with "-" (`--max-disrupted-nodes -1`),
 * so that the value's own rule names what is wrong with it.
 */
import { parseArgs, ParseArgsOptionsConfig } from "node:util";

export function parseCommandLine<O extends ParseArgsOptionsConfig>(
    argv: string[],
    options: O,
    allowPositionals = false,
) {
    try {
        return parseArgs({ args: joinStringValues(argv, options), options, allowPositionals, strict: true });
    } catch (e) {
        const err = e as Error & { code?: string };
        const flag = /'(-[^' ]*)/.exec(err.message)?.[1] ?? "";
        if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new Error(`unknown argument "${flag}"`);
        if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /argument missing/.test(err.message))
            throw new Error(`${flag} needs a value`);
        if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
            throw new Error(`unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ""}`);
        throw err;
    }
}

/** `--flag value` as `--flag=value` for the string flags of `options`. */
function joinStringValues(argv: string[], options: ParseArgsOptionsConfig): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
        if (name !== undefined && options[name]?.type === "string" && i + 1 < argv.length)
            out.push(`${argv[i]}=${argv[++i]}`);
        else out.push(argv[i]);
    }
    return out;
}
