/** replicate models. Figures carry their source and date; see catalog/types.ts. */
import { GUIDE } from '../sources.js';
import type { CatalogModel, LatencyProfile, Source } from '../types.js';

/** cog-flux's 1 MP aspect-ratio table (protocols.md 3.9). */
export const FLUX_ASPECT_RATIOS: Readonly<Record<string, readonly [number, number]>> = {
  '1:1': [1024, 1024],
  '16:9': [1344, 768],
  '21:9': [1536, 640],
  '3:2': [1216, 832],
  '2:3': [832, 1216],
  '4:5': [896, 1088],
  '5:4': [1088, 896],
  '3:4': [896, 1152],
  '4:3': [1152, 896],
  '9:16': [768, 1344],
  '9:21': [640, 1536],
};

export const SDXL_VERSION = '39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b';
export const REAL_ESRGAN_VERSION = '42fed1c4974146d4d2414e2be2c5277c7fcf05fcc3a73abf41610695738c1d7b';

const COG_FLUX: Source = { kind: 'vendor', ref: 'replicate/cog-flux predict.py (source of black-forest-labs/flux-*)', date: '2025-07-31' };
const COG_SDXL: Source = { kind: 'vendor', ref: 'replicate/cog-sdxl predict.py (source of stability-ai/sdxl)', date: '2024-08-30' };
const REPLICATE_PRICING_3P: Source = {
  kind: 'third-party',
  ref: 'workflowlab.dev (May 2026) citing replicate.com/pricing',
  date: '2026-05',
};

/** Cold starts: the guide says they "can add 10-30 seconds"; how often is our estimate. Official models stay warm. */
const COMMUNITY_COLD_START = { coldStartMs: 20_000, coldStartRate: 0.05 } as const;

function latency(p50Ms: number, p99Ms: number, note: string, coldStart = false): LatencyProfile {
  return { p50Ms, p99Ms, ...(coldStart ? COMMUNITY_COLD_START : {}), source: { ...GUIDE, note } };
}

export const replicateModels: readonly CatalogModel[] = [
  {
    id: 'replicate/black-forest-labs/flux-schnell',
    provider: 'replicate',
    vendorModel: 'black-forest-labs/flux-schnell',
    displayName: 'FLUX.1 [schnell] on Replicate',
    tasks: ['generate'],
    features: { negativePrompt: false, seed: true, mask: false, strength: false, revisedPrompt: false },
    dimensions: { kind: 'aspect-ratios', ratios: FLUX_ASPECT_RATIOS, default: '1:1' },
    maxImagesPerCall: 4,
    outputFormats: ['webp', 'jpeg', 'png'],
    defaultOutputFormat: 'webp',
    price: {
      kind: 'per-image',
      usd: 0.003,
      source: {
        ...REPLICATE_PRICING_3P,
        note: 'No official Replicate page in the store (UNVERIFIED). The guide prices FAL schnell at ~$0.003 and its Replicate batch example (flux-schnell) at ~$0.0023 per image.',
      },
    },
    latency: latency(3_000, 8_000, 'guide: Replicate p99 3-8 s; batch example "3-8 seconds per image"; p50 is our reading for the 4-step model'),
    lifecycle: { status: 'active' },
    notes: `Official model (no version needed). Inputs: ${COG_FLUX.ref}. Ignores width/height: size comes from aspect_ratio. Steps 1-4 via providerOptions.replicate.input.num_inference_steps.`,
  },
  {
    id: 'replicate/black-forest-labs/flux-dev',
    provider: 'replicate',
    vendorModel: 'black-forest-labs/flux-dev',
    displayName: 'FLUX.1 [dev] on Replicate',
    tasks: ['generate', 'image-to-image'],
    features: { negativePrompt: false, seed: true, mask: false, strength: true, revisedPrompt: false },
    dimensions: { kind: 'aspect-ratios', ratios: FLUX_ASPECT_RATIOS, default: '1:1' },
    maxImagesPerCall: 4,
    outputFormats: ['webp', 'jpeg', 'png'],
    defaultOutputFormat: 'webp',
    price: {
      kind: 'per-image',
      usd: 0.025,
      source: { ...REPLICATE_PRICING_3P, note: "UNVERIFIED: no official Replicate page in the store; matches the guide's FAL FLUX.1 dev ~$0.025" },
    },
    latency: latency(5_000, 8_000, 'guide: Replicate p99 3-8 s (vendor-wide); the guide has no Replicate flux-dev row'),
    ratings: {
      promptAdherence: 'very-good',
      photorealism: 'excellent',
      textInImage: 'fair',
      source: { ...GUIDE, note: 'guide rated FLUX.1 dev on FAL; same weights on Replicate' },
    },
    lifecycle: { status: 'active' },
    notes: `Official model. Inputs: ${COG_FLUX.ref}. Image-to-image: the output aspect follows the input image; prompt_strength = strength. Defaults: 28 steps, guidance 3 (newest cog-flux; older versions 50 / 3.5).`,
  },
  {
    id: 'replicate/stability-ai/sdxl',
    provider: 'replicate',
    vendorModel: `stability-ai/sdxl:${SDXL_VERSION}`,
    displayName: 'Stable Diffusion XL on Replicate',
    tasks: ['generate', 'image-to-image', 'edit'],
    features: { negativePrompt: true, seed: true, mask: true, strength: true, revisedPrompt: false },
    // cog-sdxl states no bounds; diffusers needs multiples of 8. Range and pixel cap are the sandbox's.
    dimensions: { kind: 'free', min: 128, max: 2048, multipleOf: 8, maxPixels: 2048 * 2048, default: '1024x1024' },
    maxImagesPerCall: 4,
    outputFormats: ['png'],
    defaultOutputFormat: 'png',
    price: {
      kind: 'per-second',
      usd: 0.000575,
      typicalSeconds: 4,
      source: {
        ...GUIDE,
        note: 'Guide: "Replicate SDXL ~$0.0023, per second of compute" — ambiguous. Read as ~$0.0023 per typical image (its batch example: ~$0.0023 per image), billed by compute time: 4 s typical predict time x $0.000575/s. A third-party page (gigagpu.com) says $0.0023 per GPU-second instead, which would make an image ~4x dearer. UNVERIFIED.',
      },
    },
    latency: latency(5_000, 8_000, 'guide: Replicate SDXL p50 3-8 s; Replicate p99 3-8 s', true),
    ratings: { promptAdherence: 'fair', photorealism: 'good', textInImage: 'poor', source: GUIDE },
    lifecycle: { status: 'active' },
    notes: `Community model: runs by version id. Inputs: ${COG_SDXL.ref}. Mask: white is inpainted, black kept. Output PNG only.`,
  },
  {
    id: 'replicate/nightmareai/real-esrgan',
    provider: 'replicate',
    vendorModel: `nightmareai/real-esrgan:${REAL_ESRGAN_VERSION}`,
    displayName: 'Real-ESRGAN upscaler on Replicate',
    tasks: ['upscale'],
    features: { negativePrompt: false, seed: false, mask: false, strength: false, revisedPrompt: false },
    dimensions: { kind: 'from-input' },
    // The model takes any number 0-10; easel offers the whole factors (others via providerOptions.replicate.input.scale).
    scales: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    maxImagesPerCall: 1,
    outputFormats: ['png'],
    defaultOutputFormat: 'png',
    price: {
      kind: 'per-second',
      usd: 0.00092,
      typicalSeconds: 2.5,
      source: {
        ...GUIDE,
        note: 'Guide product-photo example: "$0.0023 per image", "2-3 seconds" per 4x upscale; billed per second of compute: 2.5 s x $0.00092/s. No official figure found (UNVERIFIED).',
      },
    },
    latency: latency(2_500, 6_000, 'guide product-photo example: 2-3 s per 4x upscale; p99 is our estimate', true),
    lifecycle: { status: 'active' },
    notes: 'Community model: runs by version id. Output is one PNG URL. face_enhance via providerOptions.replicate.input.face_enhance.',
  },
];
