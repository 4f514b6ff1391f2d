// Checking a connection input at preview, when some of its values are not known yet.
import type * as pulumi from "@pulumi/pulumi";
import { connectionProblem } from "../../lib/ssh/client";
import { missingHostKeyFailures } from "../../lib/ssh/logic";
import { containsUnknown, UNKNOWN } from "../dynamic";

/**
 * The connection with each input that is not known yet (at preview) replaced by a value its rule
 * accepts, so that connectionProblem, which stops at the first problem, checks every known one.
 * An unknown credential still counts as a credential; an unknown passphrase skips the key check.
 */
export function knownConnection(c: any): any {
    const k: any = { ...c };
    const unknown = (f: string) => containsUnknown(c[f]);
    if (unknown("address")) k.address = "unknown.invalid";
    if (unknown("port")) delete k.port;
    if (unknown("user")) delete k.user;
    if (unknown("hostKey")) delete k.hostKey;
    if (unknown("password")) k.password = "unknown";
    if (unknown("agent")) k.agent = "unknown";
    if (unknown("privateKey") || unknown("passphrase")) {
        delete k.privateKey;
        delete k.passphrase;
        if (c.privateKey !== undefined) k.agent ??= "unknown";
    }
    if (c.bastion === UNKNOWN) delete k.bastion;
    else if (c.bastion && typeof c.bastion === "object") k.bastion = knownConnection(c.bastion);
    return k;
}

/** The problems of the input `connection` that are known; an unknown one is checked at update. */
export function connectionFailures(c: any): pulumi.dynamic.CheckFailure[] {
    if (c === UNKNOWN) return [];
    if (!c || typeof c !== "object")
        return [
            { property: "connection", reason: "required: { address, user, privateKey | password | agent, hostKey }" },
        ];
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const p = connectionProblem(knownConnection(c));
    if (p) failures.push({ property: p.propertyPath, reason: p.reason });
    failures.push(...missingHostKeyFailures(c));
    return failures;
}
