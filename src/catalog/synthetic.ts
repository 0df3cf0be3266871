/**
 * Replicate runs any model and FAL any app: ids outside the catalog (`replicate/owner/name[:version]`,
 * `fal/owner/app[/sub]`) get a permissive row with an unknown price, so they run but are never
 * reported as free and never picked by `auto`.
 */
import { TASKS } from '../core/task.js';
import type { CatalogModel } from './types.js';

const REPLICATE_REF = /^replicate\/([\w.-]+\/[\w.-]+(?::[0-9a-f]{64})?)$/;
const FAL_REF = /^fal\/([\w.-]+\/[\w.-]+(?:\/[\w.-]+)*)$/;

export function syntheticModel(id: string): CatalogModel | undefined {
  const replicate = REPLICATE_REF.exec(id);
  if (replicate) return permissive(id, 'replicate', replicate[1]!, 5_000, 8_000);
  const fal = FAL_REF.exec(id);
  if (fal) return permissive(id, 'fal', fal[1]!, 4_000, 6_000);
  return undefined;
}

function permissive(id: string, provider: 'replicate' | 'fal', vendorModel: string, p50Ms: number, p99Ms: number): CatalogModel {
  return {
    id,
    provider,
    vendorModel,
    displayName: `${vendorModel} (not in the catalog)`,
    tasks: TASKS,
    features: { negativePrompt: true, seed: true, mask: true, strength: true, revisedPrompt: false },
    dimensions: { kind: 'free', min: 64, max: 4096, multipleOf: 8, maxPixels: 4096 * 4096, default: '1024x1024' },
    maxImagesPerCall: 1,
    outputFormats: ['png', 'jpeg', 'webp'],
    defaultOutputFormat: 'png',
    price: { kind: 'unknown', note: `${vendorModel} is not in easel's catalog; set a price in config to budget it` },
    latency: { p50Ms, p99Ms, source: { kind: 'estimate', ref: 'vendor default from the guide', date: '2026-03' } },
    lifecycle: { status: 'active' },
    notes: 'Synthetic row: fields are passed through; the vendor validates them.',
  };
}
