/**
 * The one clock easel reads time from. Everything that waits or measures a deadline (attempt
 * deadlines, hedge timers, backoff, the pacer, polling, batch waits) takes a `Clock`, so tests can
 * run it on a clock they advance themselves instead of racing real timers against real I/O.
 * `realClock` is the default everywhere.
 */
import { AbortedError, EaselError, TimeoutError } from './errors.js';
import { errorFromSignal } from './abort.js';

/** An opaque timer, as returned by `Clock.setTimeout`. */
export type TimerHandle = object;

/** Its members are called detached (adapters get `now` and `sleep` as plain functions): no `this`. */
export interface Clock {
  /** Milliseconds since the epoch on this clock (the real clock: `Date.now()`). */
  now(): number;
  /**
   * Milliseconds on a reading that never jumps (the real clock: `performance.now()`), for schedules
   * that must not stall or burst when the wall clock is set.
   */
  monotonicNow(): number;
  /** Resolves after `ms` on this clock; rejects with the signal's typed reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once after `ms` on this clock. The timer never keeps the process alive (unref'd). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; `undefined` and timers that already fired are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * A wait of `ms` started with `schedule` (which returns how to cancel it), ended early with the
 * signal's typed reason when the signal aborts. Shared by every clock so they reject alike.
 */
export function abortableWait(ms: number, signal: AbortSignal | undefined, schedule: (done: () => void, ms: number) => () => void): Promise<void> {
  if (signal?.aborted) return Promise.reject(errorFromSignal(signal));
  return new Promise((resolve, reject) => {
    const cancel = schedule(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      cancel();
      reject(errorFromSignal(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  // A sleep is what its caller is waiting for, so its timer keeps the process alive (unlike setTimeout below).
  sleep: (ms, signal) =>
    abortableWait(ms, signal, (done, delay) => {
      const timer = globalThis.setTimeout(done, delay);
      return () => globalThis.clearTimeout(timer);
    }),
  setTimeout: (fn, ms) => {
    const timer = globalThis.setTimeout(fn, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as NodeJS.Timeout | undefined),
};

/** Sleep on the real clock (for code that has no clock of its own to use). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return realClock.sleep(ms, signal);
}

/** A signal that fires on the user's abort or after `timeoutMs` on `clock`, whichever comes first. */
export function deadlineSignal(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what = 'the request',
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = realClock,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason instanceof EaselError ? parent.reason : new AbortedError(`${what} was aborted`));
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer =
    timeoutMs === undefined ? undefined : clock.setTimeout(() => controller.abort(new TimeoutError(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  return {
    signal: controller.signal,
    dispose: () => {
      clock.clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
