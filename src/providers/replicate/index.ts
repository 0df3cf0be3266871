/**
 * The Replicate adapter: any model, by `owner/name` (official models) or `owner/name:version`.
 * Creates a prediction, waits for it (sync `Prefer: wait`, then polling; polling only when a batch
 * store needs the id first), downloads the output files, and reports `metrics.predict_time`.
 */
import type { ImageProvider, ProviderCall, ProviderImage, ProviderResult, ProviderRuntime } from '../types.js';
import type { HttpScope } from '../http.js';
import { downloadImage } from '../download.js';
import type { Warning } from '../../core/warnings.js';
import { parseReplicateError } from './errors.js';
import { authHeaders, cancelPrediction, chooseWait, createPrediction, getPrediction, waitForPrediction } from './flow.js';
import { parseReplicateOptions } from './options.js';
import { buildCreateRequest, buildInput, parseModelRef } from './request.js';
import { outcomeOf, type Prediction } from './response.js';
import { findOrphan } from './adopt.js';

function scopeFor(call: ProviderCall, runtime: ProviderRuntime): HttpScope {
  return { provider: 'replicate', model: call.model.id, runtime, parseError: parseReplicateError };
}

export const replicateProvider: ImageProvider = {
  id: 'replicate',

  async run(call, runtime) {
    const options = parseReplicateOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    // A batch store must record the id before anything waits: no `Prefer: wait`, poll instead.
    const durable = runtime.onSubmitted !== undefined;
    const request = buildCreateRequest(call, runtime.baseUrl, options, durable ? undefined : chooseWait(options.wait, runtime));
    let prediction = await createPrediction(scope, request);
    if (runtime.onSubmitted) {
      try {
        await runtime.onSubmitted(prediction.id);
      } catch (error) {
        // Nobody could resume a prediction whose id was not stored: stop it rather than pay for it twice.
        await cancelPrediction(scope, prediction.id);
        throw error;
      }
    }
    prediction = await waitForPrediction(scope, prediction);
    return collect(scope, call, prediction, request.warnings);
  },

  async resume(call, vendorRequestId, runtime) {
    const options = parseReplicateOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    const { warnings } = buildInput(call, parseModelRef(call.model.vendorModel), options);
    const prediction = await waitForPrediction(scope, await getPrediction(scope, vendorRequestId));
    return collect(scope, call, prediction, warnings);
  },

  async findSubmitted(call, sinceMs, taken, runtime) {
    const options = parseReplicateOptions(call.providerOptions, call.model.id);
    const ref = parseModelRef(call.model.vendorModel);
    const { input } = buildInput(call, ref, options);
    return findOrphan(scopeFor(call, runtime), ref, input, sinceMs, taken);
  },
};

async function collect(scope: HttpScope, call: ProviderCall, prediction: Prediction, warnings: Warning[]): Promise<ProviderResult> {
  const outcome = outcomeOf(prediction, { model: call.model.id, provider: 'replicate' });
  // The seed the model logged, else the one that was sent; Replicate reports no per-image seeds.
  const seed = outcome.seed ?? call.seed;
  const images: ProviderImage[] = await Promise.all(
    outcome.urls.map(async (url) => {
      const file = await downloadImage(scope, url, authHeaders(scope.runtime));
      return seed === undefined ? file : { ...file, seed };
    }),
  );
  return { images, requestId: prediction.id, usage: outcome.usage, warnings };
}
