/**
 * Latency drawn from a log-normal fitted to a p50/p99 pair, scaled by the sandbox time scale so
 * tests run in milliseconds while benchmarks keep the vendors' shapes.
 */
import type { LatencyProfile } from '../catalog/types.js';

const Z99 = 2.3263;

export function sampleLatencyMs(profile: Pick<LatencyProfile, 'p50Ms' | 'p99Ms'>, random: () => number = Math.random): number {
  const sigma = Math.log(Math.max(profile.p99Ms, profile.p50Ms + 1) / profile.p50Ms) / Z99;
  return profile.p50Ms * Math.exp(sigma * gaussian(random));
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
