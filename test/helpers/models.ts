/** Hand-made catalog rows for core tests, so they do not depend on vendor figures. */
import type { CatalogModel } from '../../src/catalog/types.js';

const source = { kind: 'estimate', ref: 'test', date: '2026-11' } as const;

export function testModel(overrides: Partial<CatalogModel> = {}): CatalogModel {
  return {
    id: 'test/sized',
    provider: 'openai',
    vendorModel: 'sized',
    displayName: 'Sized test model',
    tasks: ['generate'],
    features: { negativePrompt: false, seed: false, mask: false, strength: false, revisedPrompt: false },
    dimensions: { kind: 'sizes', sizes: ['1024x1024', '1792x1024', '1024x1792'], default: '1024x1024' },
    maxImagesPerCall: 1,
    outputFormats: ['png'],
    defaultOutputFormat: 'png',
    qualities: ['standard', 'hd'],
    price: {
      kind: 'per-image',
      usd: 0.04,
      table: [
        { quality: 'hd', size: '1792x1024', usd: 0.12 },
        { quality: 'hd', usd: 0.08 },
      ],
      source,
    },
    latency: { p50Ms: 10, p99Ms: 20, source },
    lifecycle: { status: 'active' },
    ...overrides,
  };
}

export const ratioModel = testModel({
  id: 'test/ratios',
  provider: 'stability',
  tasks: ['generate', 'image-to-image'],
  features: { negativePrompt: true, seed: true, mask: false, strength: true, revisedPrompt: false },
  dimensions: { kind: 'aspect-ratios', ratios: { '1:1': [1024, 1024], '16:9': [1344, 768], '9:16': [768, 1344] }, default: '1:1' },
  outputFormats: ['png', 'jpeg', 'webp'],
  qualities: undefined,
  price: { kind: 'credits', credits: 6.5, usdPerCredit: 0.01, source },
});

export const freeModel = testModel({
  id: 'test/free',
  provider: 'fal',
  features: { negativePrompt: false, seed: true, mask: false, strength: false, revisedPrompt: false },
  dimensions: { kind: 'free', min: 256, max: 2048, multipleOf: 16, maxPixels: 2048 * 2048, default: '1024x768' },
  maxImagesPerCall: 4,
  outputFormats: ['jpeg', 'png'],
  defaultOutputFormat: 'jpeg',
  qualities: undefined,
  price: { kind: 'per-megapixel', usd: 0.025, roundUp: true, source },
});
