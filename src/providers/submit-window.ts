/**
 * A submit to an async vendor is not cut off by the attempt's deadline or the caller's abort. Once
 * the request is on the wire the vendor may have taken (and will bill) the job, and its id is in the
 * answer: cutting the request off loses the id, and the next attempt buys a second job. So the
 * submit — and, when its answer is lost, the search for the job it made — runs to its end under a
 * short bound of its own; only then does the adapter look at the attempt's signal, and either keep
 * the job for the next attempt (a timeout) or cancel it (an abort), see `abandonWait`.
 */
import { errorFromSignal } from '../core/abort.js';
import { ProviderUnavailableError } from '../core/errors.js';
import type { ProviderRuntime } from './types.js';

/** How long a submit (and the search for its job when the answer is lost) may take once sent. */
export const SUBMIT_WINDOW_MS = 30_000;

/**
 * Runs `submit` with a runtime whose signal is the submit's own bound (on the runtime's clock)
 * instead of the attempt's, and without the attempt's deadline. Nothing is sent when the attempt is
 * already over. When the bound runs out the submit fails as a lost answer (a transient error with
 * no status), since the vendor may have taken the job.
 */
export async function withinSubmitWindow<T>(runtime: ProviderRuntime, details: { provider: string; model?: string }, submit: (shielded: ProviderRuntime) => Promise<T>): Promise<T> {
  if (runtime.signal.aborted) throw errorFromSignal(runtime.signal, details);
  const expired = new AbortController();
  const stop = new AbortController();
  runtime.sleep(SUBMIT_WINDOW_MS, stop.signal).then(
    () => expired.abort(new ProviderUnavailableError(`${details.provider}: no answer to the submit within ${SUBMIT_WINDOW_MS} ms`, { provider: details.provider, model: details.model })),
    () => undefined,
  );
  try {
    return await submit({ ...runtime, signal: expired.signal, deadlineAt: undefined });
  } catch (error) {
    // A submit that failed while the attempt was being given up: the caller sees why it was given up.
    if (runtime.signal.aborted) throw errorFromSignal(runtime.signal, details);
    throw error;
  } finally {
    stop.abort();
  }
}
