/**
 * Cost from a catalog price rule, for the actual request (size, quality, count) and, once known,
 * what the vendor reported (compute seconds). An unknown price is `null`, never $0.
 */
import type { Quality } from '../core/task.js';
import type { CatalogModel, PriceRule } from './types.js';

export interface CostInput {
  images: number;
  width?: number;
  height?: number;
  quality?: Quality;
  /** Vendor-reported compute seconds for the whole call (Replicate `metrics.predict_time`). */
  computeSeconds?: number;
}

export interface CostEstimate {
  /** USD, or null when the price is unknown. */
  usd: number | null;
  /** One line saying how the figure was reached. */
  basis: string;
}

export function costOf(model: Pick<CatalogModel, 'price' | 'id'>, input: CostInput): CostEstimate {
  return costFromRule(model.price, input);
}

export function costFromRule(rule: PriceRule, input: CostInput): CostEstimate {
  const n = input.images;
  switch (rule.kind) {
    case 'per-image': {
      const size = input.width && input.height ? `${input.width}x${input.height}` : undefined;
      const row = rule.table?.find((r) => (r.quality === undefined || r.quality === input.quality) && (r.size === undefined || r.size === size));
      const each = row?.usd ?? rule.usd;
      return { usd: round6(each * n), basis: `${n} × $${each} per image${row ? ` (${[row.quality, row.size].filter(Boolean).join(', ')})` : ''}` };
    }
    case 'per-megapixel': {
      const mp = input.width && input.height ? (input.width * input.height) / 1_000_000 : 1;
      const billed = rule.roundUp ? Math.max(1, Math.ceil(mp - 1e-9)) : mp;
      return { usd: round6(rule.usd * billed * n), basis: `${n} × ${round6(billed)} MP × $${rule.usd}/MP` };
    }
    case 'per-second': {
      const reported = input.computeSeconds !== undefined;
      const seconds = reported ? input.computeSeconds! : rule.typicalSeconds * n;
      return { usd: round6(rule.usd * seconds), basis: `${round6(seconds)} s ${reported ? 'reported' : 'typical'} × $${rule.usd}/s` };
    }
    case 'credits':
      return { usd: round6(rule.credits * rule.usdPerCredit * n), basis: `${n} × ${rule.credits} credits × $${rule.usdPerCredit}` };
    case 'unknown':
      return { usd: null, basis: `price unknown: ${rule.note}` };
  }
}

export function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
