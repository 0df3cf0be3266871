/**
 * How a vendor's latency splits into queueing and billed compute, for models priced per second of
 * compute (Replicate's `metrics.predict_time`). One rule for both sides: the sandbox draws its
 * predictions by it, and estimates expect what it bills, so the two cannot drift.
 */

/** Share of a prediction's latency spent queued or booting: not billed. */
const QUEUE_SHARE = 0.1;
/** Each image after the first in one call adds this share of a single image's compute time. */
const EXTRA_IMAGE_SHARE = 0.5;

export function splitLatency(latencyMs: number, images: number): { queueMs: number; computeMs: number } {
  return { queueMs: latencyMs * QUEUE_SHARE, computeMs: latencyMs * (1 - QUEUE_SHARE) * (1 + EXTRA_IMAGE_SHARE * (Math.max(1, images) - 1)) };
}
