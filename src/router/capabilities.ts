/**
 * Capabilities the router can require, derived from catalog rows (never stored twice).
 * `text-rendering` means the guide (or the vendor) rates the model at least "good" for text in images.
 */
import type { CatalogModel, Rating } from '../catalog/types.js';
import { CAPABILITIES, type Capability } from '../core/policy.js';

export { CAPABILITIES, type Capability };

export const RATING_SCORE: Record<Rating, number> = { excellent: 5, 'very-good': 4, good: 3, fair: 2, poor: 1 };

export function hasCapability(model: CatalogModel, capability: Capability): boolean {
  switch (capability) {
    case 'text-rendering':
      return RATING_SCORE[model.ratings?.textInImage ?? 'poor'] >= RATING_SCORE.good;
    case 'inpainting':
      return model.tasks.includes('edit') && model.features.mask;
    case 'image-to-image':
      return model.tasks.includes('image-to-image');
    case 'negative-prompt':
      return model.features.negativePrompt;
    case 'seed':
      return model.features.seed;
    case 'upscaling':
      return model.tasks.includes('upscale');
    case 'variation':
      return model.tasks.includes('variation');
  }
}

export function capabilitiesOf(model: CatalogModel): Capability[] {
  return CAPABILITIES.filter((c) => hasCapability(model, c));
}
