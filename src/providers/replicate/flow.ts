/**
 * Replicate's async flow: create (holding the request open with `Prefer: wait=N` when nobody needs
 * the id early), then poll `GET /predictions/{id}` until the prediction ends. Every wait observes
 * the runtime signal; on abort or timeout the prediction is cancelled (fresh short signal) so it
 * stops billing, then the abort error is thrown.
 */
import { ProviderUnavailableError, RateLimitedError } from '../../core/errors.js';
import { abandonWait } from '../abandon.js';
import { pauseBeforePoll } from '../completion.js';
import { type HttpScope, readJson, send } from '../http.js';
import type { ProviderRuntime } from '../types.js';
import type { CreateRequest } from './request.js';
import { isFinished, type Prediction, PredictionSchema } from './response.js';

/** Replicate holds a `Prefer: wait` request for at most 60 s. */
export const MAX_WAIT_SECONDS = 60;
/** Transient poll failures tolerated in a row before giving up: the prediction is paid for, keep asking. */
const MAX_POLL_FAILURES = 5;
const CANCEL_TIMEOUT_MS = 5_000;

export function authHeaders(runtime: ProviderRuntime): Record<string, string> {
  return { authorization: `Bearer ${runtime.apiKey()}` };
}

/**
 * Seconds for `Prefer: wait`, or undefined to poll from the start: `false` from the options; else
 * the option (default 60), kept a second short of the attempt's deadline so the answer, and with
 * it the prediction id, arrives before the timeout.
 */
export function chooseWait(option: number | false | undefined, runtime: Pick<ProviderRuntime, 'deadlineAt' | 'now'>): number | undefined {
  if (option === false) return undefined;
  const wanted = Math.min(option ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS);
  if (runtime.deadlineAt === undefined) return wanted;
  const left = Math.floor((runtime.deadlineAt - runtime.now()) / 1000) - 1;
  return left >= 1 ? Math.min(wanted, left) : undefined;
}

export async function createPrediction(scope: HttpScope, request: CreateRequest): Promise<Prediction> {
  const answer = await send(scope, { method: 'POST', url: request.url, headers: { ...request.headers, ...authHeaders(scope.runtime) }, body: request.body });
  return readJson(scope, answer, PredictionSchema);
}

export async function getPrediction(scope: HttpScope, id: string): Promise<Prediction> {
  const url = `${scope.runtime.baseUrl.replace(/\/+$/, '')}/predictions/${encodeURIComponent(id)}`;
  const answer = await send(scope, { method: 'GET', url, headers: authHeaders(scope.runtime) });
  return readJson(scope, answer, PredictionSchema);
}

/** Best effort: a cancel that fails must not hide the error that caused it. */
export async function cancelPrediction(scope: HttpScope, id: string): Promise<void> {
  const url = `${scope.runtime.baseUrl.replace(/\/+$/, '')}/predictions/${encodeURIComponent(id)}/cancel`;
  try {
    await send(scope, { method: 'POST', url, headers: authHeaders(scope.runtime), signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
  } catch {
    /* already finished, or the vendor is unreachable: nothing more to do */
  }
}

/** Polls until the prediction ends; cancels it when the wait is aborted or gives up. */
export async function waitForPrediction(scope: HttpScope, first: Prediction): Promise<Prediction> {
  const { runtime } = scope;
  let prediction = first;
  let failures = 0;
  let firstPoll = true;
  let lastError: RateLimitedError | ProviderUnavailableError | undefined;
  try {
    while (!isFinished(prediction)) {
      const interval = firstPoll ? Math.max(runtime.pollIntervalMs, runtime.firstPollDelayMs ?? 0) : runtime.pollIntervalMs;
      firstPoll = false;
      const pause = failures > 0 ? backoff(runtime.pollIntervalMs, failures, lastError) : interval;
      await pauseBeforePoll(runtime, pause, prediction.id);
      try {
        prediction = await getPrediction(scope, prediction.id);
        failures = 0;
      } catch (error) {
        if (!isTransient(error) || runtime.signal.aborted || ++failures > MAX_POLL_FAILURES) throw error;
        lastError = error;
      }
    }
    return prediction;
  } catch (error) {
    if (runtime.signal.aborted) throw await abandonWait(runtime, scope, prediction.id, () => cancelPrediction(scope, prediction.id));
    await cancelPrediction(scope, prediction.id);
    throw error;
  }
}

function isTransient(error: unknown): error is RateLimitedError | ProviderUnavailableError {
  return error instanceof RateLimitedError || error instanceof ProviderUnavailableError;
}

function backoff(intervalMs: number, failures: number, error: RateLimitedError | ProviderUnavailableError | undefined): number {
  return Math.max(error?.retryAfterMs ?? 0, intervalMs * 2 ** Math.min(failures, 6));
}
