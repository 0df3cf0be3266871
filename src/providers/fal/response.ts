/** FAL result → image URLs, vendor timing and seed (pure), dropping images the safety checker flagged. */
import { z } from 'zod';
import { ContentRejectedError } from '../../core/errors.js';
import type { Warning } from '../../core/warnings.js';

export const ResultSchema = z.object({
  images: z.array(z.object({ url: z.string(), content_type: z.string().optional() })),
  timings: z.object({ inference: z.number().optional() }).partial().nullish(),
  seed: z.number().optional(),
  has_nsfw_concepts: z.array(z.boolean()).optional(),
});
export type FalResult = z.output<typeof ResultSchema>;

export function keptImages(result: FalResult, details: { model: string; requestId: string }, warnings: Warning[]): FalResult['images'] {
  const flags = result.has_nsfw_concepts ?? [];
  const kept = result.images.filter((_, i) => flags[i] !== true);
  if (result.images.length > 0 && kept.length === 0) {
    throw new ContentRejectedError(`fal (${details.model}): the safety checker flagged every image`, {
      ...details,
      provider: 'fal',
      vendorCode: 'has_nsfw_concepts',
    });
  }
  if (kept.length < result.images.length) {
    warnings.push({
      kind: 'adjusted',
      model: details.model,
      field: 'n',
      requested: result.images.length,
      applied: kept.length,
      message: `${details.model}: the safety checker flagged ${result.images.length - kept.length} image(s); they were dropped`,
    });
  }
  return kept;
}
