/** `providerOptions.replicate`: strict, so a misspelt option fails loudly instead of being dropped. */
import { z } from 'zod';
import { InvalidRequestError } from '../../core/errors.js';

export const ReplicateOptionsSchema = z
  .object({
    /** Raw model input, merged over what easel maps (e.g. `{ go_fast: false, num_inference_steps: 2 }`). */
    input: z.record(z.string(), z.unknown()).optional(),
    /** Replicate calls this URL with the prediction (signed; see `GET /v1/webhooks/default/secret`). */
    webhook: z.url({ protocol: /^https?$/ }).optional(),
    webhook_events_filter: z.array(z.enum(['start', 'output', 'logs', 'completed'])).min(1).optional(),
    /** Seconds to hold the create request open (`Prefer: wait=N`, 1–60), or `false` to poll from the start. */
    wait: z.union([z.number().int().min(1).max(60), z.literal(false)]).optional(),
  })
  .strict();

export type ReplicateOptions = z.output<typeof ReplicateOptionsSchema>;

const ALLOWED = Object.keys(ReplicateOptionsSchema.shape).join(', ');

export function parseReplicateOptions(raw: Record<string, unknown>, model: string): ReplicateOptions {
  const parsed = ReplicateOptionsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new InvalidRequestError(`replicate: unknown providerOptions.replicate option ${issue.keys.join(', ')}; allowed: ${ALLOWED}`, {
      model,
      provider: 'replicate',
      field: `providerOptions.replicate.${issue.keys[0]}`,
    });
  }
  const where = issue.path.join('.');
  throw new InvalidRequestError(`replicate: providerOptions.replicate.${where}: ${issue.message}`, { model, provider: 'replicate', field: `providerOptions.replicate.${where}` });
}
