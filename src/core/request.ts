/**
 * The one request type, validated once at the edge with zod.
 *
 * Everything is optional here (the public call); `resolveRequest` in `core/resolve.ts` turns it
 * into a fully specified `ProviderCall` for one model, where every field is present.
 */
import { z } from 'zod';
import { RoutingPolicySchema } from './policy.js';
import { OUTPUT_FORMATS, QUALITIES, TASKS } from './task.js';

/** An input image: bytes, a file path, an http(s) URL or a data URL. */
export const ImageInputSchema = z.union([
  z.instanceof(Uint8Array),
  z.string().min(1, 'an image path, URL or data URL must not be empty'),
]);
export type ImageInput = z.infer<typeof ImageInputSchema>;

const SizeSchema = z
  .string()
  .regex(/^\d{1,5}x\d{1,5}$/, 'size must look like WIDTHxHEIGHT, for example 1024x1024');
const AspectSchema = z
  .string()
  .regex(/^\d{1,3}(\.\d+)?:\d{1,3}(\.\d+)?$/, 'aspectRatio must look like W:H, for example 16:9');

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
    model: z.string().min(1).optional(),
    task: z.enum(TASKS).optional(),
    prompt: z.string().min(1, 'prompt must not be empty').max(100_000).optional(),
    negativePrompt: z.string().max(10_000).optional(),
    size: SizeSchema.optional(),
    aspectRatio: AspectSchema.optional(),
    /** Images wanted. Above a model's per-call limit easel splits into parallel calls. */
    n: z.number().int().min(1).max(64).optional(),
    seed: z.number().int().min(0).max(4_294_967_294).optional(),
    quality: z.enum(QUALITIES).optional(),
    style: z.string().min(1).max(64).optional(),
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
    timeoutMs: z.number().int().positive().optional(),
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
