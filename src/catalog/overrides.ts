/**
 * A user's own figures for their account: negotiated prices, measured latencies, their own quality
 * ratings. Applied over the catalog rows at startup; the catalog data itself stays as published.
 */
import { z } from 'zod';
import type { CatalogModel } from './types.js';

const RatingSchema = z.enum(['excellent', 'very-good', 'good', 'fair', 'poor']);
const USER = { kind: 'user', ref: 'easel config', date: new Date().toISOString().slice(0, 10) } as const;

const PriceSchema = z.union([
  z.object({ kind: z.literal('per-image'), usd: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('per-megapixel'), usd: z.number().min(0), roundUp: z.boolean().default(false) }).strict(),
  z.object({ kind: z.literal('per-second'), usd: z.number().min(0), typicalSeconds: z.number().positive() }).strict(),
  z.object({ kind: z.literal('credits'), credits: z.number().min(0), usdPerCredit: z.number().min(0) }).strict(),
]);

export const CatalogOverridesSchema = z.record(
  z.string().min(1),
  z
    .object({
      price: PriceSchema.optional(),
      latency: z.object({ p50Ms: z.number().positive(), p99Ms: z.number().positive() }).strict().optional(),
      ratings: z.object({ promptAdherence: RatingSchema, photorealism: RatingSchema, textInImage: RatingSchema }).partial().strict().optional(),
    })
    .strict(),
);
export type CatalogOverrides = z.input<typeof CatalogOverridesSchema>;

export function applyOverrides(catalog: readonly CatalogModel[], input: CatalogOverrides | undefined): CatalogModel[] {
  if (!input) return [...catalog];
  const overrides = CatalogOverridesSchema.parse(input);
  const unknown = Object.keys(overrides).filter((id) => !catalog.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`catalog overrides: easel does not know: ${unknown.join(', ')} (\`easel models\` lists them)`);
  return catalog.map((model) => {
    const o = overrides[model.id];
    if (!o) return model;
    return {
      ...model,
      ...(o.price ? { price: { ...o.price, source: USER } } : {}),
      ...(o.latency ? { latency: { ...model.latency, ...o.latency, source: USER } } : {}),
      ...(o.ratings ? { ratings: { ...model.ratings, ...o.ratings, source: USER } } : {}),
    } as CatalogModel;
  });
}
