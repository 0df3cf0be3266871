/**
 * The FAL apps the sandbox serves and their input schema (protocols.md 4.6), validated the way FAL's
 * FastAPI apps do: 422 with `detail: [{ loc: ['body', field], msg, type }]`. Unknown fields are ignored.
 */
import { FAL_PRESETS } from '../../catalog/models/fal.js';

export interface FalApp {
  id: string;
  /** easel catalog id, for pricing and latency. */
  catalogId: string;
  /** `fill`: inpainting from `image_url` + `mask_url`, at the image's size. */
  kind: 'text-to-image' | 'fill';
  maxSteps: number;
  defaultSteps: number;
}

export const FAL_APPS: Record<string, FalApp> = {
  'fal-ai/flux/dev': { id: 'fal-ai/flux/dev', catalogId: 'fal/flux/dev', kind: 'text-to-image', maxSteps: 50, defaultSteps: 28 },
  'fal-ai/flux/schnell': { id: 'fal-ai/flux/schnell', catalogId: 'fal/flux/schnell', kind: 'text-to-image', maxSteps: 12, defaultSteps: 4 },
  // FLUX.1 [pro] Fill takes no step count (fal.ai/models/fal-ai/flux-pro/v1/fill).
  'fal-ai/flux-pro/v1/fill': { id: 'fal-ai/flux-pro/v1/fill', catalogId: 'fal/flux-pro/v1/fill', kind: 'fill', maxSteps: 0, defaultSteps: 0 },
};

/** The app a submit path names: the longest known app id it starts with (ids have 3 or 4 parts). */
export function findApp(parts: readonly string[]): FalApp | undefined {
  for (let length = Math.min(parts.length, 4); length >= 2; length--) {
    const app = FAL_APPS[parts.slice(0, length).join('/')];
    if (app) return app;
  }
  return undefined;
}

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
  input?: unknown;
}

export interface FalInput {
  prompt: string;
  width: number;
  height: number;
  steps: number;
  numImages: number;
  seed: number | undefined;
  safetyChecker: boolean;
  format: 'jpeg' | 'png';
  syncMode: boolean;
  /** Fill apps: the image and mask file inputs (URLs or data URIs), read before the job starts. */
  imageUrl?: string;
  maskUrl?: string;
  image?: Uint8Array;
  mask?: Uint8Array;
}

export function validateInput(app: FalApp, body: unknown): { input: FalInput } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { errors: [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: body }] };
  }
  const b = body as Record<string, unknown>;
  const fail = (field: string, msg: string, type: string, ctx?: Record<string, unknown>) =>
    errors.push({ loc: ['body', field], msg, type, ...(ctx ? { ctx } : {}), input: b[field] });
  const int = (field: string, min: number, max: number, fallback: number | undefined): number | undefined => {
    const value = b[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) return void fail(field, 'Input should be a valid integer', 'int_type');
    if (value < min) return void fail(field, `Input should be greater than or equal to ${min}`, 'greater_than_equal', { ge: min });
    if (value > max) return void fail(field, `Input should be less than or equal to ${max}`, 'less_than_equal', { le: max });
    return value;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const value = b[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') return (void fail(field, 'Input should be a valid boolean', 'bool_type'), fallback);
    return value;
  };

  if (typeof b.prompt !== 'string' || b.prompt.length === 0) {
    if (b.prompt === undefined) errors.push({ loc: ['body', 'prompt'], msg: 'Field required', type: 'missing' });
    else fail('prompt', 'Input should be a valid string', 'string_type');
  }
  if (app.kind === 'fill') return validateFill(b, errors, fail, int, bool);
  let width = 1024;
  let height = 768;
  const size = b.image_size;
  if (typeof size === 'string') {
    const preset = FAL_PRESETS[size];
    if (preset) [width, height] = preset;
    else
      fail(
        'image_size',
        `Input should be ${Object.keys(FAL_PRESETS)
          .map((p) => `'${p}'`)
          .join(', ')}`,
        'enum',
        { expected: Object.keys(FAL_PRESETS) },
      );
  } else if (typeof size === 'object' && size !== null) {
    const s = size as Record<string, unknown>;
    for (const side of ['width', 'height'] as const) {
      const v = s[side];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 64 || v > 14142) {
        errors.push({ loc: ['body', 'image_size', side], msg: 'Input should be an integer between 64 and 14142', type: 'value_error', input: v });
      }
    }
    if (typeof s.width === 'number' && typeof s.height === 'number') [width, height] = [s.width, s.height];
    if (width * height > 2048 * 2048)
      errors.push({ loc: ['body', 'image_size'], msg: 'Image size is too large: at most 4194304 pixels', type: 'image_too_large', input: size });
  } else if (size !== undefined) fail('image_size', 'Input should be a valid preset name or an object with width and height', 'union_type');
  const steps = int('num_inference_steps', 1, app.maxSteps, app.defaultSteps);
  if (b.guidance_scale !== undefined && (typeof b.guidance_scale !== 'number' || b.guidance_scale < 1 || b.guidance_scale > 20)) {
    fail('guidance_scale', 'Input should be a number between 1 and 20', 'value_error', { ge: 1, le: 20 });
  }
  const numImages = int('num_images', 1, 4, 1);
  const seed = int('seed', 0, Number.MAX_SAFE_INTEGER, undefined);
  const safetyChecker = bool('enable_safety_checker', true);
  const syncMode = bool('sync_mode', false);
  const format = b.output_format ?? 'jpeg';
  if (format !== 'jpeg' && format !== 'png') fail('output_format', "Input should be 'jpeg' or 'png'", 'enum', { expected: "'jpeg' or 'png'" });
  if (b.acceleration !== undefined && !['none', 'regular', 'high'].includes(String(b.acceleration)))
    fail('acceleration', "Input should be 'none', 'regular' or 'high'", 'enum');
  if (errors.length > 0) return { errors };
  return {
    input: { prompt: b.prompt as string, width, height, steps: steps!, numImages: numImages!, seed, safetyChecker, format: format as 'jpeg' | 'png', syncMode },
  };
}

type Fail = (field: string, msg: string, type: string, ctx?: Record<string, unknown>) => void;

/** FLUX.1 [pro] Fill: image_url and mask_url required; size comes from the image (checked once read). */
function validateFill(
  b: Record<string, unknown>,
  errors: FieldError[],
  fail: Fail,
  int: (field: string, min: number, max: number, fallback: number | undefined) => number | undefined,
  bool: (field: string, fallback: boolean) => boolean,
): { input: FalInput } | { errors: FieldError[] } {
  for (const field of ['image_url', 'mask_url'] as const) {
    if (b[field] === undefined) errors.push({ loc: ['body', field], msg: 'Field required', type: 'missing' });
    else if (typeof b[field] !== 'string' || !/^(https?:\/\/|data:)/i.test(b[field] as string))
      fail(field, 'Input should be a valid URL or data URI', 'url_parsing');
  }
  const numImages = int('num_images', 1, 4, 1);
  const seed = int('seed', 0, Number.MAX_SAFE_INTEGER, undefined);
  const syncMode = bool('sync_mode', false);
  bool('enhance_prompt', false);
  const format = b.output_format ?? 'jpeg';
  if (format !== 'jpeg' && format !== 'png') fail('output_format', "Input should be 'jpeg' or 'png'", 'enum', { expected: "'jpeg' or 'png'" });
  const tolerances = ['1', '2', '3', '4', '5', '6'];
  if (b.safety_tolerance !== undefined && !tolerances.includes(b.safety_tolerance as string)) {
    fail('safety_tolerance', "Input should be '1', '2', '3', '4', '5' or '6'", 'enum', { expected: tolerances.map((t) => `'${t}'`).join(', ') });
  }
  if (errors.length > 0) return { errors };
  return {
    input: {
      prompt: b.prompt as string,
      width: 0,
      height: 0,
      steps: 0,
      numImages: numImages!,
      seed,
      safetyChecker: true,
      format: format as 'jpeg' | 'png',
      syncMode,
      imageUrl: b.image_url as string,
      maskUrl: b.mask_url as string,
    },
  };
}
