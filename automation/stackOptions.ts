/** How the embedding finds its backend, secrets, CLI and workspace, and what it reports as it runs. */
import * as os from "os";
import * as path from "path";
import { EmbeddingOptionsError } from "./errors";
import { ProgressEvent } from "./events";

/** The package root: where `bin/pulumi` and `node_modules/@pulumi/pulumi` are. */
export const packageRoot = path.resolve(__dirname, "..", "..");

export interface StackOptions {
    /** Pulumi project name. Defaults to "hcp". */
    projectName?: string;
    /** Stack name. Defaults to "dev". */
    stackName?: string;
    /**
     * Directory for the local file backend (`<stateDir>/backend`) and the Pulumi home
     * (`<stateDir>/home`). Defaults to `~/.pulumi-hcp`. Ignored for the backend when `backendUrl` is given.
     */
    stateDir?: string;
    /** Any Pulumi backend URL ("file:///…", "s3://…", "https://api.pulumi.com"). Defaults to the local file backend in `stateDir`. */
    backendUrl?: string;
    /** Passphrase for the passphrase secrets provider. Required for file backends unless `secretsProvider` is given. */
    secretsPassphrase?: string;
    /** A secrets provider URL ("awskms://…", "hashivault://…", …) instead of a passphrase. */
    secretsProvider?: string;
    /** The directory whose `bin/` holds the `pulumi` CLI. Defaults to this package's root. */
    pulumiRoot?: string;
    /** Extra environment for the CLI (e.g. cloud credentials for a backend). */
    envVars?: Record<string, string>;
    /** Typed progress, per resource and host. */
    onEvent?: (e: ProgressEvent) => void;
    /** The CLI's own output, as it comes. */
    onOutput?: (text: string) => void;
    /** Aborting stops the operation cleanly (the CLI cancels gracefully, as on Ctrl-C). */
    signal?: AbortSignal;
    /** Resource operations run in parallel at most. Defaults to the CLI's default. */
    parallel?: number;
    /**
     * The workspace directory (stack config files live there). Defaults to
     * `<stateDir>/workspaces/<project>.<stack>`.
     * When it holds a Pulumi.yaml, that project is used as is (its `name` must match `projectName`).
     */
    workDir?: string;
}

/** The options with their defaults filled in and checked against each other. */
export interface ResolvedOptions {
    projectName: string;
    stackName: string;
    stateDir: string;
    backendUrl: string;
    /** The directory whose `bin/` holds the CLI. */
    root: string;
    /** The environment the CLI runs with. */
    envVars: Record<string, string>;
}

const DEFAULT_STATE_DIR = path.join(os.homedir(), ".pulumi-hcp");

export function isFileBackend(url: string): boolean {
    return url.startsWith("file://");
}

export function resolveOptions(opts: StackOptions): ResolvedOptions {
    const stateDir = path.resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
    const backendUrl = opts.backendUrl ?? "file://" + path.join(stateDir, "backend");
    const passphrase = opts.secretsPassphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE;
    if (opts.secretsPassphrase !== undefined && opts.secretsProvider !== undefined)
        throw new EmbeddingOptionsError("secretsPassphrase and secretsProvider are mutually exclusive: give one");
    if (
        isFileBackend(backendUrl) &&
        passphrase === undefined &&
        opts.secretsProvider === undefined &&
        !process.env.PULUMI_CONFIG_PASSPHRASE_FILE
    )
        throw new EmbeddingOptionsError(
            "secretsPassphrase (or secretsProvider) is required with a file backend: the stack's secrets (kubeconfig, keys) are encrypted with it",
        );
    const root = opts.pulumiRoot ?? packageRoot;
    // With another secrets provider the CLI must not see a passphrase from the environment.
    const cliPassphrase = opts.secretsProvider === undefined ? passphrase : undefined;
    return {
        projectName: opts.projectName ?? "hcp",
        stackName: opts.stackName ?? "dev",
        stateDir,
        backendUrl,
        root,
        envVars: {
            PATH: [path.join(root, "bin"), path.join(packageRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(
                path.delimiter,
            ),
            PULUMI_HOME: path.join(stateDir, "home"),
            PULUMI_BACKEND_URL: backendUrl,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            ...(cliPassphrase !== undefined ? { PULUMI_CONFIG_PASSPHRASE: cliPassphrase } : {}),
            ...(opts.envVars ?? {}),
        },
    };
}
