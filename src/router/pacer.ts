/**
 * Paces vendor calls to each vendor's published limits instead of retrying 429s: starts spaced
 * evenly just under `requestsPerMinute` (and Stability's burst window), at most `concurrent` in
 * flight, and a pause plus halved concurrency when a 429 gets through anyway.
 */
import PQueue from 'p-queue';
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { errorFromSignal } from '../core/abort.js';
import { type Clock, realClock } from '../core/clock.js';
import { AbortedError, RateLimitedError } from '../core/errors.js';

/**
 * The vendor counts a request when it arrives, a little after we started it, and arrivals bunch up
 * by a few milliseconds (one request delayed by a busy event loop or a new connection lands right
 * before the next): the spacing is set so that even a window stretched by this much holds no more
 * than the limit. Nothing against a 60-second window; a few per cent against a time-scaled sandbox's.
 */
const ARRIVAL_JITTER_MS = 30;
/**
 * Timers fire a millisecond or two late. A start that late keeps its place in the schedule, so the
 * lateness does not add up over a run; a start later than this (a stall) moves the schedule, so no
 * burst makes up for it. The spacing allows for it like for arrival jitter.
 */
const LATE_TOLERANCE_MS = 4;

export interface PaceLimits {
  requestsPerMinute?: number;
  /** Length of the "minute" (ms): 60 000 for real vendors, shorter against a time-scaled sandbox. */
  windowMs?: number;
  concurrent?: number;
  burst?: { requests: number; windowMs: number };
}

/**
 * Starts on a schedule `spacing` apart, one waiter at a time; consecutive starts are at least
 * spacing − LATE_TOLERANCE_MS apart. Any window of the vendor's then holds at most
 * (window + tolerance) / spacing + 1 starts, and arrivals bunched by up to ARRIVAL_JITTER_MS add
 * none: spacing = (window + jitter + tolerance) / (requests − 1).
 */
class StartSchedule {
  private next = 0;
  private readonly spacingMs: number;
  /** Waiters take their turn one at a time (see `take`). */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    requests: number,
    windowMs: number,
    private readonly clock: Clock,
  ) {
    this.spacingMs = (windowMs + ARRIVAL_JITTER_MS + LATE_TOLERANCE_MS) / Math.max(1, requests - 1);
  }

  /**
   * Resolves when the caller may start. One waiter at a time, and its slot is decided when it wakes,
   * not when it queued: timers that fire late (a busy event loop at startup) would otherwise release
   * every start planned for the stall at once.
   */
  take(signal?: AbortSignal): Promise<void> {
    const mine = this.turn.then(() => this.waitForSlot(signal));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw errorFromSignal(signal);
      const now = this.clock.monotonicNow();
      if (this.next <= now) {
        this.next = (now - this.next <= LATE_TOLERANCE_MS ? this.next : now) + this.spacingMs;
        return;
      }
      await this.clock.sleep(this.next - now, signal);
    }
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
   * @param clock what the schedule and the pause after a 429 are timed on
   */
  constructor(
    private readonly limits: Record<string, PaceLimits | undefined> = PROVIDER_LIMITS,
    private readonly maxConcurrency = Infinity,
    private readonly clock: Clock = realClock,
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
    this.clock.setTimeout(() => slots.start(), error.retryAfterMs ?? 1000);
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
      if (limits.requestsPerMinute) schedules.push(new StartSchedule(limits.requestsPerMinute, limits.windowMs ?? 60_000, this.clock));
      if (limits.burst) schedules.push(new StartSchedule(limits.burst.requests, limits.burst.windowMs, this.clock));
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
