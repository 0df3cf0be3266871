/**
 * The budget hook's contract: before every vendor attempt (primary, retry, fallback, hedge) easel
 * asks the caller to reserve the most that attempt can cost, and afterwards settles the reservation
 * with what the vendor really charged, or releases it when nothing could have been charged.
 */
import { costOf, round6 } from '../catalog/pricing.js';
import type { CatalogModel } from '../catalog/types.js';
import type { Attempt } from '../core/result.js';
import type { ProviderCall } from '../providers/types.js';

/** One vendor attempt about to start. */
export interface AttemptReservation {
  /** easel model id. */
  model: string;
  provider: string;
  /** The most the attempt can cost (USD): all its calls at worst; null when the price is unknown. */
  worstCaseUsd: number | null;
  /** Vendor calls the attempt makes (split `n`), resumed ones included. */
  calls: number;
  /**
   * Of those, the calls that pick up a vendor job which already exists (stored by an earlier run, or
   * left alive by an earlier try): paid for whatever the budget says, so a budget holds their part
   * instead of refusing it or making it wait. A call that only searches for a job a crash may have
   * left behind is not counted: it may yet buy a new one.
   */
  resumedCalls: number;
  /** The part of `worstCaseUsd` for `resumedCalls` (0 when there are none; null when unknown). */
  resumedWorstCaseUsd: number | null;
}

/** What `reserve` hands back; exactly one of the two is called, once. */
export interface Reservation {
  /** The attempt ended having cost `actualUsd` (0 when nothing was charged; null when unknown). */
  settle(actualUsd: number | null): void;
  /** Nothing the attempt did can have been charged. */
  release(): void;
}

/**
 * Waits (it may) until `attempt.worstCaseUsd` fits the budget, or throws BudgetExceededError when
 * it never will; the request then stops without falling back.
 */
export type ReserveHook = (attempt: AttemptReservation, signal: AbortSignal) => Promise<Reservation>;

/**
 * A per-second price bills the vendor's compute time, known only afterwards: the bound takes the
 * catalog's p99 latency (cold start included) per image, and never less than this many times the
 * typical compute seconds.
 */
export const PER_SECOND_HEADROOM = 3;

/** The most `calls` of `model` can cost (USD), or null when its price is unknown. */
export function worstCaseUsd(model: CatalogModel, calls: readonly ProviderCall[]): number | null {
  let total = 0;
  for (const call of calls) {
    const input = { images: call.n, width: call.width, height: call.height, quality: call.quality };
    let computeSeconds: number | undefined;
    if (model.price.kind === 'per-second') {
      const p99Seconds = ((model.latency.p99Ms + (model.latency.coldStartMs ?? 0)) / 1000) * call.n;
      computeSeconds = Math.max(p99Seconds, model.price.typicalSeconds * call.n * PER_SECOND_HEADROOM);
    }
    const usd = costOf(model, { ...input, computeSeconds }).usd;
    if (usd === null) return null;
    total += usd;
  }
  return round6(total);
}

/** USD charged across attempts (null when any is unknown). */
export function costOfAttempts(attempts: readonly Attempt[]): number | null {
  return attempts.reduce<number | null>((sum, a) => addCosts(sum, a.costUsd), 0);
}

export function addCosts(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.round((a + b) * 1e6) / 1e6;
}

/** A try that failed having charged nothing is released; one that charged (or may have) is settled. */
export function settleOrRelease(reservation: Reservation, usd: number | null): void {
  if (usd === 0) reservation.release();
  else reservation.settle(usd);
}
