/** The stack's outputs, typed, with the kubeconfigs kept behind `Secret`. */
import * as automation from "@pulumi/pulumi/automation";
import { OUTPUT_CONTROL_PLANES, OUTPUT_KUBECONFIGS, OUTPUT_WORKER_POOLS } from "./program";

/** A value the caller must unwrap on purpose; it prints as "[secret]". */
export class Secret<T> {
    readonly #value: T;
    constructor(value: T) {
        this.#value = value;
    }
    /** The secret value. */
    unwrap(): T {
        return this.#value;
    }
    toString(): string {
        return "[secret]";
    }
    toJSON(): string {
        return "[secret]";
    }
    [Symbol.for("nodejs.util.inspect.custom")](): string {
        return "Secret([secret])";
    }
}

export interface ControlPlaneOutputs {
    tenantName: string;
    namespace: string;
    endpoint: string;
    kubernetesVersion: string;
    caCertHash: string;
    /** The tenant's admin kubeconfig. */
    kubeconfig: Secret<string>;
}

export interface WorkerPoolOutputs {
    controlPlane: string;
    nodeNames: string[];
    hosts: { address: string; nodeName: string; kubeletVersion: string; outcome: string }[];
}

export interface HcpOutputs {
    controlPlanes: Record<string, ControlPlaneOutputs>;
    workerPools: Record<string, WorkerPoolOutputs>;
}

export function typedOutputs(outs: automation.OutputMap): HcpOutputs {
    const cps = (outs[OUTPUT_CONTROL_PLANES]?.value ?? {}) as Record<string, Omit<ControlPlaneOutputs, "kubeconfig">>;
    const kubeconfigs = (outs[OUTPUT_KUBECONFIGS]?.value ?? {}) as Record<string, string>;
    const controlPlanes: Record<string, ControlPlaneOutputs> = {};
    for (const [k, v] of Object.entries(cps)) controlPlanes[k] = { ...v, kubeconfig: new Secret(kubeconfigs[k]) };
    return {
        controlPlanes,
        workerPools: (outs[OUTPUT_WORKER_POOLS]?.value ?? {}) as Record<string, WorkerPoolOutputs>,
    };
}
