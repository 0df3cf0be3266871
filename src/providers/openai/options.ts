/**
 * `providerOptions.openai`: the Images API fields easel's common request has no place for. Strict,
 * so a misspelt option fails loudly instead of being dropped.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../../core/errors.js';

export const OpenAIOptionsSchema = z
  .object({
    /** gpt-image: `transparent` needs png or webp output. */
    background: z.enum(['transparent', 'opaque', 'auto']).optional(),
    /** gpt-image generations: `low` is less strict. */
    moderation: z.enum(['low', 'auto']).optional(),
    /** gpt-image, jpeg/webp output: 0–100 (100 = no compression). */
    output_compression: z.number().int().min(0).max(100).optional(),
    /** gpt-image edits (not gpt-image-1-mini): how closely to keep the input's features. */
    input_fidelity: z.enum(['high', 'low']).optional(),
    /** End-user id OpenAI uses to spot abuse. */
    user: z.string().min(1).optional(),
  })
  .strict();

export type OpenAIOptions = z.output<typeof OpenAIOptionsSchema>;

const ALLOWED = Object.keys(OpenAIOptionsSchema.shape).join(', ');

export function parseOpenAIOptions(raw: Record<string, unknown>, model: string): OpenAIOptions {
  const parsed = OpenAIOptionsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new InvalidRequestError(`openai: unknown providerOptions.openai option ${issue.keys.join(', ')}; allowed: ${ALLOWED}`, {
      model,
      provider: 'openai',
      field: `providerOptions.openai.${issue.keys[0]}`,
    });
  }
  const where = issue.path.join('.');
  throw new InvalidRequestError(`openai: providerOptions.openai.${where}: ${issue.message}`, { model, provider: 'openai', field: `providerOptions.openai.${where}` });
}
