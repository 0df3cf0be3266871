/** `providerOptions.stability`: extra fields Stability's endpoints take, strictly checked. */
import { z } from 'zod';
import { parseVendorOptions } from '../vendor-options.js';

export const StabilityOptionsSchema = z
  .object({
    style_preset: z.string().optional(),
    cfg_scale: z.number().min(0).max(35).optional(),
    creativity: z.number().min(0).max(0.5).optional(),
    grow_mask: z.number().int().min(0).max(100).optional(),
    /** v1 SDXL only. */
    steps: z.number().int().min(10).max(150).optional(),
    sampler: z.string().optional(),
    clip_guidance_preset: z.string().optional(),
  })
  .strict();

export type StabilityOptions = z.output<typeof StabilityOptionsSchema>;

export const parseStabilityOptions = (raw: Record<string, unknown>, model: string): StabilityOptions =>
  parseVendorOptions(StabilityOptionsSchema, raw, 'stability', model);
