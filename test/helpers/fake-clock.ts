/**
 * A clock that moves only when the test moves it, for tests whose outcome used to hang on real
 * timers racing real I/O (a deadline against a sandbox's answer). HTTP stays real: only easel's own
 * timers and sleeps run on this clock. `advance(ms)` fires every timer that falls due, in order;
 * `autoAdvance` skips the waits shorter than a bound as soon as one is pending (polls, backoff),
 * so a test only ever fires its deadlines itself.
 */
import { abortableWait, type Clock, type TimerHandle } from '../../src/core/clock.js';

interface Timer {
  handle: TimerHandle;
  /** When it fires, on this clock. */
  due: number;
  /** The delay it was set with: what `autoAdvance` decides on. */
  ms: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private readonly timers: Timer[] = [];
  private readonly changed = new Set<() => void>();

  /** Starts at the real time (vendors' job listings are compared with it), then moves only on `advance`. */
  constructor(start = Date.now()) {
    this.time = start;
  }

  // Arrow properties: adapters take `sleep` and `now` off the clock as plain functions.
  now = (): number => this.time;
  /** The fake clock never jumps back: its epoch reading serves as the monotonic one. */
  monotonicNow = (): number => this.time;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    abortableWait(ms, signal, (done, delay) => {
      const handle = this.setTimeout(done, delay);
      return () => this.clearTimeout(handle);
    });

  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const delay = Math.max(0, ms);
    const timer: Timer = { handle: {}, due: this.time + delay, ms: delay, fn };
    this.timers.push(timer);
    this.notify();
    return timer.handle;
  };

  clearTimeout = (handle: TimerHandle | undefined): void => {
    const index = this.timers.findIndex((t) => t.handle === handle);
    if (index >= 0) this.timers.splice(index, 1);
  };

  /** Delays of the timers pending now (ms they were set with), earliest due first. */
  pending(): number[] {
    return this.sorted().map((t) => t.ms);
  }

  /** Moves time forward by `ms`, firing each timer that falls due at its own time, in order. */
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (let next = this.sorted()[0]; next && next.due <= target; next = this.sorted()[0]) {
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = target;
  }

  /** Resolves once a timer set with a delay that `matches` is pending (checked as timers are set, never on a real timer). */
  whenPending(matches: (ms: number) => boolean): Promise<void> {
    if (this.timers.some((t) => matches(t.ms))) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!this.timers.some((t) => matches(t.ms))) return;
        this.changed.delete(check);
        resolve();
      };
      this.changed.add(check);
    });
  }

  /**
   * From now on, whenever a timer set with a delay under `belowMs` is pending, time jumps to it
   * (after the code that set it has run to its next await). Longer timers (deadlines, read and submit
   * bounds) fire only when the test advances the clock, or when the skipped waits add up to them.
   * Returns the function that stops it.
   */
  autoAdvance(belowMs: number): () => void {
    let stopped = false;
    let queued = false;
    const step = () => {
      queued = false;
      if (stopped) return;
      const next = this.sorted().find((t) => t.ms < belowMs);
      if (!next) return;
      this.advance(next.due - this.time);
      schedule();
    };
    // setImmediate: after the promise callbacks the timer's setter queued, so a timer set and
    // cleared in one go (a read bound around an answer already there) is never fired.
    const schedule = () => {
      if (queued || stopped) return;
      queued = true;
      setImmediate(step);
    };
    this.changed.add(schedule);
    schedule();
    return () => {
      stopped = true;
      this.changed.delete(schedule);
    };
  }

  private sorted(): Timer[] {
    return [...this.timers].sort((a, b) => a.due - b.due);
  }

  private notify(): void {
    for (const listener of [...this.changed]) listener();
  }
}
