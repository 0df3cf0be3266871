/**
 * One pacer per process for each vendor: a vendor's limits are the account's, whoever in the process
 * calls, so the library's calls, split `n` and the gateway's requests queue for the same slots as a
 * batch's items do.
 */
import { Pacer, type PaceLimits } from './pacer.js';

const processPacers = new Map<string, Pacer>();

/** The process's pacer for these limits: every easel instance with the same limits shares one. */
export function processPacer(limits: Record<string, PaceLimits>): Pacer {
  const key = JSON.stringify(limits);
  let pacer = processPacers.get(key);
  if (!pacer) processPacers.set(key, (pacer = new Pacer(limits)));
  return pacer;
}

/** Vendor limits as the pacer reads them; windows shrink with the latency scale (a time-scaled sandbox). */
export function paceLimits(
  limits: Record<string, { requestsPerMinute?: number; concurrent?: number; burst?: { requests: number; windowMs: number } } | undefined>,
  scale: number,
): Record<string, PaceLimits> {
  const out: Record<string, PaceLimits> = {};
  for (const [provider, l] of Object.entries(limits)) {
    if (!l) continue;
    out[provider] = {
      requestsPerMinute: l.requestsPerMinute,
      concurrent: l.concurrent,
      windowMs: 60_000 * scale,
      burst: l.burst && { requests: l.burst.requests, windowMs: l.burst.windowMs * scale },
    };
  }
  return out;
}
