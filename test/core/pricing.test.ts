import { describe, expect, it } from 'vitest';
import { costFromRule } from '../../src/catalog/pricing.js';

const source = { kind: 'estimate', ref: 'test', date: '2026-11' } as const;

describe('costFromRule', () => {
  it('prices per image from the first matching table row', () => {
    const rule = {
      kind: 'per-image',
      usd: 0.04,
      table: [
        { quality: 'hd', size: '1792x1024', usd: 0.12 },
        { quality: 'hd', usd: 0.08 },
      ],
      source,
    } as const;
    expect(costFromRule(rule, { images: 2 }).usd).toBe(0.08);
    expect(costFromRule(rule, { images: 1, quality: 'hd', width: 1792, height: 1024 }).usd).toBe(0.12);
    expect(costFromRule(rule, { images: 1, quality: 'hd', width: 1024, height: 1024 }).usd).toBe(0.08);
  });

  it('rounds megapixels up when the vendor does', () => {
    const rule = { kind: 'per-megapixel', usd: 0.025, roundUp: true, source } as const;
    expect(costFromRule(rule, { images: 1, width: 1024, height: 1024 }).usd).toBe(0.05);
    expect(costFromRule(rule, { images: 3, width: 1000, height: 1000 }).usd).toBe(0.075);
  });

  it('prefers vendor-reported compute seconds', () => {
    const rule = { kind: 'per-second', usd: 0.001, typicalSeconds: 3, source } as const;
    expect(costFromRule(rule, { images: 2 })).toMatchObject({ usd: 0.006 });
    expect(costFromRule(rule, { images: 2, computeSeconds: 1.5 })).toMatchObject({ usd: 0.0015, basis: expect.stringContaining('reported') });
  });

  it('never reports an unknown price as zero', () => {
    expect(costFromRule({ kind: 'unknown', note: 'n/a' }, { images: 5 }).usd).toBeNull();
  });

  it('turns credits into dollars', () => {
    expect(costFromRule({ kind: 'credits', credits: 6.5, usdPerCredit: 0.01, source }, { images: 1 }).usd).toBe(0.065);
  });
});
