/**
 * ProviderCall → Images API request (pure). Generations are JSON; edits and variations multipart,
 * with the files described here and encoded by uploads.ts. DALL·E models are asked for
 * `b64_json` (their default is a URL that expires); gpt-image models always answer in base64 and
 * reject `response_format`, so it is never sent to them.
 */
import { InvalidRequestError } from '../../core/errors.js';
import type { LoadedImage } from '../../core/image.js';
import type { Warning } from '../../core/warnings.js';
import type { ProviderCall } from '../types.js';
import type { OpenAIOptions } from './options.js';
import { joinUrl } from '../../core/url.js';

export type Endpoint = 'generations' | 'edits' | 'variations';

export interface UploadSpec {
  field: 'image' | 'mask';
  image: LoadedImage;
  /** Formats the API takes for this file; anything else is converted to PNG. */
  accepts: readonly string[];
}

export interface ImagesRequest {
  endpoint: Endpoint;
  url: string;
  /** JSON body (generations) or multipart text fields (edits, variations; numbers as strings). */
  fields: Record<string, string | number>;
  uploads: UploadSpec[];
  warnings: Warning[];
}

const ENDPOINTS: Partial<Record<ProviderCall['task'], Endpoint>> = { generate: 'generations', edit: 'edits', variation: 'variations' };
const GPT_ONLY_OPTIONS = ['background', 'moderation', 'output_compression', 'input_fidelity'] as const;

export function isGptImage(call: Pick<ProviderCall, 'model'>): boolean {
  return !call.model.vendorModel.startsWith('dall-e');
}

export function buildImagesRequest(call: ProviderCall, baseUrl: string, options: OpenAIOptions): ImagesRequest {
  const endpoint = ENDPOINTS[call.task];
  if (!endpoint) throw new InvalidRequestError(`openai: ${call.model.id} cannot ${call.task}`, { model: call.model.id, provider: 'openai', field: 'task' });
  const warnings: Warning[] = [];
  const warn = (field: string, message: string) =>
    warnings.push({ kind: 'unsupported', model: call.model.id, field, message: `${call.model.id} ${message}; it was not sent` });
  const gpt = isGptImage(call);

  if (call.seed !== undefined) warn('seed', 'takes no seed (the OpenAI Images API has none)');
  if (call.negativePrompt !== undefined) warn('negativePrompt', 'takes no negative prompt');
  if (call.strength !== undefined) warn('strength', 'takes no strength');
  if (call.style !== undefined && call.model.vendorModel !== 'dall-e-3') warn('style', 'takes no style (only dall-e-3 does)');
  if (endpoint === 'variations' && call.prompt !== undefined) warn('prompt', 'makes variations without a prompt');
  if (endpoint === 'variations' && call.quality !== undefined) warn('quality', 'takes no quality for variations');

  const fields: Record<string, string | number> = { model: call.model.vendorModel };
  if (endpoint !== 'variations') fields.prompt = call.prompt ?? '';
  fields.n = call.n;
  if (call.width !== undefined && call.height !== undefined) fields.size = `${call.width}x${call.height}`;
  if (call.quality !== undefined && endpoint !== 'variations') fields.quality = call.quality;
  if (call.style !== undefined && call.model.vendorModel === 'dall-e-3') fields.style = call.style;
  if (gpt) fields.output_format = call.outputFormat;
  else fields.response_format = 'b64_json';

  for (const name of GPT_ONLY_OPTIONS) {
    const value = options[name];
    if (value === undefined) continue;
    if (!gpt) warn(`providerOptions.openai.${name}`, `takes no ${name} (gpt-image models only)`);
    else if (name === 'moderation' && endpoint !== 'generations') warn(`providerOptions.openai.${name}`, 'takes moderation on generations only');
    else if (name === 'input_fidelity' && (endpoint !== 'edits' || call.model.vendorModel === 'gpt-image-1-mini'))
      warn(`providerOptions.openai.${name}`, 'takes input_fidelity on edits only (not gpt-image-1-mini)');
    else if (name === 'output_compression' && call.outputFormat === 'png') warn(`providerOptions.openai.${name}`, 'compresses jpeg and webp output only');
    else fields[name] = value;
  }
  if (options.user !== undefined) fields.user = options.user;

  const uploads: UploadSpec[] = [];
  if (endpoint !== 'generations') {
    if (!call.image)
      throw new InvalidRequestError(`openai: a ${call.task} request needs an input image`, { model: call.model.id, provider: 'openai', field: 'image' });
    uploads.push({ field: 'image', image: call.image, accepts: gpt ? ['png', 'jpeg', 'webp'] : ['png'] });
  }
  if (call.mask && endpoint === 'edits') {
    if (!call.mask.hasAlpha) {
      throw new InvalidRequestError(
        `openai: ${call.model.id} reads the mask's alpha channel (fully transparent pixels are edited), but this mask has none; save it as a PNG with transparency`,
        { model: call.model.id, provider: 'openai', field: 'mask' },
      );
    }
    uploads.push({ field: 'mask', image: call.mask, accepts: ['png'] });
  }
  return { endpoint, url: joinUrl(baseUrl, `images/${endpoint}`), fields, uploads, warnings };
}
