/**
 * Change review: a preview turned into a domain review with gates.
 *
 * ```ts
 * import { reviewPreviewJson, renderMarkdown } from "pulumi-hosted-control-plane/dist/automation/review";
 * const review = reviewPreviewJson(fs.readFileSync("preview.json", "utf8"), { maxDisruptedNodes: 2 });
 * console.log(renderMarkdown(review));
 * if (!review.passed) process.exit(1);
 * ```
 */
import { GateConfig } from "./gates";
import { buildReview, Review, ReviewContext } from "./review";
import { planFromPreviewJson } from "./steps";

export * from "./gates";
export * from "./review";
export * from "./render";
export * from "./steps";

/** `pulumi preview --json` output (text or parsed) → review. */
export function reviewPreviewJson(json: string | object, gates: GateConfig = {}, context: ReviewContext = {}): Review {
    return buildReview(planFromPreviewJson(json), gates, context);
}
