/**
 * Replicate's async flow: create (holding the request open with `Prefer: wait=N` when nobody needs
 * the id early), then poll `GET /predictions/{id}` until the prediction ends. Every wait observes
 * the runtime signal; on abort or timeout the prediction is cancelled (fresh short signal) so it
 * stops billing, then the abort error is thrown.
 */
import { abandonWait } from '../abandon.js';
import { pauseBeforePoll } from '../completion.js';
import { type HttpScope, readJson, send } from '../http.js';
import { readJob } from '../job-read.js';
import type { CancelOutcome, ProviderRuntime } from '../types.js';
import type { CreateRequest } from './request.js';
import { isFinished, type Prediction, PredictionSchema } from './response.js';
import { joinUrl } from '../../core/url.js';

/** Replicate holds a `Prefer: wait` request for at most 60 s. */
export const MAX_WAIT_SECONDS = 60;
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

/** The prediction's state; transient failures are asked again (the prediction is paid for). */
export function getPrediction(scope: HttpScope, id: string): Promise<Prediction> {
  const url = joinUrl(scope.runtime.baseUrl, `predictions/${encodeURIComponent(id)}`);
  return readJob(scope, id, 'status', async (signal) =>
    readJson(scope, await send(scope, { method: 'GET', url, headers: authHeaders(scope.runtime), signal }), PredictionSchema),
  );
}

/**
 * Best effort: a cancel that fails must not hide the error that caused it. Replicate answers with the
 * prediction: one that had already succeeded is billed.
 */
export async function cancelPrediction(scope: HttpScope, id: string): Promise<CancelOutcome> {
  const url = joinUrl(scope.runtime.baseUrl, `predictions/${encodeURIComponent(id)}/cancel`);
  try {
    const answer = await send(scope, { method: 'POST', url, headers: authHeaders(scope.runtime), signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
    const status = (JSON.parse(new TextDecoder().decode(answer.bytes)) as { status?: unknown }).status;
    return status === 'succeeded' ? 'completed' : status === 'canceled' ? 'canceled' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Polls until the prediction ends. An abort cancels it (a timeout may keep it for the next attempt);
 * a poll that keeps failing gives up with `jobAlive` and leaves it running, to be resumed.
 */
export async function waitForPrediction(scope: HttpScope, first: Prediction): Promise<Prediction> {
  const { runtime } = scope;
  let prediction = first;
  let firstPoll = true;
  try {
    while (!isFinished(prediction)) {
      const interval = firstPoll ? Math.max(runtime.pollIntervalMs, runtime.firstPollDelayMs ?? 0) : runtime.pollIntervalMs;
      firstPoll = false;
      await pauseBeforePoll(runtime, interval, prediction.id);
      prediction = await getPrediction(scope, prediction.id);
    }
    return prediction;
  } catch (error) {
    if (runtime.signal.aborted) throw await abandonWait(runtime, scope, prediction.id, () => cancelPrediction(scope, prediction.id));
    throw error;
  }
}
