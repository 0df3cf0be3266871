/**
 * Reading a vendor job that exists: a status poll, a status stream, the result, an output file.
 * The job is already paid for, so a transient failure (5xx, 429, a reset connection, a read that
 * hangs past `readTimeoutMs`) is asked again, with backoff, against the same job — never answered
 * by buying a new one. The adapter gives up only when the retry allowance or the attempt's deadline
 * runs out, and then says the job is alive (`jobAlive`), so the next attempt resumes it.
 */
import { EaselError, ProviderUnavailableError, RateLimitedError } from '../core/errors.js';
import type { HttpScope } from './http.js';
import type { ProviderRuntime } from './types.js';

export const DEFAULT_READ_RETRIES = 8;
export const DEFAULT_READ_TIMEOUT_MS = 60_000;
/** Backoff doubles from the poll interval up to this many intervals. */
const MAX_BACKOFF_INTERVALS = 32;

type Transient = RateLimitedError | ProviderUnavailableError;

/**
 * Runs `read` (one HTTP exchange and its parsing) with a per-read timeout, retrying transient
 * failures. `what` names the read in the final error (`status`, `result`, `output file`). Without
 * a `jobId` (a synchronous vendor's output URL: nothing to resume), the last failure is thrown as is.
 */
export async function readJob<T>(scope: HttpScope, jobId: string | undefined, what: string, read: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { runtime } = scope;
  const allowance = runtime.readRetries ?? DEFAULT_READ_RETRIES;
  for (let failures = 1; ; failures++) {
    let error: Transient;
    const timer = readTimer(runtime, scope, what);
    try {
      return await read(timer.signal);
    } catch (caught) {
      // The caller's abort or the attempt's deadline: the flow decides (cancel, or keep and resume).
      if (runtime.signal.aborted || !isTransient(caught)) throw caught;
      error = caught;
    } finally {
      timer.dispose();
    }
    const wait = backoffMs(runtime, failures, error);
    const pastDeadline = runtime.deadlineAt !== undefined && runtime.now() + wait >= runtime.deadlineAt;
    if (failures > allowance || pastDeadline) throw jobId === undefined ? error : jobAliveError(scope, jobId, what, failures, error);
    await runtime.sleep(wait, runtime.signal);
  }
}

export function isTransient(error: unknown): error is Transient {
  return error instanceof RateLimitedError || error instanceof ProviderUnavailableError;
}

/** The error for a job that exists and that the vendor has not failed: resume it, never buy it again. */
export function jobAliveError(
  scope: Pick<HttpScope, 'provider' | 'model'>,
  jobId: string,
  what: string,
  tries: number,
  last: EaselError,
): ProviderUnavailableError {
  return new ProviderUnavailableError(
    `${scope.provider}: could not read the ${what} of job ${jobId} (${tries} ${tries === 1 ? 'try' : 'tries'}; last: ${last.message}); the job is still alive and must be resumed, not bought again`,
    {
      provider: scope.provider,
      model: scope.model,
      requestId: jobId,
      status: last.status,
      retryAfterMs: last instanceof RateLimitedError || last instanceof ProviderUnavailableError ? last.retryAfterMs : undefined,
      jobAlive: true,
      cause: last,
    },
  );
}

/** Doubling from the poll interval, at least what Retry-After asks, with jitter so retries spread out. */
function backoffMs(runtime: ProviderRuntime, failures: number, error: Transient): number {
  const base = Math.max(1, runtime.pollIntervalMs);
  const doubled = base * Math.min(2 ** (failures - 1), MAX_BACKOFF_INTERVALS);
  const jittered = doubled / 2 + (Math.random() * doubled) / 2;
  return Math.max(error.retryAfterMs ?? 0, jittered);
}

/**
 * A signal for one read: the runtime's (abort, deadline), plus the read's own timeout on the
 * runtime's clock, which aborts with a transient error so a hung read is simply asked again.
 */
function readTimer(runtime: ProviderRuntime, scope: HttpScope, what: string): { signal: AbortSignal; dispose: () => void } {
  const timeoutMs = runtime.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const expired = new AbortController();
  const stop = new AbortController();
  runtime.sleep(timeoutMs, stop.signal).then(
    () =>
      expired.abort(
        new ProviderUnavailableError(`${scope.provider}: the ${what} read took longer than ${timeoutMs} ms`, { provider: scope.provider, model: scope.model }),
      ),
    () => undefined,
  );
  return { signal: AbortSignal.any([runtime.signal, expired.signal]), dispose: () => stop.abort() };
}
