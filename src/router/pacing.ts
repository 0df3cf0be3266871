/**
 * One pacer per process for each vendor: a vendor's limits are the account's, whoever in the process
 * calls, so the library's calls, split `n` and the gateway's requests queue for the same slots as a
 * batch's items do.
 */
import { type Clock, realClock } from '../core/clock.js';
import { Pacer, type PaceLimits } from './pacer.js';

/** By clock, then by limits: a test's own clock gets pacers of its own. */
const processPacers = new WeakMap<Clock, Map<string, Pacer>>();

/** The process's pacer for these limits: every easel instance with the same limits shares one. */
export function processPacer(limits: Record<string, PaceLimits>, clock: Clock = realClock): Pacer {
  const key = JSON.stringify(limits);
  let pacers = processPacers.get(clock);
  if (!pacers) processPacers.set(clock, (pacers = new Map()));
  let pacer = pacers.get(key);
  if (!pacer) pacers.set(key, (pacer = new Pacer(limits, Infinity, clock)));
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
