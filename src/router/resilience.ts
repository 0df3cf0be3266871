/**
 * Retries and circuit breakers.
 *
 * The breaker is cockatiel's (per provider, consecutive failures, half-open after a pause, state
 * serialisable with `toJSON()` so workers can share it). Backoff delays come from cockatiel's
 * exponential generator with jitter, or from the vendor's Retry-After. The retry loop itself is
 * ours because cockatiel 3.2's retry sleeps without watching the AbortSignal, and every wait here
 * must stop the moment the request is aborted.
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
} from 'cockatiel';
import { errorFromSignal, sleep } from '../core/abort.js';
import { EaselError, ProviderUnavailableError, RateLimitedError, TimeoutError } from '../core/errors.js';

export interface ResilienceOptions {
  /** Consecutive vendor failures that open a provider's breaker. Default 5. */
  breakerThreshold?: number;
  /** How long an open breaker waits before letting one trial call through (ms). Default 30 s. */
  halfOpenAfterMs?: number;
  /** First backoff delay (ms) when the vendor gives no Retry-After. Default 500. */
  initialBackoffMs?: number;
  /** Longest backoff or Retry-After easel waits before giving up on a candidate (ms). Default 30 s. */
  maxBackoffMs?: number;
  /** Injected sleep, for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** `vendorCode` of the error a call gets while its provider's breaker is open. */
export const CIRCUIT_OPEN = 'circuit_open';

/** Failures that say the vendor, not the request, is unwell: these count against its breaker. */
export function isVendorFailure(error: unknown): boolean {
  return error instanceof ProviderUnavailableError || error instanceof TimeoutError;
}

export class ProviderHealth {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly options: Required<Omit<ResilienceOptions, 'sleep'>> & Pick<ResilienceOptions, 'sleep'>;

  constructor(options: ResilienceOptions = {}) {
    this.options = {
      breakerThreshold: options.breakerThreshold ?? 5,
      halfOpenAfterMs: options.halfOpenAfterMs ?? 30_000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      sleep: options.sleep,
    };
  }

  breaker(provider: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(provider);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isVendorFailure), {
        halfOpenAfter: this.options.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.options.breakerThreshold),
      });
      this.breakers.set(provider, breaker);
    }
    return breaker;
  }

  /** Whether calls to `provider` are refused right now (open; half-open lets a trial through). */
  isOpen(provider: string): boolean {
    const breaker = this.breakers.get(provider);
    if (!breaker || breaker.state !== CircuitState.Open) return false;
    // cockatiel moves Open → HalfOpen lazily on the next call; report "open" only while the pause lasts.
    const { ownState } = breaker.toJSON() as { ownState?: { openedAt?: number } };
    return Date.now() - (ownState?.openedAt ?? 0) < this.options.halfOpenAfterMs;
  }

  state(provider: string): 'closed' | 'open' | 'half-open' | 'isolated' {
    const value = this.breakers.get(provider)?.state ?? CircuitState.Closed;
    return (['closed', 'open', 'half-open', 'isolated'] as const)[value];
  }

  /**
   * Runs `fn` through the provider's breaker, retrying retryable failures up to `retries` times.
   * `onFailure` sees every failed try (for the attempt log).
   */
  async run<T>(provider: string, retries: number, signal: AbortSignal | undefined, fn: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const breaker = this.breaker(provider);
    let backoff: IBackoff<unknown> | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await breaker.execute(() => fn(signal), signal);
      } catch (raw) {
        const error =
          raw instanceof BrokenCircuitError
            ? new ProviderUnavailableError(`${provider} is failing repeatedly: its circuit breaker is open`, { provider, vendorCode: CIRCUIT_OPEN, cause: raw })
            : raw;
        if (signal?.aborted) throw errorFromSignal(signal);
        // A vendor job that is alive but out of reach is worth another try whatever the error: the
        // try resumes it (nothing is bought again), where falling back would pay another vendor.
        const worthRetry = error instanceof EaselError && (error.retryable || (error.jobAlive === true && error.requestId !== undefined));
        if (!worthRetry || raw instanceof BrokenCircuitError || attempt >= retries) throw error;
        backoff = backoff
          ? backoff.next(undefined)
          : new ExponentialBackoff({ initialDelay: this.options.initialBackoffMs, maxDelay: this.options.maxBackoffMs }).next();
        const hinted = error instanceof RateLimitedError || error instanceof ProviderUnavailableError ? error.retryAfterMs : undefined;
        const wait = hinted ?? backoff.duration;
        if (wait > this.options.maxBackoffMs) throw error;
        await (this.options.sleep ?? sleep)(wait, signal);
      }
    }
  }

  /** Breaker states, for metrics and for sharing between workers. */
  toJSON(): Record<string, unknown> {
    return Object.fromEntries([...this.breakers].map(([provider, breaker]) => [provider, breaker.toJSON()]));
  }
}
