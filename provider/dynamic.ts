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
        // eslint-disable-next-line @typescript-eslint/no-require-imports
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
    return {
        check: async (olds: any, news: any) => {
            const m = load();
            return m.check ? m.check(olds, news) : { inputs: news };
        },
        diff: async (id: string, olds: any, news: any) => {
            const m = load();
            return m.diff ? m.diff(id, olds, news) : {};
        },
        create: async (inputs: any) => load().create(inputs),
        read: async (id: string, props: any) => {
            const m = load();
            return m.read ? m.read(id, props) : { id, props };
        },
        update: async (id: string, olds: any, news: any) => {
            const m = load();
            if (!m.update) throw new Error("this resource cannot be updated in place");
            return m.update(id, olds, news);
        },
        delete: async (id: string, props: any) => {
            const m = load();
            if (m.delete) await m.delete(id, props);
        },
    };
}

/** The provider for a compiled module next to the caller: `providerFor(__dirname, "hostprep/provider")`. */
export function providerFor(relativeToProviderDir: string): pulumi.dynamic.ResourceProvider {
    const path = require("path") as typeof import("path");
    const abs = path.join(__dirname, relativeToProviderDir);
    return delegatingProvider("dist/provider/" + relativeToProviderDir, abs);
}
