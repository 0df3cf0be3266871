/**
 * Paces vendor calls to each vendor's published limits instead of retrying 429s: at most
 * `requestsPerMinute` starts in any sliding minute (the way the vendors count), Stability's burst
 * window on top, at most `concurrent` in flight, and a pause plus halved concurrency when a 429
 * gets through anyway.
 */
import PQueue from 'p-queue';
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { AbortedError, RateLimitedError } from '../core/errors.js';

/**
 * Starts are spread evenly over the window in small slices, so a late timer can catch up within a
 * slice. A sliding window would also allow a whole window's worth at once, but a burst arrives
 * spread out while the next one starts on time, so its edges collide with the vendor's count (for
 * Stability, a 60-second lockout). One slice of slack absorbs arrival jitter.
 */
const SLICES = 50;

export interface PaceLimits {
  requestsPerMinute?: number;
  /** Length of the "minute" (ms): 60 000 for real vendors, shorter against a time-scaled sandbox. */
  windowMs?: number;
  concurrent?: number;
  burst?: { requests: number; windowMs: number };
}

interface VendorQueues {
  /** Concurrency and the per-minute window; a slot is held until the call is done. */
  main: PQueue;
  /** The short burst window (Stability: 150 per 10 s), counted at start only. */
  burst?: PQueue;
}

export class Pacer {
  private readonly queues = new Map<string, VendorQueues>();
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

  /** Waits for a slot with `provider`; returns the function that gives it back. */
  acquire(provider: string, signal?: AbortSignal): Promise<() => void> {
    const { main, burst } = this.queue(provider);
    return new Promise((resolve, reject) => {
      main
        .add(
          async () => {
            if (burst) await burst.add(() => undefined, { signal });
            await new Promise<void>((release) => resolve(once(release)));
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
    const { main } = this.queue(provider);
    main.concurrency = Math.max(1, Math.floor(main.concurrency / 2));
    main.pause();
    setTimeout(() => main.start(), error.retryAfterMs ?? 1000).unref?.();
  }

  /** A call succeeded: creep back towards the ceiling. */
  recovered(provider: string): void {
    const queues = this.queues.get(provider);
    const ceiling = this.ceilings.get(provider) ?? Infinity;
    if (queues && queues.main.concurrency < ceiling) queues.main.concurrency = Math.min(ceiling, queues.main.concurrency + 1);
  }

  private queue(provider: string): VendorQueues {
    let queues = this.queues.get(provider);
    if (!queues) {
      const limits = this.limits[provider] ?? {};
      const concurrency = Math.min(limits.concurrent ?? Infinity, this.maxConcurrency);
      const rpm = limits.requestsPerMinute;
      queues = {
        main: new PQueue({ concurrency, ...(rpm ? slices(rpm, limits.windowMs ?? 60_000) : {}) }),
        burst: limits.burst ? new PQueue(slices(limits.burst.requests, limits.burst.windowMs)) : undefined,
      };
      this.queues.set(provider, queues);
      this.ceilings.set(provider, concurrency);
    }
    return queues;
  }
}

/** At most `requests` per `windowMs` even if arrivals shift by a slice: `perSlice` starts every `interval`. */
function slices(requests: number, windowMs: number): { intervalCap: number; interval: number; strict: true } {
  const perSlice = Math.max(1, Math.floor(requests / SLICES));
  const room = Math.max(1, requests - perSlice);
  return { intervalCap: perSlice, interval: (windowMs * perSlice) / room, strict: true };
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
