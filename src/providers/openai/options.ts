/**
 * `providerOptions.openai`: the Images API fields easel's common request has no place for. Strict,
 * so a misspelt option fails loudly instead of being dropped.
 */
import { z } from 'zod';
import { parseVendorOptions } from '../vendor-options.js';

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

export function parseOpenAIOptions(raw: Record<string, unknown>, model: string): OpenAIOptions {
  return parseVendorOptions(OpenAIOptionsSchema, raw, 'openai', model);
}
