/**
 * The OpenAI adapter: DALL·E 2/3 and the gpt-image models over the Images API. One synchronous
 * request (generations JSON, edits/variations multipart), base64 images back, `x-request-id` as
 * the request id, gpt-image token usage as vendor usage.
 */
import type { Warning } from '../../core/warnings.js';
import { downloadOutput } from '../download.js';
import { readJson, send, vendorScope } from '../http.js';
import type { ImageProvider, ProviderImage } from '../types.js';
import { parseOpenAIError } from './errors.js';
import { parseOpenAIOptions } from './options.js';
import { buildImagesRequest } from './request.js';
import { ImagesResponseSchema, parseImages } from './response.js';
import { toFormData } from './uploads.js';

const scopeFor = vendorScope('openai', parseOpenAIError);

export const openaiProvider: ImageProvider = {
  id: 'openai',

  async run(call, runtime) {
    const options = parseOpenAIOptions(call.providerOptions, call.model.id);
    const scope = scopeFor(call, runtime);
    const request = buildImagesRequest(call, runtime.baseUrl, options);
    const body = request.endpoint === 'generations' ? request.fields : await toFormData(request);
    const answer = await send(scope, { method: 'POST', url: request.url, headers: { authorization: `Bearer ${runtime.apiKey()}` }, body });
    const { outputs, usage } = parseImages(readJson(scope, answer, ImagesResponseSchema), { model: call.model.id, requestId: answer.requestId });

    const images: ProviderImage[] = await Promise.all(
      outputs.map(async (output) => {
        // Output URLs are pre-signed: no key goes with them. The images are paid for: a failed
        // download is tried again, but there is no job to resume (no id), so it then fails as is.
        const file = output.kind === 'bytes' ? output : await downloadOutput(scope, undefined, output.url);
        const image: ProviderImage = { bytes: file.bytes, mediaType: file.mediaType };
        if (output.revisedPrompt !== undefined) image.revisedPrompt = output.revisedPrompt;
        return image;
      }),
    );
    const warnings: Warning[] = [...request.warnings];
    if (images.length !== call.n) {
      warnings.push({
        kind: 'adjusted',
        model: call.model.id,
        field: 'n',
        requested: call.n,
        applied: images.length,
        message: `${call.model.id} returned ${images.length} of the ${call.n} images asked for`,
      });
    }
    return { images, requestId: answer.requestId, usage, warnings };
  },
};
