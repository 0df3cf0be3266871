/**
 * Paces vendor calls to each vendor's published limits instead of retrying 429s: starts spaced
 * evenly to the requests-per-minute limit (a sliding window, as the vendors count), at most
 * `concurrent` in flight, and a pause plus halved concurrency when a 429 gets through anyway.
 */
import PQueue from 'p-queue';
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { AbortedError, RateLimitedError } from '../core/errors.js';

export interface PaceLimits {
  requestsPerMinute?: number;
  concurrent?: number;
}

export class Pacer {
  private readonly queues = new Map<string, PQueue>();
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
    const queue = this.queue(provider);
    return new Promise((resolve, reject) => {
      queue
        .add(() => new Promise<void>((release) => resolve(once(release))), { signal })
        .catch((error: unknown) => reject(signal?.aborted ? new AbortedError('the batch item was aborted while waiting for a slot') : error));
    });
  }

  /** A 429 got through: pause that vendor for Retry-After and halve its concurrency (it recovers on success). */
  observe(provider: string, error: unknown): void {
    if (!(error instanceof RateLimitedError)) return;
    this.rateLimited.set(provider, (this.rateLimited.get(provider) ?? 0) + 1);
    const queue = this.queue(provider);
    queue.concurrency = Math.max(1, Math.floor(queue.concurrency / 2));
    queue.pause();
    setTimeout(() => queue.start(), error.retryAfterMs ?? 1000).unref?.();
  }

  /** A call succeeded: creep back towards the ceiling. */
  recovered(provider: string): void {
    const queue = this.queues.get(provider);
    const ceiling = this.ceilings.get(provider) ?? Infinity;
    if (queue && queue.concurrency < ceiling) queue.concurrency = Math.min(ceiling, queue.concurrency + 1);
  }

  private queue(provider: string): PQueue {
    let queue = this.queues.get(provider);
    if (!queue) {
      const limits = this.limits[provider] ?? {};
      const concurrency = Math.min(limits.concurrent ?? Infinity, this.maxConcurrency);
      const rpm = limits.requestsPerMinute;
      queue = new PQueue({
        concurrency,
        ...(rpm ? { intervalCap: 1, interval: 60_000 / rpm, strict: true } : {}),
      });
      this.queues.set(provider, queue);
      this.ceilings.set(provider, concurrency);
    }
    return queue;
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
