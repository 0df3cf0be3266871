/**
 * Runs one request's route to its end: each try through attempt.ts under the plan runner's retries,
 * fallbacks and hedges (run.ts), paced by the caller's pacer or the process's, and — whatever the
 * outcome — the vendor jobs failed tries left alive and nobody resumed cancelled, with what the
 * vendor bills for them in the attempt log.
 */
import { EaselError } from '../core/errors.js';
import type { ParsedPolicy } from '../core/policy.js';
import type { Attempt } from '../core/result.js';
import { type AttemptOptions, attemptRunner } from './attempt.js';
import type { RunHooks } from './hooks.js';
import { KeptJobs } from './kept-jobs.js';
import type { Pacer } from './pacer.js';
import type { PlannedCandidate } from './plan.js';
import type { ProviderHealth } from './resilience.js';
import { type RunOutcome, runPlan } from './run.js';

export interface RunRequestOptions extends Pick<AttemptOptions, 'endpoint' | 'http' | 'timeoutMs' | 'polling' | 'clock'> {
  policy: ParsedPolicy;
  health: ProviderHealth;
  signal?: AbortSignal;
  /** Multiplies catalog latencies when timing hedges. */
  latencyScale?: number;
  /** The caller's hooks; without `acquire`, calls wait for the process's pacer. */
  hooks: RunHooks;
  /** The process's pacer (used only when the hooks bring no `acquire`). */
  pacer: () => Pacer;
}

export async function runRequest(ranked: readonly PlannedCandidate[], options: RunRequestOptions): Promise<RunOutcome> {
  const { hooks } = options;
  const paced = hooks.acquire ? undefined : options.pacer();
  const acquire = hooks.acquire ?? ((provider: string, signal: AbortSignal) => paced!.acquire(provider, signal));
  const onError = (error: unknown) => {
    if (paced && error instanceof EaselError && error.provider) paced.observe(error.provider, error);
    hooks.onError?.(error);
  };
  const kept = new KeptJobs();
  const leftovers: Attempt[] = [];
  let outcome;
  try {
    outcome = await runPlan(ranked, {
      policy: options.policy,
      health: options.health,
      signal: options.signal,
      latencyScale: options.latencyScale,
      clock: options.clock,
      attempt: attemptRunner({
        endpoint: options.endpoint,
        http: options.http,
        timeoutMs: options.timeoutMs,
        polling: options.polling,
        hooks,
        acquire,
        onError,
        onSucceeded: paced && ((provider) => paced.recovered(provider)),
        kept,
        clock: options.clock,
      }),
    });
  } finally {
    leftovers.push(...(await kept.cancelAll({ http: options.http, timeoutMs: options.timeoutMs, polling: options.polling, clock: options.clock })));
  }
  outcome.attempts.push(...leftovers);
  return outcome;
}
