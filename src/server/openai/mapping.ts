/**
 * OpenAI's images API shape ⇄ easel's request and result. Bare OpenAI model names (`dall-e-3`,
 * `gpt-image-1`) mean those OpenAI models; any catalog id or `auto` routes anywhere.
 */
import { lookupModel } from '../../catalog/index.js';
import type { ImageRequest } from '../../core/request.js';
import type { ImageResult } from '../../core/result.js';
import { GatewayError } from '../../http/errors.js';

/** Fields of OpenAI's images API easel understands; others are refused by name. */
const KNOWN = new Set([
  'model',
  'prompt',
  'n',
  'size',
  'quality',
  'style',
  'response_format',
  'output_format',
  'output_compression',
  'background',
  'moderation',
  'user',
  'image',
  'image[]',
  'mask',
  'input_fidelity',
  'seed',
  'negative_prompt',
  'aspect_ratio',
]);

/** Fields that carry an input image: files on edits and variations, or text the input policy reads. */
export const IMAGE_FIELDS: ReadonlySet<string> = new Set(['image', 'image[]', 'mask']);

export type ResponseFormat = 'b64_json' | 'url';

export interface MappedRequest {
  request: ImageRequest;
  responseFormat: ResponseFormat;
}

export function modelId(model: unknown): string | undefined {
  if (model === undefined || model === null || model === '') return undefined;
  if (typeof model !== 'string')
    throw new GatewayError(400, "'model' must be a string: a catalog id (openai/gpt-image-1, fal/flux/dev …) or 'auto'", {
      code: 'invalid_value',
      param: 'model',
    });
  if (model === 'auto' || model.includes('/')) return model;
  if (lookupModel(`openai/${model}`)) return `openai/${model}`;
  throw new GatewayError(
    404,
    `The model '${model}' does not exist. Use a catalog id such as openai/gpt-image-1, stability/core, replicate/black-forest-labs/flux-schnell, fal/flux/dev, or 'auto' (GET /v1/models lists them).`,
    { code: 'model_not_found', param: 'model' },
  );
}

/** Turns OpenAI body fields (JSON, or multipart text fields) into an easel request. */
export function mapBody(body: Record<string, unknown>, task: ImageRequest['task']): MappedRequest {
  for (const key of Object.keys(body)) {
    // As OpenAI: generations take no input image (and one sent here must not be silently dropped).
    if (!KNOWN.has(key) || (task === 'generate' && IMAGE_FIELDS.has(key)))
      throw new GatewayError(400, `Unrecognized request argument supplied: ${key}`, { code: 'unknown_parameter', param: key });
  }
  const responseFormat = body.response_format ?? 'b64_json';
  if (responseFormat !== 'b64_json' && responseFormat !== 'url') {
    throw new GatewayError(400, `Invalid value for 'response_format': '${String(responseFormat)}'. Supported values are: 'b64_json' and 'url'.`, {
      code: 'invalid_value',
      param: 'response_format',
    });
  }
  const size = body.size === 'auto' ? undefined : body.size;
  const request: ImageRequest = {
    task,
    model: modelId(body.model),
    prompt: text(body.prompt, 'prompt'),
    n: int(body.n, 'n'),
    size: text(size, 'size'),
    aspectRatio: text(body.aspect_ratio, 'aspect_ratio'),
    quality: text(body.quality, 'quality') as ImageRequest['quality'],
    style: text(body.style, 'style'),
    outputFormat: text(body.output_format, 'output_format') as ImageRequest['outputFormat'],
    negativePrompt: text(body.negative_prompt, 'negative_prompt'),
    seed: int(body.seed, 'seed'),
  };
  const openaiExtras = Object.fromEntries(
    ['background', 'moderation', 'output_compression', 'input_fidelity', 'user']
      .filter((k) => body[k] !== undefined)
      .map((k) => [k, k === 'output_compression' ? int(body[k], k) : body[k]]),
  );
  if (Object.keys(openaiExtras).length > 0) request.providerOptions = { openai: openaiExtras };
  return { request: dropUndefined(request), responseFormat };
}

function text(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new GatewayError(400, `Invalid type for '${param}': expected a string, but got ${describe(value)}.`, { code: 'invalid_type', param });
  return value;
}

function int(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new GatewayError(400, `Invalid type for '${param}': expected an integer, but got ${describe(value)}.`, { code: 'invalid_type', param });
  return n;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The easel metadata a client can read without parsing the body. */
export function metadataHeaders(result: ImageResult): Record<string, string> {
  return {
    'x-easel-model': result.model,
    'x-easel-provider': result.provider,
    'x-easel-cost-usd': result.cost.usd === null ? 'unknown' : String(result.cost.usd),
    'x-easel-attempts': String(result.attempts.length),
    'x-easel-latency-ms': String(Math.round(result.latencyMs)),
    ...(result.requestIds.length ? { 'x-easel-request-ids': result.requestIds.join(',') } : {}),
    ...(result.sandbox ? { 'x-easel-sandbox': 'true' } : {}),
    ...(result.cached ? { 'x-easel-cache': 'hit' } : {}),
  };
}
