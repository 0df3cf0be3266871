/**
 * The FAL adapter: any app id (flux/dev and flux/schnell mapped from the common request; others
 * take raw input from `providerOptions.fal.input`), through the queue (default) or the sync host.
 */
import type { Warning } from '../../core/warnings.js';
import { downloadImage } from '../download.js';
import { type HttpAnswer, type HttpScope, readJson, send } from '../http.js';
import type { ImageProvider, ProviderCall, ProviderResult, ProviderRuntime } from '../types.js';
import { parseFalError } from './errors.js';
import { authHeaders, cancel, fetchResult, submit, waitForCompletion } from './flow.js';
import { parseFalOptions } from './options.js';
import { buildInput, buildSubmit } from './request.js';
import { keptImages, ResultSchema } from './response.js';

function scopeFor(call: ProviderCall, runtime: ProviderRuntime): HttpScope {
  return { provider: 'fal', model: call.model.id, runtime, parseError: parseFalError };
}

export const falProvider: ImageProvider = {
  id: 'fal',

  async run(call, runtime) {
    const options = parseFalOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    const request = buildSubmit(call, runtime.baseUrl, runtime.urls.run, options);
    if (options.sync) {
      const answer = await send(scope, { method: 'POST', url: request.url, headers: authHeaders(runtime), body: request.body });
      return collect(scope, call, answer, request.warnings);
    }
    const id = await submit(scope, request.url, request.body);
    await runtime.onSubmitted?.(id);
    await waitForCompletion(scope, call.model.vendorModel, id);
    runtime.onVendorDone?.();
    return collect(scope, call, await fetchResult(scope, call.model.vendorModel, id), request.warnings);
  },

  async resume(call, id, runtime) {
    const scope = scopeFor(call, runtime);
    const { warnings } = buildInput(call, parseFalOptions(call.providerOptions, call.model.id));
    await waitForCompletion(scope, call.model.vendorModel, id);
    runtime.onVendorDone?.();
    return collect(scope, call, await fetchResult(scope, call.model.vendorModel, id), warnings);
  },

  cancel: (call, id, runtime) => cancel(scopeFor(call, runtime), call.model.vendorModel, id),
};

async function collect(scope: HttpScope, call: ProviderCall, answer: HttpAnswer, warnings: Warning[]): Promise<ProviderResult> {
  const result = readJson(scope, answer, ResultSchema);
  const requestId = answer.requestId;
  const kept = keptImages(result, { model: call.model.id, requestId: requestId ?? '' }, warnings);
  const images = await Promise.all(
    kept.map(async (image, i) => {
      const file = await downloadImage(scope, image.url, authHeaders(scope.runtime));
      const seed = result.seed === undefined ? call.seed : result.seed + i;
      return seed === undefined ? file : { ...file, seed };
    }),
  );
  return { images, requestId, usage: result.timings?.inference === undefined ? {} : { inferenceSeconds: result.timings.inference }, warnings };
}
