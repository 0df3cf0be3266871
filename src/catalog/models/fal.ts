/** FAL models. Figures carry their source and date; see catalog/types.ts. */
import { GUIDE } from '../sources.js';
import type { CatalogModel, Dimensioning, ModelFeatures } from '../types.js';

/** FAL's `image_size` presets. The pixel sizes are the commonly quoted ones (protocols.md 4.6: UNVERIFIED). */
export const FAL_PRESETS: Readonly<Record<string, readonly [number, number]>> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};

const DIMENSIONS: Dimensioning = { kind: 'free', min: 256, max: 2048, multipleOf: 16, maxPixels: 2048 * 2048, default: '1024x768', presets: FAL_PRESETS };
const FEATURES: ModelFeatures = { negativePrompt: false, seed: true, mask: false, strength: false, revisedPrompt: false };
const FAL_DEV_PAGE = { kind: 'vendor', ref: 'fal.ai/models/fal-ai/flux-1/dev/playground', date: '2026' } as const;

export const falModels: readonly CatalogModel[] = [
  {
    id: 'fal/flux/dev',
    provider: 'fal',
    vendorModel: 'fal-ai/flux/dev',
    displayName: 'FLUX.1 [dev] on FAL',
    tasks: ['generate'],
    features: FEATURES,
    dimensions: DIMENSIONS,
    maxImagesPerCall: 4,
    outputFormats: ['jpeg', 'png'],
    defaultOutputFormat: 'jpeg',
    price: {
      kind: 'per-megapixel',
      usd: 0.025,
      roundUp: true,
      source: {
        ...FAL_DEV_PAGE,
        note: '"$0.025 per megapixel, rounding up to the nearest megapixel"; the guide says ~$0.025 per image up to 1 MP — the same figure',
      },
    },
    latency: { p50Ms: 4_000, p99Ms: 6_000, source: { ...GUIDE, note: 'benchmark table: FAL FLUX.1 dev p50 3-6 s; uptime table: FAL p99 3-6 s' } },
    ratings: { promptAdherence: 'very-good', photorealism: 'excellent', textInImage: 'fair', source: GUIDE },
    lifecycle: { status: 'active' },
    notes:
      'Queue API (submit, status, result, cancel) or the synchronous host with providerOptions.fal.sync. 1–50 steps (default 28), guidance 1–20 (default 3.5).',
  },
  {
    id: 'fal/flux/schnell',
    provider: 'fal',
    vendorModel: 'fal-ai/flux/schnell',
    displayName: 'FLUX.1 [schnell] on FAL',
    tasks: ['generate'],
    features: FEATURES,
    dimensions: DIMENSIONS,
    maxImagesPerCall: 4,
    outputFormats: ['jpeg', 'png'],
    defaultOutputFormat: 'jpeg',
    price: {
      kind: 'per-megapixel',
      usd: 0.003,
      roundUp: true,
      source: {
        kind: 'guide',
        ref: GUIDE.ref,
        date: GUIDE.date,
        note: 'guide: ~$0.003 "up to 1MP"; third-party listings say $0.003/MP; no official fal page for schnell in the store',
      },
    },
    latency: {
      p50Ms: 2_000,
      p99Ms: 4_000,
      source: { kind: 'estimate', ref: 'easel estimate: 4 steps against dev’s 28, under the guide’s FAL p99 of 3-6 s', date: '2026-11' },
    },
    lifecycle: { status: 'active' },
    notes: '1–12 steps (default 4).',
  },
  {
    id: 'fal/flux-pro/v1/fill',
    provider: 'fal',
    vendorModel: 'fal-ai/flux-pro/v1/fill',
    displayName: 'FLUX.1 [pro] Fill on FAL',
    tasks: ['edit'],
    features: { negativePrompt: false, seed: true, mask: true, strength: false, revisedPrompt: false, maskConvention: 'white-is-edit' },
    // The output has the input image's size; image and mask must be the same size.
    dimensions: { kind: 'from-input' },
    maxImagesPerCall: 4,
    outputFormats: ['jpeg', 'png'],
    defaultOutputFormat: 'jpeg',
    price: {
      kind: 'per-megapixel',
      usd: 0.05,
      roundUp: true,
      source: {
        kind: 'vendor',
        ref: 'fal.ai/models/fal-ai/flux-pro/v1/fill (llms.txt, API reference)',
        date: '2026',
        note: '"$0.05 per megapixels", "billed by rounding up to nearest megapixel"',
      },
    },
    latency: {
      p50Ms: 6_000,
      p99Ms: 12_000,
      source: {
        kind: 'estimate',
        ref: 'easel estimate: FLUX.1 [pro] at full steps, slower than dev (guide: FAL dev p50 3-6 s); no published figure',
        date: '2026-11',
      },
    },
    lifecycle: { status: 'active' },
    notes:
      'Inpainting: prompt, image_url and mask_url (same size; white is repainted, black kept; easel sends data URIs), num_images 1–4, seed, output_format jpeg|png, safety_tolerance "1"–"6" (default "2") and enhance_prompt through providerOptions.fal.input.',
  },
];
