/**
 * Merges what one model's calls (after `n` was split) returned into one result: images measured from
 * their bytes, cost from the catalog rule and what the vendor reported, usage, attempts and warnings.
 */
import { imageSize } from 'image-size';
import { costOf } from '../catalog/pricing.js';
import type { CatalogModel } from '../catalog/types.js';
import { NoImageGeneratedError } from '../core/errors.js';
import { type Attempt, type GeneratedImage, type ImageResult, makeImage } from '../core/result.js';
import { formatFromMediaType } from '../core/task.js';
import type { Warning } from '../core/warnings.js';
import type { ProviderCall, ProviderResult, VendorUsage } from '../providers/types.js';

/** One result from every call's: throws NoImageGeneratedError when none returned an image, warns when some fell short of `n`. */
export async function mergeResults(
  model: CatalogModel,
  calls: readonly ProviderCall[],
  results: readonly ProviderResult[],
  run: {
    /** The request's warnings so far; the calls' own are added. */
    warnings: Warning[];
    attempts: Attempt[];
    /** How long the model's calls took, together. */
    latencyMs: number;
    /** The images came from a sandbox (placeholders), not a vendor. */
    sandbox: boolean;
  },
): Promise<ImageResult> {
  const { warnings, attempts, latencyMs, sandbox } = run;
  const images: GeneratedImage[] = [];
  const usage: VendorUsage = {};
  let usd: number | null = 0;
  const bases: string[] = [];
  let estimated = false;
  for (const [i, result] of results.entries()) {
    const call = calls[i]!;
    warnings.push(...result.warnings);
    for (const image of result.images) images.push(await measure(model, call, image, warnings));
    addUsage(usage, result.usage);
    const cost = callCost(model, call, result);
    usd = usd === null || cost.usd === null ? null : usd + cost.usd;
    bases.push(cost.basis);
    estimated ||= model.price.kind === 'per-second' && result.usage.computeSeconds === undefined;
  }
  const wanted = calls.reduce((sum, c) => sum + c.n, 0);
  if (images.length === 0) {
    throw new NoImageGeneratedError(`${model.id} returned no image`, { model: model.id, provider: model.provider, requestId: results[0]?.requestId, attempts });
  }
  if (images.length < wanted) {
    warnings.push({
      kind: 'adjusted',
      model: model.id,
      field: 'n',
      requested: wanted,
      applied: images.length,
      message: `${model.id} returned ${images.length} of ${wanted} images`,
    });
  }
  return {
    images,
    model: model.id,
    provider: model.provider,
    requestIds: results.map((r) => r.requestId).filter((id): id is string => id !== undefined),
    cost: { usd: usd === null ? null : Math.round(usd * 1e6) / 1e6, basis: bases.join(' + '), estimated },
    latencyMs,
    attempts,
    warnings,
    usage,
    sandbox,
  };
}

/** What one call cost: the catalog rule applied to what the vendor returned (images, compute seconds). */
export function callCost(model: CatalogModel, call: ProviderCall, result: ProviderResult) {
  return costOf(model, {
    images: result.images.length,
    width: call.width,
    height: call.height,
    quality: call.quality,
    computeSeconds: result.usage.computeSeconds,
  });
}

/** Reads the real size and format from the bytes, and warns when the vendor changed the size. */
async function measure(model: CatalogModel, call: ProviderCall, image: ProviderResult['images'][number], warnings: Warning[]): Promise<GeneratedImage> {
  let width = 0;
  let height = 0;
  let format = formatFromMediaType(image.mediaType);
  try {
    // The header is enough to know what came back; image-size reads it in microseconds, where a
    // sharp probe costs a thread-pool round trip on every image the gateway and batches return.
    const header = imageSize(image.bytes);
    width = header.width;
    height = header.height;
    format = formatFromMediaType(`image/${header.type}`) ?? format;
  } catch {
    throw new NoImageGeneratedError(`${model.id} returned bytes that are not a readable image`, { model: model.id, provider: model.provider });
  }
  if (call.width && call.height && (width !== call.width || height !== call.height) && call.task !== 'upscale') {
    const requested = `${call.width}x${call.height}`;
    if (!warnings.some((w) => w.field === 'size' && w.requested === requested && w.applied === `${width}x${height}`)) {
      warnings.push({
        kind: 'adjusted',
        model: model.id,
        field: 'size',
        requested,
        applied: `${width}x${height}`,
        message: `${model.id} returned ${width}x${height} instead of ${requested}`,
      });
    }
  }
  return makeImage({
    bytes: image.bytes,
    mediaType: format ? `image/${format}` : image.mediaType,
    format: format ?? call.outputFormat,
    width,
    height,
    seed: image.seed,
    revisedPrompt: image.revisedPrompt,
  });
}

function addUsage(total: VendorUsage, more: VendorUsage): void {
  for (const key of Object.keys(more) as (keyof VendorUsage)[]) {
    const value = more[key];
    if (value !== undefined) total[key] = (total[key] ?? 0) + value;
  }
}
