/**
 * Typed progress events from the engine's event stream.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";

/** What happened to one resource. */
export interface ResourceProgressEvent {
    kind: "started" | "finished" | "failed";
    /** The engine's operation: "create", "update", "delete", "replace", "create-replacement", … */
    op: string;
    /** The resource type token, e.g. "pulumi-nodejs:dynamic/hcp:NodeJoin". */
    resourceType: string;
    /** The resource's logical name, e.g. "host-198-18-0-11-join". */
    name: string;
    urn: string;
    /** The worker host's address, for PreparedHost and NodeJoin. */
    host?: string;
    /** Why it failed (`kind: "failed"` only). */
    message?: string;
}

/** A warning the engine or a resource reported. */
export interface WarningEvent {
    kind: "warning";
    message: string;
    urn?: string;
    name?: string;
    host?: string;
}

export type ProgressEvent = ResourceProgressEvent | WarningEvent;

/** The logical name at the end of a URN. */
export function urnName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** The type token in a URN (the last type of the parent chain). */
export function urnType(urn: string): string {
    const parts = urn.split("::");
    const chain = parts[2] ?? "";
    return chain.split("$").pop() ?? chain;
}

/** Engine plumbing that is not the user's infrastructure. */
export function isPlumbing(type: string): boolean {
    return type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");
}

function strip(message: string): string {
    // Diagnostics carry ANSI color codes and a trailing newline.
    return message
        .replace(/\u001b\[[0-9;]*m/g, "")
        .replace(/<\{%[^%]*%\}>/g, "")
        .trim();
}

/**
 * Maps the engine's events to {@link ProgressEvent}s. Stateful: a resource that fails produces one
 * "failed" event even though the engine reports the failure twice (a diagnostic and resOpFailed).
 * `same` and `read` steps are not progress and produce nothing.
 */
export class EventMapper {
    private readonly failed = new Set<string>();

    /** @param hosts resource name → host address (see `hostResourceNames`). */
    constructor(private readonly hosts: Map<string, string> = new Map()) {}

    private hostOf(m: StepEventMetadata | undefined, urn: string): string | undefined {
        const byName = this.hosts.get(urnName(urn));
        if (byName) return byName;
        const addr = (m?.new ?? m?.old)?.inputs?.connection?.address;
        return typeof addr === "string" && addr !== "[secret]" ? addr : undefined;
    }

    private resourceEvent(
        kind: ResourceProgressEvent["kind"],
        m: StepEventMetadata,
        message?: string,
    ): ResourceProgressEvent {
        const e: ResourceProgressEvent = { kind, op: m.op, resourceType: m.type, name: urnName(m.urn), urn: m.urn };
        const host = this.hostOf(m, m.urn);
        if (host) e.host = host;
        if (message !== undefined) e.message = message;
        return e;
    }

    map(e: EngineEvent): ProgressEvent[] {
        const pre = e.resourcePreEvent?.metadata;
        if (pre) {
            if (pre.op === "same" || pre.op === "read" || isPlumbing(pre.type)) return [];
            return [this.resourceEvent("started", pre)];
        }
        const done = e.resOutputsEvent?.metadata;
        if (done) {
            if (done.op === "same" || done.op === "read" || isPlumbing(done.type) || this.failed.has(done.urn))
                return [];
            return [this.resourceEvent("finished", done)];
        }
        const failed = e.resOpFailedEvent?.metadata;
        if (failed) {
            if (this.failed.has(failed.urn) || isPlumbing(failed.type)) return [];
            this.failed.add(failed.urn);
            return [this.resourceEvent("failed", failed)];
        }
        const d = e.diagnosticEvent;
        if (d && d.urn && !d.ephemeral) {
            const type = urnType(d.urn);
            if (d.severity === "error" && !isPlumbing(type)) {
                if (this.failed.has(d.urn)) return [];
                this.failed.add(d.urn);
                const host = this.hosts.get(urnName(d.urn));
                const ev: ResourceProgressEvent = {
                    kind: "failed",
                    op: "unknown",
                    resourceType: type,
                    name: urnName(d.urn),
                    urn: d.urn,
                    message: strip(d.message),
                };
                if (host) ev.host = host;
                return [ev];
            }
            if (d.severity === "warning") {
                const w: WarningEvent = {
                    kind: "warning",
                    message: strip(d.message),
                    urn: d.urn,
                    name: urnName(d.urn),
                };
                const host = this.hosts.get(urnName(d.urn));
                if (host) w.host = host;
                return [w];
            }
        }
        return [];
    }
}
