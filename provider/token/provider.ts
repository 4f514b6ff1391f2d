/** Dynamic provider for BootstrapToken: a token Secret in the tenant's kube-system, short-lived. */
import * as pulumi from "@pulumi/pulumi";
import { containsUnknown } from "../dynamic";
import { KubeClient } from "../../lib/kube/client";
import { parseKubeconfig } from "../../lib/kube/kubeconfig";
import { expiresSoon, ttlProblem } from "./logic";
import { createToken, deleteToken } from "./tokens";

/**
 * Checks every input that is known; an input not known yet (at the preview of a new tenant, its
 * kubeconfig) is checked at update, when the engine calls check again with its value.
 */
export async function check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const ttl = news.ttlSeconds ?? 3600;
    const p = containsUnknown(ttl) ? undefined : ttlProblem(ttl);
    if (p) failures.push({ property: "ttlSeconds", reason: p });
    if (typeof news.kubeconfig === "string" && !containsUnknown(news.kubeconfig)) {
        try {
            parseKubeconfig(news.kubeconfig);
        } catch (e) {
            failures.push({ property: "kubeconfig", reason: (e as Error).message });
        }
    }
    return {
        inputs: { ...news, ttlSeconds: ttl, description: news.description ?? "created by pulumi-hosted-control-plane" },
        failures,
    };
}

export async function diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    if (olds.ttlSeconds !== news.ttlSeconds) replaces.push("ttlSeconds");
    if (olds.description !== news.description) replaces.push("description");
    if (olds.kubeconfig !== news.kubeconfig) replaces.push("kubeconfig");
    // An expired token is useless for joins: replace it with a fresh one (shows in the preview).
    if (olds.expiresAt && expiresSoon(olds.expiresAt, new Date(), Math.min(300, olds.ttlSeconds / 4)))
        replaces.push("expiresAt");
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}

export async function create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const client = KubeClient.fromKubeconfig(inputs.kubeconfig);
    const t = await createToken(client, inputs.ttlSeconds, inputs.description);
    return {
        id: t.id,
        outs: { ...inputs, tokenId: t.id, token: `${t.id}.${t.secret}`, expiresAt: t.expiresAt },
    };
}

export async function delete_(id: string, props: any): Promise<void> {
    await deleteToken(KubeClient.fromKubeconfig(props.kubeconfig), id);
}
export { delete_ as delete };
