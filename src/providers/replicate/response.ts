/**
 * Replicate prediction → outcome (pure): output URLs to download, vendor usage and seed, or the
 * typed error a terminal prediction stands for. The schema is lenient: only fields easel reads.
 */
import { z } from 'zod';
import { ContentRejectedError, type EaselError, NoImageGeneratedError, ProviderError, ProviderUnavailableError } from '../../core/errors.js';
import type { VendorUsage } from '../types.js';
import { NSFW_PATTERN } from './errors.js';

export const PredictionSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  logs: z.string().nullish(),
  metrics: z.object({ predict_time: z.number().optional() }).nullish(),
});
export type Prediction = z.output<typeof PredictionSchema>;

/** `aborted` appears in the JS client's typings; treated as a cancel. */
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

export function isFinished(p: Pick<Prediction, 'status'>): boolean {
  return TERMINAL.has(p.status);
}

export interface PredictionOutcome {
  urls: string[];
  usage: VendorUsage;
  /** The seed the model logged (`Using seed: N`), when it did. */
  seed: number | undefined;
}

/** Model failures that say the vendor, not the request, is at fault: worth another try. */
const TRANSIENT_FAILURE = /out of memory|timed? ?out|internal|unavailable|capacity|interrupted|restart/i;

export function outcomeOf(p: Prediction, details: { model: string; provider: 'replicate' }): PredictionOutcome {
  const errorDetails = { ...details, requestId: p.id };
  if (p.status === 'failed') throw failureError(typeof p.error === 'string' ? p.error : 'the prediction failed without an error message', errorDetails);
  if (p.status !== 'succeeded') throw new ProviderError(`replicate (${details.model}): prediction ${p.id} was ${p.status} before it finished`, errorDetails);
  const urls = outputUrls(p.output);
  if (urls.length === 0) throw new NoImageGeneratedError(`replicate (${details.model}): prediction ${p.id} succeeded with no output image`, errorDetails);
  const seed = /Using seed: (\d+)/.exec(p.logs ?? '')?.[1];
  return {
    urls,
    usage: p.metrics?.predict_time === undefined ? {} : { computeSeconds: p.metrics.predict_time },
    seed: seed === undefined ? undefined : Number(seed),
  };
}

function failureError(text: string, details: { model: string; provider: 'replicate'; requestId: string }): EaselError {
  const short = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  const message = `replicate (${details.model}): prediction ${details.requestId} failed: ${short}`;
  if (NSFW_PATTERN.test(text)) return new ContentRejectedError(message, { ...details, vendorCode: 'nsfw' });
  if (TRANSIENT_FAILURE.test(text)) return new ProviderUnavailableError(message, details);
  return new ProviderError(message, details);
}

/** Image models answer with one URL (real-esrgan) or a list of URLs (flux, sdxl). */
export function outputUrls(output: unknown): string[] {
  if (typeof output === 'string') return output ? [output] : [];
  if (Array.isArray(output)) return output.filter((u): u is string => typeof u === 'string' && u.length > 0);
  return [];
}
