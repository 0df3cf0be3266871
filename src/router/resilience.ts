/**
 * Retries and circuit breakers, composed from cockatiel's public API.
 *
 * The breaker is cockatiel's (per provider, consecutive failures, half-open after a pause, state
 * serialisable with `toJSON()` so workers can share it); when it opened is taken from its `onBreak`
 * event. The retry is cockatiel's policy (which failures, how many times), run around the breaker.
 * Backoff delays come from cockatiel's exponential generator with jitter, or from the vendor's
 * Retry-After. cockatiel 3.2's retry sleeps on a plain timer that neither watches the AbortSignal
 * nor can be injected, and every wait here must stop the moment the request is aborted: its own
 * delay is zero, and the wait runs at the start of the next try through our abortable sleep —
 * outside the breaker, so a deadline that fires during the wait never counts against the vendor.
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ConstantBackoff,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  retry,
} from 'cockatiel';
import { errorFromSignal } from '../core/abort.js';
import { type Clock, realClock } from '../core/clock.js';
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
  /** Injected sleep, for tests (default: the clock's). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * The clock backoff waits and `isOpen` are timed on (default the real one). cockatiel's own
   * half-open pause reads the real clock: it cannot be injected.
   */
  clock?: Clock;
}

/** `vendorCode` of the error a call gets while its provider's breaker is open. */
export const CIRCUIT_OPEN = 'circuit_open';

/** Failures that say the vendor, not the request, is unwell: these count against its breaker. */
export function isVendorFailure(error: unknown): boolean {
  return error instanceof ProviderUnavailableError || error instanceof TimeoutError;
}

export class ProviderHealth {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  /** When each provider's breaker last opened (ms since the epoch), from its `onBreak` event. */
  private readonly openedAt = new Map<string, number>();
  private readonly options: Required<ResilienceOptions>;

  constructor(options: ResilienceOptions = {}) {
    this.options = {
      breakerThreshold: options.breakerThreshold ?? 5,
      halfOpenAfterMs: options.halfOpenAfterMs ?? 30_000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      clock: options.clock ?? realClock,
      sleep: options.sleep ?? (options.clock ?? realClock).sleep,
    };
  }

  breaker(provider: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(provider);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isVendorFailure), {
        halfOpenAfter: this.options.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.options.breakerThreshold),
      });
      // Fired on every opening (from closed, or a failed half-open trial), right as cockatiel starts the pause.
      breaker.onBreak(() => this.openedAt.set(provider, this.options.clock.now()));
      this.breakers.set(provider, breaker);
    }
    return breaker;
  }

  /** Whether calls to `provider` are refused right now (open; half-open lets a trial through). */
  isOpen(provider: string): boolean {
    const breaker = this.breakers.get(provider);
    if (!breaker || breaker.state !== CircuitState.Open) return false;
    // cockatiel moves Open → HalfOpen lazily on the next call; report "open" only while the pause lasts.
    return this.options.clock.now() - (this.openedAt.get(provider) ?? 0) < this.options.halfOpenAfterMs;
  }

  state(provider: string): 'closed' | 'open' | 'half-open' | 'isolated' {
    const value = this.breakers.get(provider)?.state ?? CircuitState.Closed;
    return (['closed', 'open', 'half-open', 'isolated'] as const)[value];
  }

  /** Runs `fn` through the provider's breaker, retrying retryable failures up to `retries` times. */
  async run<T>(provider: string, retries: number, signal: AbortSignal | undefined, fn: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const breaker = this.breaker(provider);
    const retrying = retry(
      handleWhen((error) => this.worthRetry(error)),
      { maxAttempts: retries, backoff: new ConstantBackoff(0) },
    );
    // The wait before the next try: the vendor's Retry-After, else the next exponential delay.
    let backoff: IBackoff<unknown> | undefined;
    let wait = 0;
    retrying.onRetry((failure) => {
      backoff = backoff
        ? backoff.next(undefined)
        : new ExponentialBackoff({ initialDelay: this.options.initialBackoffMs, maxDelay: this.options.maxBackoffMs }).next();
      wait = ('error' in failure ? retryAfterMs(failure.error) : undefined) ?? backoff.duration;
    });
    try {
      return await retrying.execute(async ({ attempt }) => {
        if (attempt > 0) await this.options.sleep(wait, signal);
        return breaker.execute(() => fn(signal), signal);
      }, signal);
    } catch (raw) {
      if (signal?.aborted) throw errorFromSignal(signal);
      if (raw instanceof BrokenCircuitError) {
        throw new ProviderUnavailableError(`${provider} is failing repeatedly: its circuit breaker is open`, {
          provider,
          vendorCode: CIRCUIT_OPEN,
          cause: raw,
        });
      }
      throw raw;
    }
  }

  /** An open breaker is not retried (BrokenCircuitError is no EaselError), nor a vendor asking for a longer wait than easel gives. */
  private worthRetry(error: unknown): boolean {
    // A vendor job that is alive but out of reach is worth another try whatever the error: the
    // try resumes it (nothing is bought again), where falling back would pay another vendor.
    const worth = error instanceof EaselError && (error.retryable || (error.jobAlive === true && error.requestId !== undefined));
    return worth && (retryAfterMs(error) ?? 0) <= this.options.maxBackoffMs;
  }

  /** Breaker states, for metrics and for sharing between workers. */
  toJSON(): Record<string, unknown> {
    return Object.fromEntries([...this.breakers].map(([provider, breaker]) => [provider, breaker.toJSON()]));
  }
}

/** The wait a vendor asked for (Retry-After) with a rate limit or an outage, if it did. */
function retryAfterMs(error: unknown): number | undefined {
  return error instanceof RateLimitedError || error instanceof ProviderUnavailableError ? error.retryAfterMs : undefined;
}
