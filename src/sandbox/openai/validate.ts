/**
 * Field rules of the Images API per endpoint and model (protocols.md 1.3–1.5), answered the way the
 * API answers: `Unknown parameter` for a field the model does not take (the documented behaviour of
 * `response_format` on gpt-image models), 404 `model_not_found`, 400 `invalid_value` naming the field.
 */
import type { Context } from 'hono';
import { characterCount } from '../../core/text.js';
import type { SandboxEnv } from '../context.js';
import { invalidValue, openaiError } from './errors.js';
import { type Endpoint, freeSizeProblem, modelSpec, type OpenAIModelSpec } from './models.js';
import type { RawParams } from './params.js';

export interface ImageJob {
  endpoint: Endpoint;
  spec: OpenAIModelSpec;
  prompt: string | undefined;
  n: number;
  /** Explicit size, or undefined for `auto` (chosen later, from the input image when there is one). */
  size: { width: number; height: number } | undefined;
  /** Quality as billed and reported: standard|hd for DALL·E, low|medium|high for gpt-image. */
  quality: string;
  style: 'vivid' | 'natural' | undefined;
  /** DALL·E only; gpt-image always answers with base64. */
  responseFormat: 'url' | 'b64_json' | undefined;
  outputFormat: 'png' | 'jpeg' | 'webp';
  background: 'transparent' | 'opaque';
}

const COMMON = ['model', 'n', 'size', 'user', 'response_format'];
const KNOWN: Record<Endpoint, readonly string[]> = {
  generations: [...COMMON, 'prompt', 'quality', 'style', 'output_format', 'output_compression', 'moderation', 'background', 'stream', 'partial_images'],
  edits: [...COMMON, 'prompt', 'quality', 'output_format', 'output_compression', 'background', 'input_fidelity', 'stream', 'partial_images'],
  variations: COMMON,
};
/** Fields only the gpt-image models take. */
const GPT_ONLY = ['output_format', 'output_compression', 'moderation', 'background', 'input_fidelity', 'stream', 'partial_images'];
const DEFAULT_MODEL: Record<Endpoint, string> = { generations: 'dall-e-2', edits: 'gpt-image-1.5', variations: 'dall-e-2' };

type Verdict = ImageJob | Response;

export function validateFields(c: Context<SandboxEnv>, endpoint: Endpoint, raw: RawParams): Verdict {
  const f = raw.fields;
  const unknownParam = (name: string) => openaiError(c, 400, { message: `Unknown parameter: '${name}'.`, param: name, code: 'unknown_parameter' });
  for (const name of Object.keys(f)) if (!KNOWN[endpoint].includes(name)) return unknownParam(name);

  // "Defaults to dall-e-2 unless a parameter specific to the GPT image models is used."
  const present = (name: string) => f[name] !== undefined && f[name] !== null;
  const modelName = present('model') ? f.model : endpoint === 'generations' && GPT_ONLY.some(present) ? 'gpt-image-1' : DEFAULT_MODEL[endpoint];
  if (typeof modelName !== 'string')
    return openaiError(c, 400, { message: "Invalid type for 'model': expected a string.", param: 'model', code: 'invalid_type' });
  const spec = modelSpec(modelName);
  if (!spec) return openaiError(c, 404, { message: `The model \`${modelName}\` does not exist or you do not have access to it.`, code: 'model_not_found' });
  if (!spec.endpoints.includes(endpoint)) {
    return invalidValue(
      c,
      'model',
      `Invalid value: '${modelName}'. The model does not support /v1/images/${endpoint}; models that do: ${endpointModels(endpoint)}.`,
    );
  }
  const gpt = spec.family === 'gpt-image';
  if (gpt && present('response_format')) return unknownParam('response_format');
  if (!gpt) for (const name of GPT_ONLY) if (present(name)) return unknownParam(name);
  if (spec.family !== 'dall-e-3' && present('style')) return unknownParam('style');
  if (present('input_fidelity') && !spec.inputFidelity) return invalidValue(c, 'input_fidelity', `input_fidelity is not supported for ${modelName}.`);

  const prompt = f.prompt;
  if (endpoint !== 'variations') {
    if (prompt === undefined || prompt === null || prompt === '')
      return openaiError(c, 400, { message: "Missing required parameter: 'prompt'.", param: 'prompt', code: 'missing_required_parameter' });
    if (typeof prompt !== 'string')
      return openaiError(c, 400, { message: "Invalid type for 'prompt': expected a string.", param: 'prompt', code: 'invalid_type' });
    const length = characterCount(prompt);
    if (length > spec.maxPrompt) {
      return openaiError(c, 400, {
        message: `Invalid 'prompt': string too long. Expected a string with maximum length ${spec.maxPrompt}, but got a string with length ${length} instead.`,
        param: 'prompt',
        code: 'string_above_max_length',
      });
    }
  }

  const n = integer(f.n, 1, raw.multipart);
  if (n === undefined) return openaiError(c, 400, { message: "Invalid type for 'n': expected an integer.", param: 'n', code: 'invalid_type' });
  if (n < 1)
    return openaiError(c, 400, {
      message: `Invalid 'n': integer below minimum value. Expected a value >= 1, but got ${n} instead.`,
      param: 'n',
      code: 'integer_below_min_value',
    });
  if (n > 10)
    return openaiError(c, 400, {
      message: `Invalid 'n': integer above maximum value. Expected a value <= 10, but got ${n} instead.`,
      param: 'n',
      code: 'integer_above_max_value',
    });
  if (n > spec.maxN) return invalidValue(c, 'n', 'You must provide n=1 for this model.');

  const size = readSize(c, spec, f.size);
  if (size instanceof Response) return size;

  const qualities = endpoint === 'variations' ? ['auto'] : spec.qualities;
  const quality = enumOf(f.quality, qualities, 'auto');
  if (quality === undefined) return invalidValue(c, 'quality', notOneOf(f.quality, qualities));
  const style = enumOf(f.style, ['vivid', 'natural'], 'vivid');
  if (style === undefined) return invalidValue(c, 'style', notOneOf(f.style, ['vivid', 'natural']));
  const responseFormat = enumOf(f.response_format, ['url', 'b64_json'], 'url');
  if (responseFormat === undefined) return invalidValue(c, 'response_format', notOneOf(f.response_format, ['url', 'b64_json']));
  const outputFormat = enumOf(f.output_format, ['png', 'jpeg', 'webp'], 'png');
  if (outputFormat === undefined) return invalidValue(c, 'output_format', notOneOf(f.output_format, ['png', 'jpeg', 'webp']));
  const background = enumOf(f.background, ['transparent', 'opaque', 'auto'], 'auto');
  if (background === undefined) return invalidValue(c, 'background', notOneOf(f.background, ['transparent', 'opaque', 'auto']));
  if (background === 'transparent' && outputFormat === 'jpeg')
    return invalidValue(c, 'background', 'Transparent background is not supported for the jpeg output format; use png or webp.');
  if (enumOf(f.moderation, ['low', 'auto'], 'auto') === undefined) return invalidValue(c, 'moderation', notOneOf(f.moderation, ['low', 'auto']));
  if (enumOf(f.input_fidelity, ['high', 'low'], 'low') === undefined) return invalidValue(c, 'input_fidelity', notOneOf(f.input_fidelity, ['high', 'low']));
  const compression = integer(f.output_compression, 100, raw.multipart);
  if (compression === undefined || compression < 0 || compression > 100)
    return invalidValue(c, 'output_compression', 'output_compression must be an integer between 0 and 100.');
  if (compression < 100 && outputFormat === 'png')
    return invalidValue(c, 'output_compression', 'Compression less than 100 is not supported for PNG output format.');
  const stream = f.stream === true || f.stream === 'true';
  // Sandbox limit, said plainly: no SSE streaming (protocols.md 1.7).
  if (stream)
    return openaiError(c, 400, {
      message: 'The easel sandbox does not emulate streaming (stream=true); send stream=false.',
      param: 'stream',
      code: 'unsupported_value',
    });
  if (present('user') && typeof f.user !== 'string')
    return openaiError(c, 400, { message: "Invalid type for 'user': expected a string.", param: 'user', code: 'invalid_type' });

  return {
    endpoint,
    spec,
    prompt: typeof prompt === 'string' ? prompt : undefined,
    n,
    size,
    quality: resolvedQuality(spec, quality),
    style: spec.family === 'dall-e-3' ? (style as 'vivid' | 'natural') : undefined,
    responseFormat: gpt ? undefined : (responseFormat as 'url' | 'b64_json'),
    outputFormat: gpt ? (outputFormat as ImageJob['outputFormat']) : 'png',
    background: gpt && background === 'transparent' ? 'transparent' : 'opaque',
  };
}

function readSize(c: Context<SandboxEnv>, spec: OpenAIModelSpec, value: unknown): ImageJob['size'] | Response {
  const fallback = spec.family === 'gpt-image' ? 'auto' : '1024x1024';
  const size = value === undefined || value === null ? fallback : value;
  if (typeof size !== 'string') return openaiError(c, 400, { message: "Invalid type for 'size': expected a string.", param: 'size', code: 'invalid_type' });
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (spec.sizes === 'free') {
    if (size === 'auto') return undefined;
    const problem = m ? freeSizeProblem(Number(m[1]), Number(m[2])) : "expected 'auto' or WIDTHxHEIGHT";
    if (problem) return invalidValue(c, 'size', `Invalid value: '${size}'. Invalid size for ${spec.name}: ${problem}.`);
  } else if (!spec.sizes.includes(size)) {
    return invalidValue(c, 'size', `Invalid value: '${size}'. Supported values are: ${listOf(spec.sizes)}.`);
  }
  return size === 'auto' ? undefined : { width: Number(m![1]), height: Number(m![2]) };
}

function resolvedQuality(spec: OpenAIModelSpec, quality: string): string {
  if (quality !== 'auto') return quality;
  // What `auto` picks is the vendor's business; the sandbox reports (and bills) the middle option.
  return spec.family === 'gpt-image' ? 'medium' : 'standard';
}

function integer(value: unknown, fallback: number, fromString: boolean): number | undefined {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && fromString && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

function enumOf(value: unknown, allowed: readonly string[], fallback: string): string | undefined {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'string' && allowed.includes(value) ? value : undefined;
}

function notOneOf(value: unknown, allowed: readonly string[]): string {
  return `Invalid value: '${String(value)}'. Supported values are: ${listOf(allowed)}.`;
}

function listOf(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
}

function endpointModels(endpoint: Endpoint): string {
  return endpoint === 'variations' ? 'dall-e-2' : endpoint === 'edits' ? 'dall-e-2 and the gpt-image models' : 'dall-e-2, dall-e-3 and the gpt-image models';
}
