/** The catalog: every model easel knows, looked up by id. */
import { falModels } from './models/fal.js';
import { localModels } from './models/local.js';
import { openaiModels } from './models/openai.js';
import { replicateModels } from './models/replicate.js';
import { stabilityModels } from './models/stability.js';
import { syntheticModel } from './synthetic.js';
import type { CatalogModel } from './types.js';

export const CATALOG: readonly CatalogModel[] = [...openaiModels, ...stabilityModels, ...replicateModels, ...falModels, ...localModels];

const byId = new Map(CATALOG.map((m) => [m.id, m]));

export function findModel(id: string): CatalogModel | undefined {
  return byId.get(id);
}

/** A catalog row, or a permissive synthetic one for Replicate/FAL models outside the catalog. */
export function lookupModel(id: string): CatalogModel | undefined {
  return byId.get(id) ?? syntheticModel(id);
}

/** Finds the catalog row for a vendor's own model id (`dall-e-3`, `fal-ai/flux/dev`). */
export function findByVendorModel(provider: string, vendorModel: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.provider === provider && m.vendorModel === vendorModel);
}

export type { CatalogModel } from './types.js';
