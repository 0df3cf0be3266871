/**
 * The one request type, validated once at the edge with zod.
 *
 * Everything is optional here (the public call); `resolveRequest` in `core/resolve.ts` turns it
 * into a fully specified `ProviderCall` for one model, where every field is present.
 */
import { z } from 'zod';
import { RoutingPolicySchema } from './policy.js';
import { OUTPUT_FORMATS, QUALITIES, TASKS } from './task.js';
import { textProblem } from './text.js';

/** An input image: bytes, a file path, an http(s) URL or a data URL. */
export const ImageInputSchema = z.union([z.instanceof(Uint8Array), z.string().min(1, 'an image path, URL or data URL must not be empty')]);
export type ImageInput = z.infer<typeof ImageInputSchema>;

/**
 * The widest request any vendor could plausibly serve: each side 1–16384 px and at most 64 MP
 * (8192x8192). Every model's own rule (catalog `dimensions`) is narrower and is checked later; this
 * bound only keeps absurd values out of size arithmetic.
 */
export const MAX_SIDE = 16_384;
export const MAX_PIXELS = 8192 * 8192;

const SizeSchema = z
  .string()
  .regex(/^[1-9]\d{0,4}x[1-9]\d{0,4}$/, 'size must look like WIDTHxHEIGHT with positive whole numbers and no leading zeros or spaces, for example 1024x1024')
  .refine((size) => size.split('x').every((side) => Number(side) <= MAX_SIDE), `each side of size must be at most ${MAX_SIDE} px`)
  .refine((size) => size.split('x').reduce((pixels, side) => pixels * Number(side), 1) <= MAX_PIXELS, `size must be at most ${MAX_PIXELS} pixels (8192x8192)`);
const AspectSchema = z
  .string()
  .regex(/^\d{1,3}(\.\d+)?:\d{1,3}(\.\d+)?$/, 'aspectRatio must look like W:H, for example 16:9')
  .refine((ratio) => ratio.split(':').every((side) => Number(side) > 0), 'both sides of aspectRatio must be above 0, for example 16:9');

/** Free text sent on to a vendor: well-formed Unicode without NUL or other control characters (core/text.ts). */
function vendorText(field: string, max: number) {
  return z
    .string()
    .max(max, `${field} must be at most ${max} characters`)
    .superRefine((text, ctx) => {
      const problem = textProblem(text, field);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** Per-vendor escape hatch: passed to that vendor's body as-is (after the adapter's own checks). */
export const ProviderOptionsSchema = z
  .object({
    openai: z.record(z.string(), z.unknown()).optional(),
    stability: z.record(z.string(), z.unknown()).optional(),
    replicate: z.record(z.string(), z.unknown()).optional(),
    fal: z.record(z.string(), z.unknown()).optional(),
    local: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type ProviderOptions = z.infer<typeof ProviderOptionsSchema>;

export const ImageRequestSchema = z
  .object({
    /** Catalog id (`openai/dall-e-3`), any Replicate `owner/name[:version]` as `replicate/owner/name`, or `auto`. */
    model: vendorText('model', 256).min(1).optional(),
    task: z.enum(TASKS).optional(),
    /** Each model's own limit (catalog `maxPromptLength`) is checked when the model is chosen. */
    prompt: vendorText('prompt', 100_000).min(1, 'prompt must not be empty').optional(),
    negativePrompt: vendorText('negativePrompt', 10_000).optional(),
    size: SizeSchema.optional(),
    aspectRatio: AspectSchema.optional(),
    /** Images wanted. Above a model's per-call limit easel splits into parallel calls. */
    n: z.number().int().min(1).max(64).optional(),
    seed: z.number().int().min(0).max(4_294_967_294).optional(),
    quality: z.enum(QUALITIES).optional(),
    style: vendorText('style', 64).min(1).optional(),
    outputFormat: z.enum(OUTPUT_FORMATS).optional(),
    image: ImageInputSchema.optional(),
    mask: ImageInputSchema.optional(),
    /** img2img: 0 keeps the input, 1 ignores it. */
    strength: z.number().min(0).max(1).optional(),
    /** upscale factor. */
    scale: z.number().min(1).max(8).optional(),
    /**
     * When a value is not allowed by the model (size, aspect ratio, n…), adjust it to the nearest
     * allowed one and report a warning, instead of failing. Default false: fail loudly.
     */
    allowAdjustments: z.boolean().optional(),
    providerOptions: ProviderOptionsSchema.optional(),
    /** Per-attempt timeout in ms (waits and polls included). */
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(2_147_483_647, 'timeoutMs must be at most 2147483647 (about 24.8 days), the longest timer Node.js can set')
      .optional(),
    /**
     * Cache the result (needs a cache directory in the config). Default: cached only when a seed is
     * fixed, since only then is the same request expected to give the same images. `false` never caches.
     */
    cache: z.boolean().optional(),
    /** How to choose and run models when `model` is `auto` (or absent): requirements, objective, fallback, hedging. */
    policy: RoutingPolicySchema.optional(),
  })
  .strict()
  .refine((r) => !(r.size && r.aspectRatio), {
    message: 'give size or aspectRatio, not both',
    path: ['size'],
  });

export type ImageRequest = z.input<typeof ImageRequestSchema> & {
  /** Cancels every wait, poll and HTTP call of the request; vendors' cancel endpoints are called. */
  signal?: AbortSignal;
};

/** A request after validation and defaults: what routing and the adapters work from. */
export type ParsedRequest = z.output<typeof ImageRequestSchema>;
