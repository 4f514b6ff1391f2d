/**
 * Embedding: a typed API over Pulumi's Automation API for whole hosted-control-plane stacks, and
 * the preview-based change review.
 *
 * ```ts
 * import { deploy, preview } from "pulumi-hosted-control-plane/dist/automation";
 * const opts = { stackName: "prod", stateDir: "/var/lib/hcp", secretsPassphrase, onEvent: console.log };
 * const { review } = await preview(spec, { ...opts, gates: { maxDisruptedNodes: 2 } });
 * if (review.passed) {
 *     const { outputs } = await deploy(spec, opts);
 *     const kubeconfig = outputs.controlPlanes["team-a"].kubeconfig.unwrap();
 * }
 * ```
 */
export * from "./spec";
export * from "./errors";
export * from "./events";
export { declareSpec, programFor, hostResourceNames, reviewContextFor, nodeNamesOf } from "./program";
export * from "./stack";
export * as review from "./review";
