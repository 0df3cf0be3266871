/**
 * The catalog's shape. The catalog is data: the router, the cost estimator, `easel models`, the
 * sandbox's ledger and the docs all read these rows, and nobody hard-codes a price elsewhere.
 */
import type { OutputFormat, ProviderId, Quality, Task } from '../core/task.js';

/** Where a figure comes from, so users can judge and override it. */
export interface Source {
  /** `guide` (the March 2026 field guide), `vendor` (the vendor's own docs/spec), `third-party`, `estimate`, `user` (config). */
  kind: 'guide' | 'vendor' | 'third-party' | 'estimate' | 'user';
  ref: string;
  /** ISO date (YYYY-MM or YYYY-MM-DD) of the figure. */
  date: string;
  note?: string;
}

/** How a model's output size is chosen. */
export type Dimensioning =
  /** A fixed list of `WxH` sizes (OpenAI, SDXL v1). */
  | { kind: 'sizes'; sizes: readonly string[]; default: string; auto?: boolean }
  /** Named aspect ratios with the pixel size each produces (Stability v2beta, FLUX on Replicate). */
  | { kind: 'aspect-ratios'; ratios: Readonly<Record<string, readonly [number, number]>>; default: string }
  /** Any width/height within limits (FAL custom sizes, gpt-image-2, SDXL on Replicate). */
  | {
      kind: 'free';
      min: number;
      max: number;
      multipleOf: number;
      maxPixels: number;
      default: string;
      presets?: Readonly<Record<string, readonly [number, number]>>;
    }
  /** Output size follows the input image (upscalers, edits). */
  | { kind: 'from-input' };

/** Per-image price, optionally varying by quality and size. */
export interface PerImagePrice {
  kind: 'per-image';
  usd: number;
  /** First matching row wins; `usd` is the fallback. */
  table?: readonly { quality?: Quality; size?: string; usd: number }[];
  source: Source;
}
export interface PerMegapixelPrice {
  kind: 'per-megapixel';
  usd: number;
  /** FAL bills "rounding up to the nearest megapixel". */
  roundUp: boolean;
  source: Source;
}
export interface PerSecondPrice {
  kind: 'per-second';
  usd: number;
  /** Typical compute seconds per image, for estimates before the vendor reports `predict_time`. */
  typicalSeconds: number;
  source: Source;
}
export interface CreditsPrice {
  kind: 'credits';
  credits: number;
  usdPerCredit: number;
  source: Source;
}
/** A price nobody knows. Never treated as $0. */
export interface UnknownPrice {
  kind: 'unknown';
  note: string;
}
export type PriceRule = PerImagePrice | PerMegapixelPrice | PerSecondPrice | CreditsPrice | UnknownPrice;

export interface LatencyProfile {
  p50Ms: number;
  p99Ms: number;
  /** Extra delay of a cold start, and how often one happens (Replicate). */
  coldStartMs?: number;
  coldStartRate?: number;
  source: Source;
}

export type Rating = 'excellent' | 'very-good' | 'good' | 'fair' | 'poor';
export interface Ratings {
  promptAdherence?: Rating;
  photorealism?: Rating;
  textInImage?: Rating;
  source: Source;
}

export interface Lifecycle {
  status: 'active' | 'deprecated' | 'shutdown';
  /** ISO date the vendor stops (or stopped) serving the model. */
  shutdownDate?: string;
  replacement?: string;
  note?: string;
}

export interface ModelFeatures {
  negativePrompt: boolean;
  seed: boolean;
  /** Accepts a mask (inpainting). */
  mask: boolean;
  /** Accepts `strength` for image-to-image. */
  strength: boolean;
  /** Vendor rewrites the prompt and reports it (`revised_prompt`). */
  revisedPrompt: boolean;
  /** How the vendor reads a mask; easel redraws the user's mask to match. Default white-is-edit. */
  maskConvention?: 'transparent-is-edit' | 'white-is-edit';
}

export interface CatalogModel {
  /** easel id: `<provider>/<vendor model>`, e.g. `openai/dall-e-3`, `fal/flux/dev`. */
  id: string;
  provider: ProviderId;
  /** The vendor's own identifier (OpenAI model, Stability endpoint/model, Replicate owner/name, FAL app id). */
  vendorModel: string;
  displayName: string;
  tasks: readonly Task[];
  features: ModelFeatures;
  dimensions: Dimensioning;
  /** Upscale factors accepted (upscalers only). */
  scales?: readonly number[];
  maxImagesPerCall: number;
  maxPromptLength?: number;
  outputFormats: readonly OutputFormat[];
  defaultOutputFormat: OutputFormat;
  qualities?: readonly Quality[];
  styles?: readonly string[];
  price: PriceRule;
  latency: LatencyProfile;
  ratings?: Ratings;
  lifecycle: Lifecycle;
  notes?: string;
}

/** Vendor-wide limits, from the guide's uptime table unless overridden. */
export interface ProviderLimits {
  requestsPerMinute?: number;
  concurrent?: number;
  /** Stability: 150 requests per 10 s, then locked out for 60 s. */
  burst?: { requests: number; windowMs: number; lockoutMs: number };
  source: Source;
}
