/**
 * The Stability adapter: v2beta stable-image endpoints (multipart; raw image answers with
 * `finish-reason` and `seed` headers), creative upscale's async results, and v1 SDXL (JSON).
 * A CONTENT_FILTERED answer is a content rejection, never a success: the image is blurred.
 */
import { z } from 'zod';
import { errorFromSignal } from '../../core/abort.js';
import { ContentRejectedError } from '../../core/errors.js';
import { abandonWait } from '../abandon.js';
import { sniffMediaType } from '../../core/media-type.js';
import { readJob } from '../job-read.js';
import { type HttpAnswer, type HttpScope, readJson, send, vendorScope } from '../http.js';
import type { ImageProvider, ProviderCall, ProviderResult, ProviderRuntime } from '../types.js';
import { withinSubmitWindow } from '../submit-window.js';
import { parseStabilityError } from './errors.js';
import { parseStabilityOptions } from './options.js';
import { buildRequest } from './request.js';
import { joinUrl } from '../../core/url.js';

const ArtifactsSchema = z.object({ artifacts: z.array(z.object({ base64: z.string(), seed: z.number().optional(), finishReason: z.string().optional() })) });
const StartedSchema = z.object({ id: z.string().min(1) });

const scopeFor = vendorScope('stability', parseStabilityError);

const auth = (runtime: ProviderRuntime) => ({ authorization: `Bearer ${runtime.apiKey()}` });

export const stabilityProvider: ImageProvider = {
  id: 'stability',

  async run(call, runtime) {
    const request = buildRequest(call, runtime.baseUrl, parseStabilityOptions(call.providerOptions, call.model.id));
    const scope = scopeFor(call, runtime);
    if (request.kind === 'json') {
      const answer = await send(scope, { method: 'POST', url: request.url, headers: { ...auth(runtime), accept: 'application/json' }, body: request.body });
      const { artifacts } = readJson(scope, answer, ArtifactsSchema);
      if (artifacts.some((a) => a.finishReason === 'CONTENT_FILTERED')) throw filteredError(call, answer.requestId);
      const images = artifacts.map((a) => {
        const bytes = new Uint8Array(Buffer.from(a.base64, 'base64'));
        return { bytes, mediaType: sniffMediaType(bytes), seed: a.seed };
      });
      return { images, requestId: answer.requestId, usage: {}, warnings: request.warnings };
    }
    const form = new FormData();
    for (const [name, value] of Object.entries(request.fields)) form.append(name, value);
    for (const [name, file] of Object.entries(request.files))
      form.append(name, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mediaType }), `${name}.${file.mediaType.split('/')[1]}`);
    const post = (within: HttpScope) =>
      send(within, { method: 'POST', url: request.url, headers: { ...auth(runtime), accept: request.async ? 'application/json' : 'image/*' }, body: form });
    if (!request.async) return imageResult(call, await post(scope), request.warnings);
    // An async submit answers at once with the job's id: it is let finish even past the attempt's end.
    const { id } = await withinSubmitWindow(runtime, scope, async (shielded) => {
      const within = { ...scope, runtime: shielded };
      return readJson(within, await post(within), StartedSchema);
    });
    await runtime.onSubmitted?.(id);
    // The attempt ended while the submit was on the wire: a timeout keeps the job for the next
    // attempt; an abort leaves it (Stability has no cancel endpoint, and bills it anyway).
    if (runtime.signal.aborted) throw await abandonWait(runtime, scope, id, async () => undefined);
    return imageResult(call, await poll(scope, id), request.warnings);
  },

  async resume(call, id, runtime) {
    return imageResult(call, await poll(scopeFor(call, runtime), id), []);
  },
};

/**
 * Polls `GET /v2beta/results/{id}` until the image is there (200; 202 while in progress). Transient
 * failures are asked again, then give up with `jobAlive`: the job is paid for, and resuming it by
 * id is the only way to get its image (Stability lists no jobs). Stability has no cancel endpoint:
 * an abort just stops asking; a timeout names the id so the next attempt can resume it.
 */
async function poll(scope: HttpScope, id: string): Promise<HttpAnswer> {
  const { runtime } = scope;
  const url = joinUrl(runtime.baseUrl, `v2beta/results/${encodeURIComponent(id)}`);
  try {
    if (runtime.firstPollDelayMs) await runtime.sleep(runtime.firstPollDelayMs, runtime.signal);
    for (;;) {
      if (runtime.signal.aborted) throw errorFromSignal(runtime.signal, scope);
      const answer = await readJob(scope, id, 'result', (signal) =>
        send(scope, { method: 'GET', url, headers: { ...auth(runtime), accept: 'image/*' }, signal }),
      );
      if (answer.status === 200) return { ...answer, requestId: answer.requestId ?? id };
      await runtime.sleep(runtime.pollIntervalMs, runtime.signal);
    }
  } catch (error) {
    if (runtime.signal.aborted) throw await abandonWait(runtime, scope, id, async () => undefined);
    throw error;
  }
}

function imageResult(call: ProviderCall, answer: HttpAnswer, warnings: ProviderResult['warnings']): ProviderResult {
  if (answer.headers.get('finish-reason') === 'CONTENT_FILTERED') throw filteredError(call, answer.requestId);
  const seed = Number(answer.headers.get('seed'));
  const mediaType = answer.headers.get('content-type')?.split(';')[0] ?? sniffMediaType(answer.bytes);
  return {
    images: [{ bytes: answer.bytes, mediaType, seed: Number.isFinite(seed) && answer.headers.has('seed') ? seed : call.seed }],
    requestId: answer.requestId,
    usage: {},
    warnings,
  };
}

function filteredError(call: ProviderCall, requestId: string | undefined): ContentRejectedError {
  return new ContentRejectedError(
    `stability (${call.model.id}): the output violated Stability's content policy and was blurred (finish-reason CONTENT_FILTERED)`,
    {
      model: call.model.id,
      provider: 'stability',
      requestId,
      vendorCode: 'CONTENT_FILTERED',
    },
  );
}
