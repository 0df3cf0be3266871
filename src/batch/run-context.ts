/** What every item of one batch run shares: set up by the engine, used by the item runner. */
import type { Budget } from '../budget/budget.js';
import type { Clock } from '../core/clock.js';
import type { Pacer } from '../router/pacer.js';
import type { RunHooks } from '../router/hooks.js';
import type { BatchOptions } from './run-types.js';
import type { BatchRunner, JobStore } from './types.js';

/** The run's options, with the webhook completion it opened (when it has one). */
export type ItemOptions = BatchOptions & { completion?: RunHooks['completion'] };

export interface RunContext {
  options: ItemOptions;
  easel: BatchRunner;
  store: JobStore;
  budget: Budget;
  pacer: Pacer;
  /** What the items' waits (an open breaker, a retry) run on. */
  clock: Clock;
  outDir: string;
  lineWidth: number;
  /** Hard stop: calls in flight are cut off. */
  signal: AbortSignal;
  /** Soft stop: nothing new is submitted (also set by `signal`, and when the run pauses). */
  stopping: AbortSignal;
  /** Vendor jobs adopted by this run, so two interrupted items never adopt the same one. */
  orphansTaken: Set<string>;
  /** Stops new submits and records why: the run cannot go on without the user (a full disk). */
  pause: (reason: string) => void;
  writeFile: (path: string, bytes: Uint8Array) => Promise<string>;
}
