/**
 * The Replicate adapter: any model, by `owner/name` (official models) or `owner/name:version`.
 * Creates a prediction, waits for it (sync `Prefer: wait`, then polling; polling only when a batch
 * store needs the id first), downloads the output files, and reports `metrics.predict_time`.
 */
import type { ImageProvider, ProviderCall, ProviderImage, ProviderResult, ProviderRuntime } from '../types.js';
import { type HttpScope, vendorScope } from '../http.js';
import { abandonWait } from '../abandon.js';
import { downloadOutput } from '../download.js';
import type { Warning } from '../../core/warnings.js';
import { parseReplicateError } from './errors.js';
import { authHeaders, cancelPrediction, chooseWait, createPrediction, getPrediction, waitForPrediction } from './flow.js';
import { parseReplicateOptions } from './options.js';
import { buildCreateRequest, buildInput, parseModelRef } from './request.js';
import { outcomeOf, type Prediction } from './response.js';
import { findOrphan } from './adopt.js';
import { answerLost, CLOCK_SKEW_MS, holdJob, notHeld } from '../lost-answer.js';
import { withinSubmitWindow } from '../submit-window.js';

const scopeFor = vendorScope('replicate', parseReplicateError);

export const replicateProvider: ImageProvider = {
  id: 'replicate',

  async run(call, runtime) {
    const options = parseReplicateOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    // A batch store must record the id before anything waits: no `Prefer: wait`, poll instead.
    const durable = runtime.onSubmitted !== undefined;
    // With webhook completion, Replicate calls back when the prediction ends (unless the caller set its own webhook).
    const withWebhook =
      runtime.completion && !options.webhook ? { ...options, webhook: runtime.completion.url, webhook_events_filter: ['completed' as const] } : options;
    const request = buildCreateRequest(call, runtime.baseUrl, withWebhook, durable || runtime.completion ? undefined : chooseWait(options.wait, runtime));
    // On the runtime's clock: the orphan search compares it with the vendor's creation times.
    const submittedAt = runtime.now();
    let prediction: Prediction;
    if (request.headers.prefer !== undefined) {
      try {
        prediction = await createPrediction(scope, request);
      } catch (error) {
        // Aborted while `Prefer: wait` held the answer (up to a minute, so it is not waited for): the
        // prediction exists but its id never came back. Find it by its input and cancel it, so it
        // stops running (and billing).
        if (runtime.signal.aborted) await cancelOrphan(call, options, runtime, submittedAt);
        const adopted = answerLost(error) && !runtime.signal.aborted ? await findLost(call, options, runtime, submittedAt).catch(() => undefined) : undefined;
        if (!adopted) throw error;
        prediction = adopted;
      }
    } else {
      // A plain create answers at once with the id: it is let finish even past the attempt's end.
      prediction = await createOrAdopt(call, options, runtime, request, submittedAt);
    }
    holdJob(prediction.id);
    if (runtime.onSubmitted) {
      try {
        await runtime.onSubmitted(prediction.id);
      } catch (error) {
        // Nobody could resume a prediction whose id was not stored: stop it rather than pay for it twice.
        await cancelPrediction(scope, prediction.id);
        throw error;
      }
    }
    // The attempt ended while the create was on the wire: keep the prediction for the next attempt
    // (a timeout) or cancel it (an abort).
    if (runtime.signal.aborted) {
      const id = prediction.id;
      throw await abandonWait(runtime, scope, id, () => cancelPrediction(scope, id));
    }
    prediction = await waitForPrediction(scope, prediction);
    return collect(scope, call, prediction, request.warnings);
  },

  async resume(call, vendorRequestId, runtime) {
    const options = parseReplicateOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    const { warnings } = buildInput(call, parseModelRef(call.model.vendorModel), options);
    holdJob(vendorRequestId);
    let first: Prediction;
    try {
      first = await getPrediction(scope, vendorRequestId);
    } catch (error) {
      // The attempt ended on its first look: keep the prediction for the next one, or cancel it.
      if (runtime.signal.aborted) throw await abandonWait(runtime, scope, vendorRequestId, () => cancelPrediction(scope, vendorRequestId));
      throw error;
    }
    const prediction = await waitForPrediction(scope, first);
    return collect(scope, call, prediction, warnings);
  },

  async findSubmitted(call, sinceMs, taken, runtime) {
    const options = parseReplicateOptions(call.providerOptions, call.model.id);
    const ref = parseModelRef(call.model.vendorModel);
    const { input } = buildInput(call, ref, options);
    return findOrphan(scopeFor(call, runtime), ref, input, sinceMs, notHeld(taken));
  },

  cancel: (call, id, runtime) => cancelPrediction(scopeFor(call, runtime), id),
};

/** Creates the prediction; when the answer is lost, adopts the one the create made, if Replicate lists it. */
function createOrAdopt(
  call: ProviderCall,
  options: ReturnType<typeof parseReplicateOptions>,
  runtime: ProviderRuntime,
  request: ReturnType<typeof buildCreateRequest>,
  since: number,
): Promise<Prediction> {
  const scope = scopeFor(call, runtime);
  return withinSubmitWindow(
    runtime,
    scope,
    (shielded) => createPrediction(scopeFor(call, shielded), request),
    (shielded) => findLost(call, options, shielded, since),
  );
}

/**
 * The prediction a create whose answer was lost made, when Replicate lists one (polled from its
 * state). A listing that fails rejects: whether the create took is then unknown.
 */
async function findLost(
  call: ProviderCall,
  options: ReturnType<typeof parseReplicateOptions>,
  runtime: ProviderRuntime,
  since: number,
): Promise<Prediction | undefined> {
  const scope = scopeFor(call, runtime);
  const ref = parseModelRef(call.model.vendorModel);
  const { input } = buildInput(call, ref, options);
  const id = await findOrphan(scope, ref, input, since - CLOCK_SKEW_MS, notHeld());
  return id === undefined ? undefined : getPrediction(scope, id);
}

async function cancelOrphan(call: ProviderCall, options: ReturnType<typeof parseReplicateOptions>, runtime: ProviderRuntime, since: number): Promise<void> {
  const scope = scopeFor(call, { ...runtime, signal: AbortSignal.timeout(5_000) });
  const ref = parseModelRef(call.model.vendorModel);
  const { input } = buildInput(call, ref, options);
  try {
    const id = await findOrphan(scope, ref, input, since - 60_000, new Set());
    if (id) await cancelPrediction(scope, id);
  } catch {
    /* best effort: the abort error is what the caller must see */
  }
}

async function collect(scope: HttpScope, call: ProviderCall, prediction: Prediction, warnings: Warning[]): Promise<ProviderResult> {
  const outcome = outcomeOf(prediction, { model: call.model.id, provider: 'replicate' });
  scope.runtime.onVendorDone?.();
  // The seed the model logged, else the one that was sent; Replicate reports no per-image seeds.
  const seed = outcome.seed ?? call.seed;
  try {
    const images: ProviderImage[] = await Promise.all(
      outcome.urls.map(async (url) => {
        const file = await downloadOutput(scope, prediction.id, url, authHeaders(scope.runtime));
        return seed === undefined ? file : { ...file, seed };
      }),
    );
    return { images, requestId: prediction.id, usage: outcome.usage, warnings };
  } catch (error) {
    // Timed out downloading a finished prediction's outputs: it is paid for; the next attempt downloads again.
    if (scope.runtime.signal.aborted) throw await abandonWait(scope.runtime, scope, prediction.id, async () => undefined);
    throw error;
  }
}
