import * as pulumi from "@pulumi/pulumi";

/**
 * The functions a provider implementation module exports. Each module under provider/<area>/
 * (e.g. provider/hostprep/provider.ts) exports these as plain functions.
 */
export interface ProviderModule {
    check?(olds: any, news: any): Promise<pulumi.dynamic.CheckResult>;
    diff?(id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult>;
    create(inputs: any): Promise<pulumi.dynamic.CreateResult>;
    read?(id: string, props: any): Promise<pulumi.dynamic.ReadResult>;
    update?(id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult>;
    delete?(id: string, props: any): Promise<void>;
}

/**
 * A dynamic provider that loads its implementation with `require` at run time instead of having
 * Pulumi serialize the implementation's closure into state. Why: closure serialization copies local
 * modules by value and breaks on native or Node-internal objects (ssh2, etcd3, grpc); it would also
 * capture module-scope values. Only the compiled module's path (a plain string) is serialized, and
 * no secret is ever captured here.
 *
 * `modulePath` is the absolute path of a compiled `.js` module exporting {@link ProviderModule}.
 * The package name is tried first so that state written by one installation keeps working after
 * the package moves; the absolute path is the fallback for a source checkout.
 */
export function delegatingProvider(packageRelativePath: string, absolutePath: string): pulumi.dynamic.ResourceProvider {
    const byPackage = "pulumi-hosted-control-plane/" + packageRelativePath;
    const byPath = absolutePath;
    const load = (): ProviderModule => {
        const req: NodeRequire = require;
        try {
            return req(byPath);
        } catch (pathError) {
            try {
                return req(byPackage);
            } catch {
                throw pathError;
            }
        }
    };
    // The engine takes outputs as a protobuf Struct, which refuses `undefined` anywhere inside:
    // drop those (a JSON round trip does, and outputs are plain JSON data by contract).
    const plain = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
    // A partial failure's state (PartialFailure, recognised by shape: this closure is serialized
    // apart from the module's classes) is recorded as the engine gets it. The SDK adds `__provider`,
    // which later operations need to find this provider, to results only, so add it here.
    const partial = (e: any, inputs: any): unknown => {
        if (e && typeof e === "object" && e.id && e.properties && typeof e.properties === "object")
            e.properties = { ...plain(e.properties), __provider: inputs?.__provider };
        return e;
    };
    return {
        check: async (olds: any, news: any) => {
            const m = load();
            return m.check ? m.check(olds, news) : { inputs: news };
        },
        diff: async (id: string, olds: any, news: any) => {
            const m = load();
            return m.diff ? m.diff(id, olds, news) : {};
        },
        create: async (inputs: any) => {
            try {
                const r = await load().create(inputs);
                return { ...r, outs: plain(r.outs) };
            } catch (e) {
                throw partial(e, inputs);
            }
        },
        read: async (id: string, props: any) => {
            const m = load();
            if (!m.read) return { id, props };
            const r = await m.read(id, props);
            return { ...r, props: plain(r.props) };
        },
        update: async (id: string, olds: any, news: any) => {
            const m = load();
            if (!m.update) throw new Error("this resource cannot be updated in place");
            try {
                const r = await m.update(id, olds, news);
                return { ...r, outs: plain(r.outs) };
            } catch (e) {
                throw partial(e, news);
            }
        },
        delete: async (id: string, props: any) => {
            const m = load();
            if (m.delete) await m.delete(id, props);
        },
    };
}

/**
 * A create or update that changed the host but did not finish (e.g. joined, then the Ready wait
 * failed). The engine records `properties` as the resource's state, marked as failed to initialise
 * (ErrorResourceInitFailed), so the next `up` retries through update and `destroy` undoes what is
 * on the host; without it a failure records nothing. Carry every output, inputs included.
 */
export class PartialFailure extends Error {
    /** The engine shows these as the resource's initialisation errors. */
    readonly reasons: string[];

    constructor(
        message: string,
        readonly id: string,
        public properties: Record<string, unknown>,
    ) {
        super(message);
        this.reasons = [message];
    }
}

/** The provider for a compiled module next to the caller: `providerFor(__dirname, "hostprep/provider")`. */
export function providerFor(relativeToProviderDir: string): pulumi.dynamic.ResourceProvider {
    const path = require("path") as typeof import("path");
    const abs = path.join(__dirname, relativeToProviderDir);
    return delegatingProvider("dist/provider/" + relativeToProviderDir, abs);
}

/** The value the engine sends a dynamic provider for inputs not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is, or holds, a not-yet-known input. */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
    return false;
}

/**
 * Whether the value a check failure names is not known yet: the value at `propertyPath`
 * (`containerd.registryMirrors["docker.io"][0]`), or any value on the way to it, is or holds the
 * unknown placeholder. A check drops such failures: the rule runs again when the value is known.
 */
export function unknownAt(inputs: unknown, propertyPath: string): boolean {
    let v: any = inputs;
    for (const m of propertyPath.matchAll(/([^.[\]]+)|\[(?:"([^"]*)"|([0-9]+))\]/g)) {
        if (v === UNKNOWN) return true;
        if (v === null || typeof v !== "object") return false;
        v = v[m[1] ?? m[2] ?? m[3]];
    }
    return containsUnknown(v);
}

/** JSON with object keys sorted, so that diffs compare inputs whatever order their keys came in. */
export function stableJson(v: unknown): string {
    return JSON.stringify(v, (_k, x) =>
        x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
    );
}
