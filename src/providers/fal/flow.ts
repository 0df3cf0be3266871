/**
 * FAL's queue flow: submit, hand the request id to `onSubmitted`, wait for COMPLETED on the status
 * stream (server-sent events, protocols.md 4.2) — or by polling the status where no stream is
 * offered — then fetch the result. Every wait observes the runtime signal; on abort or timeout the
 * request is cancelled (fresh short signal) so it stops running, then the abort error is thrown.
 */
import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import { abandonWait } from '../abandon.js';
import { pauseBeforePoll } from '../completion.js';
import { type HttpScope, readJson, send } from '../http.js';
import { readJob } from '../job-read.js';
import type { CancelOutcome, ProviderRuntime } from '../types.js';
import { appBase } from './request.js';
import { joinUrl } from '../../core/url.js';

const SubmitSchema = z.object({ request_id: z.string().min(1) });
const StatusSchema = z.object({ status: z.string() });
const CANCEL_TIMEOUT_MS = 5_000;

export function authHeaders(runtime: ProviderRuntime): Record<string, string> {
  return { authorization: `Key ${runtime.apiKey()}`, accept: 'application/json' };
}

function requestUrl(runtime: ProviderRuntime, app: string, id: string, suffix = ''): string {
  return `${joinUrl(runtime.baseUrl, `${appBase(app)}/requests/${encodeURIComponent(id)}`)}${suffix}`;
}

export async function submit(scope: HttpScope, url: string, body: unknown): Promise<string> {
  const webhook = scope.runtime.completion?.url;
  // A webhook the caller set in providerOptions.fal.webhookUrl is already on the URL and wins.
  const target = webhook && !url.includes('fal_webhook=') ? `${url}${url.includes('?') ? '&' : '?'}fal_webhook=${encodeURIComponent(webhook)}` : url;
  const answer = await send(scope, { method: 'POST', url: target, headers: authHeaders(scope.runtime), body });
  return readJson(scope, answer, SubmitSchema).request_id;
}

export async function waitForCompletion(scope: HttpScope, app: string, id: string): Promise<void> {
  const { runtime } = scope;
  try {
    // A webhook will say when it is done: no stream held open per job, only slow safety-net polls.
    if (!runtime.completion && (await streamUntilCompleted(scope, app, id))) return;
    if (runtime.firstPollDelayMs) await pauseBeforePoll(runtime, runtime.firstPollDelayMs, id);
    const url = requestUrl(runtime, app, id, '/status');
    for (;;) {
      const { status } = await readJob(scope, id, 'status', async (signal) =>
        readJson(scope, await send(scope, { method: 'GET', url, headers: authHeaders(runtime), signal }), StatusSchema),
      );
      if (status === 'COMPLETED') return;
      await pauseBeforePoll(runtime, runtime.pollIntervalMs, id);
    }
  } catch (error) {
    if (runtime.signal.aborted) throw await abandonWait(runtime, scope, id, () => cancel(scope, app, id));
    throw error;
  }
}

/** How often a stream that ends early (a proxy's idle timeout) is opened again before polling instead. */
const STREAM_REOPENS = 3;

/**
 * Waits on `GET …/status/stream`: one open request instead of a poll every interval, and COMPLETED
 * is known the moment FAL says it. The stream ends after COMPLETED. False when FAL offered no
 * stream (an error, another content type, or a stream that kept ending without news): the caller
 * polls, which also reports any real error, and retries transient ones (a failed stream is never
 * a reason to submit again).
 */
async function streamUntilCompleted(scope: HttpScope, app: string, id: string): Promise<boolean> {
  const { runtime } = scope;
  for (let reopen = 0; reopen <= STREAM_REOPENS; reopen++) {
    let answer;
    try {
      answer = await send(scope, {
        method: 'GET',
        url: requestUrl(runtime, app, id, '/status/stream'),
        headers: { ...authHeaders(runtime), accept: 'text/event-stream' },
      });
    } catch (error) {
      if (runtime.signal.aborted) throw error;
      return false;
    }
    if (!answer.headers.get('content-type')?.startsWith('text/event-stream')) return false;
    const statuses = sseStatuses(answer.bytes);
    if (statuses.at(-1) === 'COMPLETED') return true;
    if (statuses.length === 0) return false;
  }
  return false;
}

function sseStatuses(bytes: Uint8Array): string[] {
  const statuses: string[] = [];
  const parser = createParser({
    onEvent: (event) => {
      try {
        const parsed = StatusSchema.safeParse(JSON.parse(event.data));
        if (parsed.success) statuses.push(parsed.data.status);
      } catch {
        /* a keep-alive or an event that is not a status */
      }
    },
  });
  parser.feed(new TextDecoder().decode(bytes));
  return statuses;
}

/** The result (`response_url`), parsed; transient failures are asked again (the request is paid for). */
export function fetchResult<S extends z.ZodType>(scope: HttpScope, app: string, id: string, schema: S): Promise<{ result: z.output<S>; requestId: string }> {
  const url = requestUrl(scope.runtime, app, id);
  return readJob(scope, id, 'result', async (signal) => {
    const answer = await send(scope, { method: 'GET', url, headers: authHeaders(scope.runtime), signal });
    return { result: readJson(scope, answer, schema), requestId: answer.requestId ?? id };
  });
}

/**
 * Best effort: a failed cancel must not hide the error that caused it. FAL answers with a status
 * (`CANCELLATION_REQUESTED`, `ALREADY_COMPLETED`, `NOT_FOUND`), read whatever the HTTP code: a request
 * that had already completed is billed.
 */
export async function cancel(scope: HttpScope, app: string, id: string): Promise<CancelOutcome> {
  try {
    const answer = await scope.runtime.fetch(requestUrl(scope.runtime, app, id, '/cancel'), {
      method: 'PUT',
      headers: authHeaders(scope.runtime),
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
    });
    const status = ((await answer.json().catch(() => ({}))) as { status?: unknown }).status;
    return status === 'ALREADY_COMPLETED' ? 'completed' : status === 'CANCELLATION_REQUESTED' || status === 'OK' ? 'canceled' : 'unknown';
  } catch {
    return 'unknown';
  }
}
