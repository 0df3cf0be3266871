/**
 * What each OpenAI image model accepts, as the API enforces it (protocols.md 1.3–1.5). Kept apart
 * from the catalog on purpose: the catalog says what easel offers, this says what the wire takes,
 * including aliases and models easel does not list.
 */
import { findByVendorModel } from '../../catalog/index.js';
import type { CatalogModel } from '../../catalog/types.js';

export type Family = 'dall-e-2' | 'dall-e-3' | 'gpt-image';
export type Endpoint = 'generations' | 'edits' | 'variations';

export interface OpenAIModelSpec {
  name: string;
  family: Family;
  endpoints: readonly Endpoint[];
  /** Allowed `size` values; `free` = any WxH within the gpt-image-2 rules. */
  sizes: readonly string[] | 'free';
  qualities: readonly string[];
  maxN: number;
  maxPrompt: number;
  /** `input_fidelity` on edits (gpt-image-1 and 1.5+, not mini). */
  inputFidelity: boolean;
  /** The catalog row that prices it and gives its latency; undefined = unpriced (ledger null). */
  catalog: CatalogModel | undefined;
}

const GPT_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto'];
const GPT_QUALITIES = ['low', 'medium', 'high', 'auto'];

function gptImage(name: string, catalogName: string | undefined, options: { sizes?: 'free'; inputFidelity?: boolean } = {}): OpenAIModelSpec {
  return {
    name,
    family: 'gpt-image',
    endpoints: ['generations', 'edits'],
    sizes: options.sizes ?? GPT_SIZES,
    qualities: GPT_QUALITIES,
    maxN: 10,
    maxPrompt: 32_000,
    inputFidelity: options.inputFidelity ?? true,
    catalog: catalogName ? findByVendorModel('openai', catalogName) : undefined,
  };
}

const SPECS: readonly OpenAIModelSpec[] = [
  {
    name: 'dall-e-2',
    family: 'dall-e-2',
    endpoints: ['generations', 'edits', 'variations'],
    sizes: ['256x256', '512x512', '1024x1024'],
    qualities: ['standard', 'auto'],
    maxN: 10,
    maxPrompt: 1000,
    inputFidelity: false,
    catalog: findByVendorModel('openai', 'dall-e-2'),
  },
  {
    name: 'dall-e-3',
    family: 'dall-e-3',
    endpoints: ['generations'],
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
    qualities: ['standard', 'hd', 'auto'],
    maxN: 1,
    maxPrompt: 4000,
    inputFidelity: false,
    catalog: findByVendorModel('openai', 'dall-e-3'),
  },
  gptImage('gpt-image-1', 'gpt-image-1'),
  gptImage('gpt-image-1-mini', 'gpt-image-1-mini', { inputFidelity: false }),
  gptImage('gpt-image-1.5', 'gpt-image-1.5'),
  gptImage('gpt-image-1.5-2025-12-16', 'gpt-image-1.5'),
  gptImage('gpt-image-2', 'gpt-image-2', { sizes: 'free' }),
  gptImage('gpt-image-2-2026-04-21', 'gpt-image-2', { sizes: 'free' }),
  // In the SDK enum, priced nowhere we could find: served, charged as unknown.
  gptImage('chatgpt-image-latest', undefined),
];

const BY_NAME = new Map(SPECS.map((s) => [s.name, s]));

export function modelSpec(name: string): OpenAIModelSpec | undefined {
  return BY_NAME.get(name);
}

/** gpt-image-2 sizes: both edges multiples of 16, at most 3840 and 3840x2160 pixels, aspect 1:3..3:1. */
export function freeSizeProblem(width: number, height: number): string | undefined {
  if (width % 16 !== 0 || height % 16 !== 0) return 'both dimensions must be multiples of 16';
  if (width < 16 || height < 16) return 'both dimensions must be at least 16';
  if (Math.max(width, height) > 3840) return 'the longest edge must be at most 3840';
  if (width * height > 3840 * 2160) return 'the image must be at most 3840x2160 pixels in total';
  if (Math.max(width, height) / Math.min(width, height) > 3) return 'the aspect ratio must be between 1:3 and 3:1';
  return undefined;
}
