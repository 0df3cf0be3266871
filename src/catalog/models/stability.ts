/** Stability AI models (v2beta stable-image API, and SDXL on v1). Credits are $0.01 each. */
import { GUIDE } from '../sources.js';
import type { CatalogModel, Dimensioning, ModelFeatures, Source } from '../types.js';

const CREDITS: Source = {
  kind: 'vendor',
  ref: 'Stability OpenAPI (stable-image endpoints: credits per successful generation)',
  date: '2025-06',
  note: '1 credit = $0.01 (third-party pages citing platform.stability.ai/pricing)',
};
const price = (credits: number, note?: string) =>
  ({ kind: 'credits', credits, usdPerCredit: 0.01, source: note ? { ...CREDITS, note: `${CREDITS.note}; ${note}` } : CREDITS }) as const;
const LATENCY = { p50Ms: 8_000, p99Ms: 12_000, source: { ...GUIDE, note: 'quality table: SD3.5 Large p50 5-12 s; uptime table: Stability p99 5-12 s' } };

/** Output sizes per aspect ratio for Ultra and SD3 (Stability's own ComfyUI node labels; protocols.md 2.3). */
export const STABILITY_RATIOS: Readonly<Record<string, readonly [number, number]>> = {
  '21:9': [1536, 640],
  '16:9': [1344, 768],
  '3:2': [1216, 832],
  '5:4': [1088, 896],
  '1:1': [1024, 1024],
  '4:5': [896, 1088],
  '2:3': [832, 1216],
  '9:16': [768, 1344],
  '9:21': [640, 1536],
};
export const STYLE_PRESETS = [
  'enhance',
  'anime',
  'photographic',
  'digital-art',
  'comic-book',
  'fantasy-art',
  'line-art',
  'analog-film',
  'neon-punk',
  'isometric',
  'low-poly',
  'origami',
  'modeling-compound',
  'cinematic',
  '3d-model',
  'pixel-art',
  'tile-texture',
] as const;
export const SDXL_SIZES = ['1024x1024', '1152x896', '896x1152', '1216x832', '1344x768', '768x1344', '1536x640', '640x1536'] as const;
export const SDXL_ENGINE = 'stable-diffusion-xl-1024-v1-0';

const RATIOS: Dimensioning = { kind: 'aspect-ratios', ratios: STABILITY_RATIOS, default: '1:1' };
const FROM_INPUT: Dimensioning = { kind: 'from-input' };
const GENERATE: ModelFeatures = { negativePrompt: true, seed: true, mask: false, strength: true, revisedPrompt: false };
const active = { status: 'active' } as const;
const SD35_RATINGS = { promptAdherence: 'good', photorealism: 'excellent', textInImage: 'fair', source: GUIDE } as const;

function sd3(id: string, vendorModel: string, displayName: string, credits: number, extra: Partial<CatalogModel> = {}): CatalogModel {
  return {
    id,
    provider: 'stability',
    vendorModel,
    displayName,
    tasks: ['generate', 'image-to-image'],
    features: GENERATE,
    dimensions: RATIOS,
    maxImagesPerCall: 1,
    maxPromptLength: 10_000,
    outputFormats: ['png', 'jpeg'],
    defaultOutputFormat: 'png',
    price: price(credits),
    latency: LATENCY,
    lifecycle: active,
    notes: 'POST /v2beta/stable-image/generate/sd3 with `model`; image-to-image with mode=image-to-image, image and strength.',
    ...extra,
  };
}

export const stabilityModels: readonly CatalogModel[] = [
  {
    id: 'stability/ultra',
    provider: 'stability',
    vendorModel: 'ultra',
    displayName: 'Stable Image Ultra',
    tasks: ['generate', 'image-to-image'],
    features: GENERATE,
    dimensions: RATIOS,
    maxImagesPerCall: 1,
    maxPromptLength: 10_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    styles: STYLE_PRESETS,
    price: price(8),
    latency: LATENCY,
    lifecycle: active,
  },
  {
    id: 'stability/core',
    provider: 'stability',
    vendorModel: 'core',
    displayName: 'Stable Image Core',
    tasks: ['generate'],
    features: { ...GENERATE, strength: false },
    dimensions: RATIOS,
    maxImagesPerCall: 1,
    maxPromptLength: 10_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    styles: STYLE_PRESETS,
    price: price(3),
    latency: LATENCY,
    lifecycle: active,
    notes: 'Sizes: the Ultra/SD3 table (the ComfyUI node labels Core at 1.5 MP, the spec says 1.5 MP too; CONFLICT with the sizes easel assumes).',
  },
  sd3('stability/sd3.5-large', 'sd3.5-large', 'Stable Diffusion 3.5 Large', 6.5, { ratings: SD35_RATINGS }),
  sd3('stability/sd3.5-large-turbo', 'sd3.5-large-turbo', 'Stable Diffusion 3.5 Large Turbo', 4),
  sd3('stability/sd3.5-medium', 'sd3.5-medium', 'Stable Diffusion 3.5 Medium', 3.5),
  {
    id: 'stability/sdxl-1.0',
    provider: 'stability',
    vendorModel: SDXL_ENGINE,
    displayName: 'SDXL 1.0 (v1 API)',
    tasks: ['generate'],
    features: { ...GENERATE, strength: false },
    dimensions: { kind: 'sizes', sizes: SDXL_SIZES, default: '1024x1024' },
    maxImagesPerCall: 10,
    maxPromptLength: 2_000,
    outputFormats: ['png'],
    defaultOutputFormat: 'png',
    styles: STYLE_PRESETS,
    price: price(
      0.9,
      "SDXL is 0.9 credits ($0.009) at ≤30 steps (0.9·steps/30 above) per the vendor; the guide's ~$0.002 matches only older third-party pricing — the vendor's figure wins",
    ),
    latency: LATENCY,
    lifecycle: active,
    notes: 'POST /v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image (JSON). Whether Stability still serves v1 is UNVERIFIED.',
  },
  {
    id: 'stability/inpaint',
    provider: 'stability',
    vendorModel: 'inpaint',
    displayName: 'Stable Image Inpaint',
    tasks: ['edit'],
    features: { negativePrompt: true, seed: true, mask: true, strength: false, revisedPrompt: false, maskConvention: 'white-is-edit' },
    dimensions: FROM_INPUT,
    maxImagesPerCall: 1,
    maxPromptLength: 10_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    price: price(3),
    latency: LATENCY,
    lifecycle: active,
  },
  ...(
    [
      ['fast', 'Fast Upscaler', 1, { p50Ms: 1_000, p99Ms: 3_000 }],
      ['conservative', 'Conservative Upscaler', 25, LATENCY],
      ['creative', 'Creative Upscaler (async)', 25, { p50Ms: 30_000, p99Ms: 60_000 }],
    ] as const
  ).map(([name, displayName, credits, latency]): CatalogModel => ({
    id: `stability/upscale-${name}`,
    provider: 'stability',
    vendorModel: `upscale/${name}`,
    displayName,
    tasks: ['upscale'],
    features: { negativePrompt: name !== 'fast', seed: name !== 'fast', mask: false, strength: false, revisedPrompt: false },
    dimensions: FROM_INPUT,
    scales: [4],
    maxImagesPerCall: 1,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    price: price(credits),
    latency: { ...latency, source: { kind: 'estimate', ref: name === 'fast' ? 'vendor: "~1 s"' : 'easel estimate', date: '2026-11' } },
    lifecycle: active,
    notes:
      name === 'creative'
        ? 'Asynchronous: POST answers {id}; GET /v2beta/results/{id} until 200.'
        : name === 'fast'
          ? '4x, input 32–1536 px a side.'
          : 'Up to ~4 MP output; takes a prompt.',
  })),
];
