/** `providerOptions.replicate`: strict, so a misspelt option fails loudly instead of being dropped. */
import { z } from 'zod';
import { parseVendorOptions } from '../vendor-options.js';

export const ReplicateOptionsSchema = z
  .object({
    /** Raw model input, merged over what easel maps (e.g. `{ go_fast: false, num_inference_steps: 2 }`). */
    input: z.record(z.string(), z.unknown()).optional(),
    /** Replicate calls this URL with the prediction (signed; see `GET /v1/webhooks/default/secret`). */
    webhook: z.url({ protocol: /^https?$/ }).optional(),
    webhook_events_filter: z
      .array(z.enum(['start', 'output', 'logs', 'completed']))
      .min(1)
      .optional(),
    /** Seconds to hold the create request open (`Prefer: wait=N`, 1–60), or `false` to poll from the start. */
    wait: z.union([z.number().int().min(1).max(60), z.literal(false)]).optional(),
  })
  .strict();

export type ReplicateOptions = z.output<typeof ReplicateOptionsSchema>;

export function parseReplicateOptions(raw: Record<string, unknown>, model: string): ReplicateOptions {
  return parseVendorOptions(ReplicateOptionsSchema, raw, 'replicate', model);
}
