/** How often a request asks an async vendor about its job, from the model's typical latency. */

const DEFAULT_POLL_INTERVAL_MS = 1_000;
const MIN_POLL_INTERVAL_MS = 100;
/** The first status poll comes after this share of the model's typical latency. */
const FIRST_POLL_FRACTION = 0.8;

/**
 * How often to ask an async vendor: a tenth of the model's typical latency (a 2-second FAL call is
 * polled every 200 ms, a 30-second upscale every 1 s), never more often than every 100 ms, and never
 * less often than the configured interval.
 */
export function pollingFor(p50Ms: number, configured = DEFAULT_POLL_INTERVAL_MS, scale = 1): { pollIntervalMs: number; firstPollDelayMs: number } {
  const pollIntervalMs = Math.min(configured, Math.max(MIN_POLL_INTERVAL_MS * scale, p50Ms / 10));
  // The first look comes after most of the typical latency — but never later than ten intervals, so a
  // short configured interval (tests against a time-scaled sandbox) keeps the first look short too.
  return { pollIntervalMs, firstPollDelayMs: Math.min(p50Ms * FIRST_POLL_FRACTION, pollIntervalMs * 10) };
}
