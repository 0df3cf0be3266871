/**
 * Runs a route plan: each candidate through its provider's breaker with retries, falling back down
 * the ranked list on failures that another vendor may not have, and — when hedging — starting a
 * backup on the next candidate once the primary runs past its p95. The first success wins and the
 * others are cancelled (adapters call the vendors' cancel endpoints on abort).
 */
import { errorFromSignal } from '../core/abort.js';
import { type Clock, realClock, type TimerHandle } from '../core/clock.js';
import {
  AbortedError,
  AuthenticationError,
  BudgetExceededError,
  ContentRejectedError,
  EaselError,
  NoImageGeneratedError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
} from '../core/errors.js';
import type { Attempt, ImageResult } from '../core/result.js';
import { latencyPercentileMs } from './hedge.js';
import type { ParsedPolicy } from '../core/policy.js';
import type { PlannedCandidate } from './plan.js';
import type { ProviderHealth } from './resilience.js';

export interface RunPlanOptions {
  policy: ParsedPolicy;
  health: ProviderHealth;
  signal?: AbortSignal;
  /** Runs one candidate's calls once (an attempt). */
  attempt: (candidate: PlannedCandidate, signal: AbortSignal, attempts: Attempt[]) => Promise<ImageResult>;
  /** Multiplies catalog latencies when timing hedges (the sandbox's time scale in tests and benchmarks). */
  latencyScale?: number;
  /** The clock the hedge timer runs on (default the real one). */
  clock?: Clock;
}

export interface RunOutcome {
  result: ImageResult;
  attempts: Attempt[];
  /** Models started, in order (the primary, fallbacks, hedges). */
  tried: string[];
  /** Models whose requests were cancelled because another one answered first. */
  cancelled: string[];
}

/** Whether a failure on one vendor is worth trying on the next. */
export function shouldFallBack(error: unknown, policy: ParsedPolicy): boolean {
  if (policy.fallback === false) return false;
  if (error instanceof AbortedError || error instanceof BudgetExceededError) return false;
  if (error instanceof ContentRejectedError || error instanceof NoImageGeneratedError) return policy.fallbackOnContentRejection === true;
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError || error instanceof NotFoundError || error instanceof ProviderError)
    return true;
  return error instanceof EaselError && error.retryable;
}

export function runPlan(ranked: readonly PlannedCandidate[], options: RunPlanOptions): Promise<RunOutcome> {
  const { policy, health } = options;
  const attempts: Attempt[] = [];
  const tried: string[] = [];
  const cancelled: string[] = [];
  const retries = policy.retries ?? 2;
  const hedge = policy.hedge === true ? {} : policy.hedge === false ? undefined : policy.hedge;
  const clock = options.clock ?? realClock;

  return new Promise<RunOutcome>((resolve, reject) => {
    let next = 0;
    let settled = false;
    let lastError: unknown;
    const running = new Map<number, { controller: AbortController; timer?: TimerHandle; model: string; hedge: boolean; done: Promise<unknown> }>();

    // The others are stopped, and the answer waits until they have wound down: a loser the vendor
    // bills anyway is in the attempt log (and settled against a budget) before anyone reads the total.
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      const losers = [...running.values()];
      for (const run of losers) {
        clock.clearTimeout(run.timer);
        run.controller.abort(new AbortedError(`${run.model} was cancelled: another request answered first`));
        cancelled.push(run.model);
      }
      void Promise.allSettled(losers.map((run) => run.done)).then(fn);
    };
    const onAbort = () => finish(() => reject(errorFromSignal(options.signal!)));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const launch = (asHedge = false) => {
      if (settled) return;
      if (next >= ranked.length) {
        if (running.size === 0) finish(() => reject(lastError ?? new NoImageGeneratedError('no candidate was left to try', { attempts })));
        return;
      }
      const index = next++;
      const candidate = ranked[index]!;
      const controller = new AbortController();
      tried.push(candidate.model.id);
      const done = health.run(candidate.model.provider, retries, controller.signal, (signal) =>
        options.attempt(candidate, signal ?? controller.signal, attempts),
      );
      const entry = { controller, model: candidate.model.id, hedge: asHedge, done, timer: undefined as TimerHandle | undefined };
      running.set(index, entry);
      // Only the first candidate starts a backup: one hedge per request, never a cascade of them.
      if (hedge && index === 0 && next < ranked.length) {
        const after = hedge.afterMs ?? latencyPercentileMs(candidate.model.latency, hedge.percentile ?? 95) * (options.latencyScale ?? 1);
        entry.timer = clock.setTimeout(() => running.has(index) && launch(true), after);
      }
      done.then(
        (result) => {
          running.delete(index);
          clock.clearTimeout(entry.timer);
          finish(() => resolve({ result: { ...result, attempts }, attempts, tried, cancelled }));
        },
        (error: unknown) => {
          running.delete(index);
          clock.clearTimeout(entry.timer);
          if (settled) return;
          // A backup the budget cannot pay for is simply not started: the primary runs on.
          if (entry.hedge && error instanceof BudgetExceededError && running.size > 0) {
            tried.splice(tried.lastIndexOf(entry.model), 1);
            return;
          }
          lastError = error;
          if (!shouldFallBack(error, policy)) {
            finish(() => reject(error));
            return;
          }
          // A hedge already running is the fallback; otherwise start the next candidate now.
          if (running.size === 0) launch();
        },
      );
    };
    launch();
  });
}
