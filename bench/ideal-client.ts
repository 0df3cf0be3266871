/**
 * The makespan bound a vendor's limits allow, found by simulating an ideal client rather than by a
 * formula: it starts calls evenly at the permitted rate (vendors enforce per-minute limits over
 * shorter slices, so bursting a whole minute's quota is not "allowed"), never has more than
 * `concurrent` in flight, and spends no time of its own; each call lasts a duration drawn from the
 * vendor's latency distribution. The closed form (N / concurrency × mean) forgets that the last calls
 * of a concurrency-limited run finish one by one: no client can avoid that tail, so the bound keeps it.
 */
import { sampleLatencyMs } from '../src/sandbox/latency.js';
import type { PaceLimits } from '../src/router/pacer.js';

export interface LatencyShape {
  p50Ms: number;
  p99Ms: number;
}

/** Mean makespan (ms) of the ideal client over `trials` runs of `items` calls. */
export function idealMakespanMs(items: number, latency: LatencyShape, limits: PaceLimits, trials = 200): number {
  let total = 0;
  for (let t = 0; t < trials; t++) total += oneRun(items, latency, limits);
  return total / trials;
}

/**
 * The ideal client's makespan on given call durations, in the order they were started: the bound
 * for one run with the luck that run had (its latency draws), rather than the average run's.
 */
export function idealMakespanForDurations(durationsMs: readonly number[], limits: PaceLimits): number {
  return schedule(durationsMs.length, (i) => durationsMs[i]!, limits);
}

function oneRun(items: number, latency: LatencyShape, limits: PaceLimits): number {
  return schedule(items, () => sampleLatencyMs(latency), limits);
}

function schedule(items: number, durationOf: (index: number) => number, limits: PaceLimits): number {
  const spacings = [
    limits.requestsPerMinute ? (limits.windowMs ?? 60_000) / limits.requestsPerMinute : 0,
    limits.burst ? limits.burst.windowMs / limits.burst.requests : 0,
  ];
  const spacing = Math.max(...spacings);
  const concurrent = limits.concurrent ?? Infinity;
  // Finish times of the calls in flight, kept sorted: concurrency frees the earliest first.
  const inFlight: number[] = [];
  let makespan = 0;
  for (let i = 0; i < items; i++) {
    let start = i * spacing;
    if (inFlight.length >= concurrent) start = Math.max(start, inFlight.shift()!);
    const end = start + durationOf(i);
    insertSorted(inFlight, end);
    makespan = Math.max(makespan, end);
  }
  return makespan;
}

function insertSorted(sorted: number[], value: number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, value);
}
