/**
 * FAL's queue flow: submit, hand the request id to `onSubmitted`, poll the status until COMPLETED,
 * then fetch the result. Every wait observes the runtime signal; on abort or timeout the request is
 * cancelled (fresh short signal) so it stops running, then the abort error is thrown.
 */
import { z } from 'zod';
import { errorFromSignal } from '../../core/abort.js';
import { type HttpScope, readJson, send } from '../http.js';
import type { ProviderRuntime } from '../types.js';
import { appBase } from './request.js';

const SubmitSchema = z.object({ request_id: z.string().min(1) });
const StatusSchema = z.object({ status: z.string() });
const CANCEL_TIMEOUT_MS = 5_000;

export function authHeaders(runtime: ProviderRuntime): Record<string, string> {
  return { authorization: `Key ${runtime.apiKey()}`, accept: 'application/json' };
}

function requestUrl(runtime: ProviderRuntime, app: string, id: string, suffix = ''): string {
  return `${runtime.baseUrl.replace(/\/+$/, '')}/${appBase(app)}/requests/${encodeURIComponent(id)}${suffix}`;
}

export async function submit(scope: HttpScope, url: string, body: unknown): Promise<string> {
  const answer = await send(scope, { method: 'POST', url, headers: authHeaders(scope.runtime), body });
  return readJson(scope, answer, SubmitSchema).request_id;
}

export async function waitForCompletion(scope: HttpScope, app: string, id: string): Promise<void> {
  const { runtime } = scope;
  try {
    if (runtime.firstPollDelayMs) await runtime.sleep(runtime.firstPollDelayMs, runtime.signal);
    for (;;) {
      const answer = await send(scope, { method: 'GET', url: requestUrl(runtime, app, id, '/status'), headers: authHeaders(runtime) });
      if (readJson(scope, answer, StatusSchema).status === 'COMPLETED') return;
      await runtime.sleep(runtime.pollIntervalMs, runtime.signal);
    }
  } catch (error) {
    if (runtime.signal.aborted) {
      await cancel(scope, app, id);
      throw errorFromSignal(runtime.signal, scope);
    }
    throw error;
  }
}

export async function fetchResult(scope: HttpScope, app: string, id: string) {
  return send(scope, { method: 'GET', url: requestUrl(scope.runtime, app, id), headers: authHeaders(scope.runtime) });
}

/** Best effort: a failed cancel must not hide the error that caused it. */
async function cancel(scope: HttpScope, app: string, id: string): Promise<void> {
  try {
    await send(scope, { method: 'PUT', url: requestUrl(scope.runtime, app, id, '/cancel'), headers: authHeaders(scope.runtime), signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
  } catch {
    /* already finished, or FAL is unreachable */
  }
}
