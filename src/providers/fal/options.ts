/** `providerOptions.fal`: FAL's extra inputs, strictly checked. */
import { z } from 'zod';
import { parseVendorOptions } from '../vendor-options.js';

export const FalOptionsSchema = z
  .object({
    /** Use the synchronous host (`fal.run`) instead of the queue. */
    sync: z.boolean().optional(),
    /** Raw app input, merged over what easel maps (for any app id). */
    input: z.record(z.string(), z.unknown()).optional(),
    /** FAL posts the result here when done (queue only; signed with Ed25519). */
    webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    num_inference_steps: z.number().int().min(1).max(50).optional(),
    guidance_scale: z.number().min(1).max(20).optional(),
    enable_safety_checker: z.boolean().optional(),
    acceleration: z.enum(['none', 'regular', 'high']).optional(),
    /** Images come back as data URIs instead of stored URLs. */
    sync_mode: z.boolean().optional(),
  })
  .strict();

export type FalOptions = z.output<typeof FalOptionsSchema>;

export const parseFalOptions = (raw: Record<string, unknown>, model: string): FalOptions => parseVendorOptions(FalOptionsSchema, raw, 'fal', model);
