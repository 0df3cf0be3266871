/** fal models. Figures carry their source and date; see catalog/types.ts. */
import type { CatalogModel } from '../types.js';

export const falModels: readonly CatalogModel[] = [];
