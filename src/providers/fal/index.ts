/**
 * The FAL adapter: any app id (flux/dev and flux/schnell mapped from the common request; others
 * take raw input from `providerOptions.fal.input`), through the queue (default) or the sync host.
 */
import type { Warning } from '../../core/warnings.js';
import { abandonWait } from '../abandon.js';
import { downloadOutput } from '../download.js';
import { type HttpScope, readJson, send, vendorScope } from '../http.js';
import { CLOCK_SKEW_MS, holdJob, notHeld } from '../lost-answer.js';
import { withinSubmitWindow } from '../submit-window.js';
import type { ImageProvider, ProviderCall, ProviderResult, ProviderRuntime } from '../types.js';
import { parseFalError } from './errors.js';
import { authHeaders, cancel, fetchResult, submit, waitForCompletion } from './flow.js';
import { parseFalOptions } from './options.js';
import { buildInput, buildSubmit } from './request.js';
import { type FalResult, keptImages, ResultSchema } from './response.js';
import { findFalOrphan } from './adopt.js';

const scopeFor = vendorScope('fal', parseFalError);

export const falProvider: ImageProvider = {
  id: 'fal',

  async run(call, runtime) {
    const options = parseFalOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    const request = buildSubmit(call, runtime.baseUrl, runtime.urls.run, options);
    if (options.sync) {
      const answer = await send(scope, { method: 'POST', url: request.url, headers: authHeaders(runtime), body: request.body });
      return collect(scope, call, readJson(scope, answer, ResultSchema), answer.requestId, request.warnings);
    }
    const id = await submitOrAdopt(scope, call, request.url, request.body);
    await runtime.onSubmitted?.(id);
    // The attempt ended while the submit was on the wire: the request is kept for the next attempt
    // (a timeout) or cancelled (an abort), never left without anyone knowing its id.
    if (runtime.signal.aborted) throw await abandonWait(runtime, scope, id, () => cancel(scope, call.model.vendorModel, id));
    return finish(scope, call, id, request.warnings);
  },

  async resume(call, id, runtime) {
    const { warnings } = buildInput(call, parseFalOptions(call.providerOptions, call.model.id));
    holdJob(id);
    return finish(scopeFor(call, runtime), call, id, warnings);
  },

  async findSubmitted(call, sinceMs, taken, runtime) {
    const { input } = buildInput(call, parseFalOptions(call.providerOptions, call.model.id));
    return findFalOrphan(scopeFor(call, runtime), { app: call.model.vendorModel, input, sinceMs, taken: notHeld(taken) });
  },

  cancel: (call, id, runtime) => cancel(scopeFor(call, runtime), call.model.vendorModel, id),
};

/**
 * Submits to the queue. When the answer is lost (the connection was cut after the request went out,
 * or no answer came within the submit window), FAL may have taken the request: it is looked for in
 * FAL's request listing and adopted if found. Runs inside the submit window, so a timeout or an abort
 * during the submit still gets the id back.
 */
async function submitOrAdopt(scope: HttpScope, call: ProviderCall, url: string, body: Record<string, unknown>): Promise<string> {
  const submittedAt = scope.runtime.now();
  const id = await withinSubmitWindow(
    scope.runtime,
    scope,
    (shielded) => submit({ ...scope, runtime: shielded }, url, body),
    // A custom host without FAL's Platform API lists nothing: whether the submit took stays unknown.
    scope.runtime.urls.platform
      ? (shielded) =>
          findFalOrphan(
            { ...scope, runtime: shielded },
            { app: call.model.vendorModel, input: body, sinceMs: submittedAt - CLOCK_SKEW_MS, sentAt: submittedAt, taken: notHeld() },
          )
      : undefined,
  );
  holdJob(id);
  return id;
}

async function finish(scope: HttpScope, call: ProviderCall, id: string, warnings: Warning[]): Promise<ProviderResult> {
  const app = call.model.vendorModel;
  await waitForCompletion(scope, app, id);
  scope.runtime.onVendorDone?.();
  try {
    const { result, requestId } = await fetchResult(scope, app, id, ResultSchema);
    return await collect(scope, call, result, requestId, warnings, id);
  } catch (error) {
    // Timed out fetching a finished request's result: it is paid for; the next attempt fetches it again.
    if (scope.runtime.signal.aborted) throw await abandonWait(scope.runtime, scope, id, () => cancel(scope, app, id));
    throw error;
  }
}

/** Images of a result; `jobId` (queue requests) makes a failed download retry against that request. */
async function collect(
  scope: HttpScope,
  call: ProviderCall,
  result: FalResult,
  requestId: string | undefined,
  warnings: Warning[],
  jobId?: string,
): Promise<ProviderResult> {
  const kept = keptImages(result, { model: call.model.id, requestId: requestId ?? '' }, warnings);
  const images = await Promise.all(
    kept.map(async (image, i) => {
      const file = await downloadOutput(scope, jobId, image.url, authHeaders(scope.runtime));
      const seed = result.seed === undefined ? call.seed : result.seed + i;
      return seed === undefined ? file : { ...file, seed };
    }),
  );
  return { images, requestId, usage: result.timings?.inference === undefined ? {} : { inferenceSeconds: result.timings.inference }, warnings };
}
