/**
 * Paces vendor calls to each vendor's published limits instead of retrying 429s: starts spaced
 * evenly just under `requestsPerMinute` (and Stability's burst window), at most `concurrent` in
 * flight, and a pause plus halved concurrency when a 429 gets through anyway.
 */
import PQueue from 'p-queue';
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { errorFromSignal, sleep } from '../core/abort.js';
import { AbortedError, RateLimitedError } from '../core/errors.js';

/**
 * Starts a schedule may fall behind and then make up at once. A late timer (a busy event loop)
 * costs nothing while the lag stays within this; the spacing is widened by the same amount, so no
 * window of the vendor's ever counts more than its limit.
 */
const CATCH_UP = 2;
/**
 * The vendor counts a request when it arrives, a little after we started it, and arrivals bunch up
 * by a few milliseconds: that much of each window is kept unused (nothing against a 60-second window;
 * a few per cent against a time-scaled sandbox's).
 */
const ARRIVAL_JITTER_MS = 30;

export interface PaceLimits {
  requestsPerMinute?: number;
  /** Length of the "minute" (ms): 60 000 for real vendors, shorter against a time-scaled sandbox. */
  windowMs?: number;
  concurrent?: number;
  burst?: { requests: number; windowMs: number };
}

/**
 * A start schedule in the manner of GCRA: the k-th start is due at t0 + k·spacing. A start that comes
 * late does not push the others back, up to CATCH_UP starts; so over any window at most
 * window/spacing + CATCH_UP + 1 calls start, which the spacing keeps within `requests`.
 */
class StartSchedule {
  private next = 0;
  private readonly spacingMs: number;

  constructor(requests: number, windowMs: number) {
    // Spacing such that any window holds at most `requests` arrivals, jitter and catch-up included.
    this.spacingMs = Math.max(1, windowMs - ARRIVAL_JITTER_MS) / Math.max(1, requests - CATCH_UP - 1);
  }

  async take(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    this.next = Math.max(this.next, now - CATCH_UP * this.spacingMs);
    const at = this.next;
    this.next += this.spacingMs;
    if (at > now) await sleep(at - now, signal);
  }
}

interface VendorPace {
  /** Concurrency; a slot is held until the call is done. */
  slots: PQueue;
  schedules: StartSchedule[];
}

export class Pacer {
  private readonly paces = new Map<string, VendorPace>();
  private readonly ceilings = new Map<string, number>();
  /** 429s seen per vendor, for progress and benchmarks. */
  readonly rateLimited = new Map<string, number>();

  /**
   * @param limits per-vendor limits (default: the catalog's, from the guide's table)
   * @param maxConcurrency overall cap per vendor from `--concurrency`
   */
  constructor(
    private readonly limits: Record<string, PaceLimits | undefined> = PROVIDER_LIMITS,
    private readonly maxConcurrency = Infinity,
  ) {}

  /** Waits for a slot with `provider` and its turn to start; returns the function that gives the slot back. */
  acquire(provider: string, signal?: AbortSignal): Promise<() => void> {
    const { slots, schedules } = this.pace(provider);
    return new Promise((resolve, reject) => {
      slots
        .add(
          async () => {
            let release!: () => void;
            const held = new Promise<void>((r) => (release = r));
            try {
              for (const schedule of schedules) await schedule.take(signal);
            } catch (error) {
              reject(signal?.aborted ? errorFromSignal(signal) : error);
              return;
            }
            resolve(once(release));
            await held;
          },
          { signal },
        )
        .catch((error: unknown) => reject(signal?.aborted ? new AbortedError('the batch item was aborted while waiting for a slot') : error));
    });
  }

  /** A 429 got through: pause that vendor for Retry-After and halve its concurrency (it recovers on success). */
  observe(provider: string, error: unknown): void {
    if (!(error instanceof RateLimitedError)) return;
    this.rateLimited.set(provider, (this.rateLimited.get(provider) ?? 0) + 1);
    const { slots } = this.pace(provider);
    slots.concurrency = Math.max(1, Math.floor(slots.concurrency / 2));
    slots.pause();
    setTimeout(() => slots.start(), error.retryAfterMs ?? 1000).unref?.();
  }

  /** A call succeeded: creep back towards the ceiling. */
  recovered(provider: string): void {
    const pace = this.paces.get(provider);
    const ceiling = this.ceilings.get(provider) ?? Infinity;
    if (pace && pace.slots.concurrency < ceiling) pace.slots.concurrency = Math.min(ceiling, pace.slots.concurrency + 1);
  }

  private pace(provider: string): VendorPace {
    let pace = this.paces.get(provider);
    if (!pace) {
      const limits = this.limits[provider] ?? {};
      const concurrency = Math.min(limits.concurrent ?? Infinity, this.maxConcurrency);
      const schedules: StartSchedule[] = [];
      if (limits.requestsPerMinute) schedules.push(new StartSchedule(limits.requestsPerMinute, limits.windowMs ?? 60_000));
      if (limits.burst) schedules.push(new StartSchedule(limits.burst.requests, limits.burst.windowMs));
      pace = { slots: new PQueue({ concurrency }), schedules };
      this.paces.set(provider, pace);
      this.ceilings.set(provider, concurrency);
    }
    return pace;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
