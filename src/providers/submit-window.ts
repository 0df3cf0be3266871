/**
 * A submit to an async vendor is not cut off by the attempt's deadline or the caller's abort. Once
 * the request is on the wire the vendor may have taken (and will bill) the job, and its id is in the
 * answer: cutting the request off loses the id, and the next attempt buys a second job. So the
 * submit runs to its end under a short bound of its own and, when its answer is lost (including that
 * bound running out), the search for the job it made runs under a fresh bound of the same length —
 * never on the submit's already-spent one. Only then does the adapter look at the attempt's signal,
 * and either keep the job for the next attempt (a timeout) or cancel it (an abort), see `abandonWait`.
 */
import { errorFromSignal } from '../core/abort.js';
import { type EaselError, ProviderUnavailableError } from '../core/errors.js';
import { answerLost } from './lost-answer.js';
import type { ProviderRuntime } from './types.js';

/** How long a submit may take once sent, and how long the search for its job may take after. */
export const SUBMIT_WINDOW_MS = 30_000;

interface SubmitDetails {
  provider: string;
  model?: string;
}

/**
 * Runs `submit` with a runtime whose signal is the submit's own bound (on the runtime's clock)
 * instead of the attempt's, and without the attempt's deadline. Nothing is sent when the attempt is
 * already over. When the answer is lost — no HTTP answer, or none within the bound — `findLost` (the
 * vendor's listing) looks for the job the submit made, under a bound of its own, and its answer is
 * taken as the submit's.
 *
 * What the caller sees when nothing came back: the vendor's own answer when it refused the submit
 * (it took nothing, whatever happened to the attempt meanwhile); the attempt's end (timeout or abort)
 * or the lost answer otherwise, marked `charged` unless a search that ran to its end found no job —
 * the vendor may have taken and billed the request, and what it may have cost counts.
 */
export async function withinSubmitWindow<T>(
  runtime: ProviderRuntime,
  details: SubmitDetails,
  submit: (shielded: ProviderRuntime) => Promise<T>,
  findLost?: (shielded: ProviderRuntime) => Promise<T | undefined>,
): Promise<T> {
  if (runtime.signal.aborted) throw errorFromSignal(runtime.signal, details);
  try {
    return await bounded(runtime, details, 'no answer to the submit', submit);
  } catch (error) {
    if (!answerLost(error)) throw error;
    const search = findLost
      ? await bounded(runtime, details, 'no answer from the search for the submitted job', findLost).then(
          (found) => ({ found }),
          () => undefined,
        )
      : undefined;
    if (search?.found !== undefined) return search.found;
    const lost = runtime.signal.aborted ? errorFromSignal(runtime.signal, details) : (error as EaselError);
    // A search that ran to its end and found nothing: the vendor took nothing, so nothing was charged.
    if (search !== undefined) throw lost;
    throw mayBeCharged(lost, details);
  }
}

/** Runs `work` under a fresh bound of `SUBMIT_WINDOW_MS` instead of the attempt's signal and deadline. */
async function bounded<T>(runtime: ProviderRuntime, details: SubmitDetails, what: string, work: (shielded: ProviderRuntime) => Promise<T>): Promise<T> {
  const expired = new AbortController();
  const stop = new AbortController();
  runtime.sleep(SUBMIT_WINDOW_MS, stop.signal).then(
    () =>
      expired.abort(
        new ProviderUnavailableError(`${details.provider}: ${what} within ${SUBMIT_WINDOW_MS} ms`, { provider: details.provider, model: details.model }),
      ),
    () => undefined,
  );
  try {
    return await work({ ...runtime, signal: expired.signal, deadlineAt: undefined });
  } finally {
    stop.abort();
  }
}

/** The same error, marked as possibly billed (the vendor may have the job, and nobody knows its id). */
function mayBeCharged(error: EaselError, details: SubmitDetails): EaselError {
  if (error.charged) return error;
  const Type = error.constructor as new (message: string, details: ConstructorParameters<typeof ProviderUnavailableError>[1]) => EaselError;
  return new Type(`${error.message}; the vendor may have taken (and billed) the request`, {
    model: error.model ?? details.model,
    provider: error.provider ?? details.provider,
    requestId: error.requestId,
    status: error.status,
    charged: true,
    cause: error,
  });
}
