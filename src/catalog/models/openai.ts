/**
 * OpenAI Images API models. Figures carry their source and date; see catalog/types.ts.
 * Wire facts: /work/shared/protocols.md section 1.
 */
import { GUIDE } from '../sources.js';
import type { CatalogModel, LatencyProfile, ModelFeatures, PerImagePrice, Source } from '../types.js';

const DALLE_PRICES_3P: Source = {
  kind: 'third-party',
  ref: 'github kevinhermawan/Canvas model-info.json (pricing_updated_at 2023-12-25, citing openai.com/pricing); same figures on 6g-ai.com',
  date: '2023-12-25',
};
const MINI_PAGE: Source = { kind: 'vendor', ref: 'developers.openai.com/de-DE/api/docs/models/gpt-image-1-mini', date: '2026' };
const OPENAI_DEPRECATIONS = 'developers.openai.com deprecations page (stored copy, 2026)';

/** The size list every gpt-image-1.x model takes (plus `auto`). */
const GPT_IMAGE_SIZES = ['1024x1024', '1536x1024', '1024x1536'] as const;
const GPT_IMAGE_QUALITIES = ['low', 'medium', 'high', 'auto'] as const;
const GPT_IMAGE_FEATURES: ModelFeatures = {
  negativePrompt: false,
  seed: false,
  mask: true,
  strength: false,
  revisedPrompt: false,
  maskConvention: 'transparent-is-edit',
};

/** The guide has no figure for the gpt-image family: these are our estimates, marked as such. */
function estimatedLatency(p50Ms: number, p99Ms: number, note: string): LatencyProfile {
  return { p50Ms, p99Ms, source: { kind: 'estimate', ref: 'easel estimate (no guide or vendor figure)', date: '2026-11', note } };
}

/**
 * Per-image prices by quality for a square and a non-square size. `auto` (and an unset quality)
 * are priced as medium: the vendor picks the quality, medium is the middle of the range.
 */
function perQualityTable(square: Record<'low' | 'medium' | 'high', number>, other: Record<'low' | 'medium' | 'high', number>, source: Source): PerImagePrice {
  const rows = (['low', 'medium', 'high'] as const).flatMap((quality) => [
    { quality, size: '1024x1024', usd: square[quality] },
    { quality, usd: other[quality] },
  ]);
  return {
    kind: 'per-image',
    usd: other.medium,
    table: [
      ...rows,
      { quality: 'auto', size: '1024x1024', usd: square.medium },
      { quality: 'auto', usd: other.medium },
      { size: '1024x1024', usd: square.medium },
    ],
    source: { ...source, note: `${source.note ? `${source.note} ` : ''}quality auto (or unset) is priced as medium.` },
  };
}

const SHUTDOWN_NOTE =
  'OpenAI shut this model down (developers.openai.com model page: "deprecated and removed from the API"; date 2026-05-12 per a third-party article). OpenAI-compatible hosts and the easel sandbox may still serve it.';
const SUCCESSOR_CONFLICT =
  'CONFLICT: the deprecations page names the replacement "gpt-image-2.6-sunburst or gpt-image-2.6-flare", a third-party copy says "gpt-image-2.5-sunburst/flare"; neither id is in the SDK enum or the OpenAPI spec. easel points at gpt-image-2, the newest model the SDK knows.';

/**
 * The guide rates only DALL-E 3 ("the only API that reliably renders legible text"); it predates the
 * gpt-image family that replaced it. OpenAI presents these models as its text-rendering successors, so
 * easel rates them like DALL-E 3 for text and adherence — an estimate, marked as one, that a user can
 * override in config with their own measurements.
 */
const GPT_IMAGE_RATINGS = {
  promptAdherence: 'excellent',
  photorealism: 'good',
  textInImage: 'good',
  source: {
    kind: 'estimate',
    ref: 'easel: DALL-E 3 guide ratings carried to its gpt-image successors',
    date: '2026-11',
    note: 'not measured by the guide; override in config',
  },
} as const;

export const openaiModels: readonly CatalogModel[] = [
  {
    id: 'openai/dall-e-3',
    provider: 'openai',
    vendorModel: 'dall-e-3',
    displayName: 'DALL·E 3',
    tasks: ['generate'],
    features: { negativePrompt: false, seed: false, mask: false, strength: false, revisedPrompt: true },
    dimensions: { kind: 'sizes', sizes: ['1024x1024', '1792x1024', '1024x1792'], default: '1024x1024' },
    maxImagesPerCall: 1,
    maxPromptLength: 4000,
    outputFormats: ['png'],
    defaultOutputFormat: 'png',
    qualities: ['standard', 'hd', 'auto'],
    styles: ['vivid', 'natural'],
    price: {
      kind: 'per-image',
      usd: 0.04,
      table: [
        { quality: 'hd', size: '1024x1024', usd: 0.08 },
        { quality: 'hd', size: '1792x1024', usd: 0.12 },
        { quality: 'hd', size: '1024x1792', usd: 0.12 },
        { size: '1792x1024', usd: 0.08 },
        { size: '1024x1792', usd: 0.08 },
      ],
      source: {
        ...GUIDE,
        note: `Guide: 1024x1024 $0.040, HD $0.080. Wide/tall sizes (standard $0.08, HD $0.12) from ${DALLE_PRICES_3P.ref}, which agrees with the guide on 1024x1024. Quality auto or unset is billed as standard.`,
      },
    },
    latency: { p50Ms: 11_500, p99Ms: 18_000, source: { ...GUIDE, note: 'guide: DALL-E 3 p50 8-15 s (midpoint), p99 8-18 s (upper end)' } },
    ratings: { promptAdherence: 'excellent', photorealism: 'good', textInImage: 'good', source: GUIDE },
    lifecycle: { status: 'shutdown', shutdownDate: '2026-05-12', replacement: 'openai/gpt-image-1', note: SHUTDOWN_NOTE },
    notes: 'Generate only (no edit, no variation), n=1. OpenAI rewrites the prompt and returns it as revised_prompt. style vivid|natural, quality standard|hd.',
  },
  {
    id: 'openai/dall-e-2',
    provider: 'openai',
    vendorModel: 'dall-e-2',
    displayName: 'DALL·E 2',
    tasks: ['generate', 'edit', 'variation'],
    features: { negativePrompt: false, seed: false, mask: true, strength: false, revisedPrompt: false, maskConvention: 'transparent-is-edit' },
    dimensions: { kind: 'sizes', sizes: ['256x256', '512x512', '1024x1024'], default: '1024x1024' },
    maxImagesPerCall: 10,
    maxPromptLength: 1000,
    outputFormats: ['png'],
    defaultOutputFormat: 'png',
    qualities: ['standard', 'auto'],
    price: {
      kind: 'per-image',
      usd: 0.02,
      table: [
        { size: '256x256', usd: 0.016 },
        { size: '512x512', usd: 0.018 },
        { size: '1024x1024', usd: 0.02 },
      ],
      source: DALLE_PRICES_3P,
    },
    latency: {
      p50Ms: 6_000,
      p99Ms: 12_000,
      source: {
        kind: 'estimate',
        ref: 'easel estimate (no guide or vendor figure)',
        date: '2026-11',
        note: 'smaller, older model than DALL-E 3; guide has no row',
      },
    },
    lifecycle: { status: 'shutdown', shutdownDate: '2026-05-12', replacement: 'openai/gpt-image-1', note: SHUTDOWN_NOTE },
    notes:
      "Edits take one square PNG under 4 MB; the mask (or the image's own alpha) marks transparent pixels as the area to change. Variations: dall-e-2 only.",
  },
  {
    id: 'openai/gpt-image-1',
    provider: 'openai',
    vendorModel: 'gpt-image-1',
    displayName: 'GPT Image 1',
    tasks: ['generate', 'edit'],
    features: GPT_IMAGE_FEATURES,
    dimensions: { kind: 'sizes', sizes: GPT_IMAGE_SIZES, default: '1024x1024', auto: true },
    maxImagesPerCall: 10,
    maxPromptLength: 32_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    qualities: GPT_IMAGE_QUALITIES,
    price: perQualityTable(
      { low: 0.011, medium: 0.042, high: 0.167 },
      { low: 0.016, medium: 0.063, high: 0.25 },
      {
        kind: 'third-party',
        ref: 'fal.ai/models/fal-ai/gpt-image-1/edit-image (resells OpenAI at these per-image output prices)',
        date: '2026',
        note: 'UNVERIFIED: no official OpenAI page for gpt-image-1 in the store. Input tokens ($2.50/M image, text per fal $2/M) are extra and not counted here.',
      },
    ),
    latency: estimatedLatency(20_000, 60_000, 'gpt-image models are slower than DALL-E 3, more so at high quality'),
    ratings: GPT_IMAGE_RATINGS,
    lifecycle: { status: 'active' },
    notes:
      'Always returns base64 (response_format is rejected). Edits take up to 16 images (png/webp/jpg < 50 MB) and an optional PNG mask with alpha (transparent = edit).',
  },
  {
    id: 'openai/gpt-image-1-mini',
    provider: 'openai',
    vendorModel: 'gpt-image-1-mini',
    displayName: 'GPT Image 1 mini',
    tasks: ['generate', 'edit'],
    features: GPT_IMAGE_FEATURES,
    dimensions: { kind: 'sizes', sizes: GPT_IMAGE_SIZES, default: '1024x1024', auto: true },
    maxImagesPerCall: 10,
    maxPromptLength: 32_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    qualities: GPT_IMAGE_QUALITIES,
    price: perQualityTable(
      { low: 0.005, medium: 0.011, high: 0.036 },
      { low: 0.006, medium: 0.015, high: 0.052 },
      {
        ...MINI_PAGE,
        note: 'Official per-image output prices; tokens: text in $2/M, image in $2.50/M, image out $8/M.',
      },
    ),
    latency: estimatedLatency(10_000, 30_000, 'the cost-efficient variant; faster than gpt-image-1'),
    lifecycle: { status: 'deprecated', shutdownDate: '2026-12-01', replacement: 'openai/gpt-image-2', note: `${OPENAI_DEPRECATIONS}. ${SUCCESSOR_CONFLICT}` },
    notes: 'Like gpt-image-1; input_fidelity is not available for edits.',
  },
  {
    id: 'openai/gpt-image-1.5',
    provider: 'openai',
    vendorModel: 'gpt-image-1.5',
    displayName: 'GPT Image 1.5',
    tasks: ['generate', 'edit'],
    features: GPT_IMAGE_FEATURES,
    dimensions: { kind: 'sizes', sizes: GPT_IMAGE_SIZES, default: '1024x1024', auto: true },
    maxImagesPerCall: 10,
    maxPromptLength: 32_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    qualities: GPT_IMAGE_QUALITIES,
    price: perQualityTable(
      { low: 0.009, medium: 0.034, high: 0.133 },
      { low: 0.013, medium: 0.05, high: 0.2 },
      {
        kind: 'third-party',
        ref: 'docs.apiyi.com api-capabilities/gpt-image-2/historical-versions (per-image reference table)',
        date: '2026',
        note: 'UNVERIFIED: no official OpenAI page for gpt-image-1.5 in the store; that page gives tokens at $5/M in, $10/M out.',
      },
    ),
    latency: estimatedLatency(15_000, 45_000, 'faster than gpt-image-1 per third-party pages'),
    ratings: GPT_IMAGE_RATINGS,
    lifecycle: { status: 'deprecated', shutdownDate: '2026-12-01', replacement: 'openai/gpt-image-2', note: `${OPENAI_DEPRECATIONS}. ${SUCCESSOR_CONFLICT}` },
    notes: 'The default model of /images/edits in the current OpenAPI spec.',
  },
  {
    id: 'openai/gpt-image-2',
    provider: 'openai',
    vendorModel: 'gpt-image-2',
    displayName: 'GPT Image 2',
    tasks: ['generate', 'edit'],
    features: GPT_IMAGE_FEATURES,
    // Any WxH in multiples of 16 up to 3840x2160, aspect 1:3..3:1 (the sandbox checks the ratio). Minimum edge is ours.
    dimensions: { kind: 'free', min: 256, max: 3840, multipleOf: 16, maxPixels: 3840 * 2160, default: '1024x1024' },
    maxImagesPerCall: 10,
    maxPromptLength: 32_000,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    qualities: GPT_IMAGE_QUALITIES,
    price: {
      kind: 'unknown',
      note: 'Token-priced; no official per-image figure in the store (a third-party page, fal.ai, estimates $0.02 low / $0.07 medium / $0.19 high per image).',
    },
    latency: estimatedLatency(20_000, 60_000, 'sizes above 2560x1440 are experimental and slower'),
    ratings: GPT_IMAGE_RATINGS,
    lifecycle: { status: 'active' },
    notes:
      'Free sizes: both edges multiples of 16, at most 3840x2160 (above 2560x1440 experimental), aspect between 1:3 and 3:1. Also served as gpt-image-2-2026-04-21.',
  },
];
