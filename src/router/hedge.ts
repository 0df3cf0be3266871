/** When to start a hedge: a percentile of the primary's latency profile (log-normal fit of p50/p99). */
import type { LatencyProfile } from '../catalog/types.js';

const Z99 = 2.3263;

/** Standard normal quantile (Acklam's approximation), enough for percentiles 50–99.9. */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = p < 0.5 ? p : 1 - p;
  let x: number;
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    x = (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
    x = -x;
  } else {
    const r = q - 0.5;
    const s = r * r;
    x =
      ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
      (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1);
  }
  return p < 0.5 ? -Math.abs(x) : Math.abs(x);
}

export function latencyPercentileMs(profile: Pick<LatencyProfile, 'p50Ms' | 'p99Ms'>, percentile: number): number {
  const sigma = Math.log(Math.max(profile.p99Ms, profile.p50Ms + 1) / profile.p50Ms) / Z99;
  return profile.p50Ms * Math.exp(sigma * normalQuantile(percentile / 100));
}

/** Expected latency of the log-normal fitted to p50/p99 (above the median: the tail pulls it up). */
export function meanLatencyMs(profile: Pick<LatencyProfile, 'p50Ms' | 'p99Ms'>): number {
  const sigma = Math.log(Math.max(profile.p99Ms, profile.p50Ms + 1) / profile.p50Ms) / Z99;
  return profile.p50Ms * Math.exp((sigma * sigma) / 2);
}
