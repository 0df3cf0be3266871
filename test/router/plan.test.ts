import { describe, expect, it } from 'vitest';
import type { CatalogModel } from '../../src/catalog/types.js';
import { UnsupportedCapabilityError } from '../../src/core/errors.js';
import type { LoadedImage } from '../../src/core/image.js';
import { parseRequest } from '../../src/easel.js';
import { planRoute } from '../../src/router/plan.js';
import { RoutingPolicySchema } from '../../src/core/policy.js';
import { promptHints } from '../../src/router/prompt-hints.js';
import { testModel } from '../helpers/models.js';

const source = { kind: 'estimate', ref: 'test', date: '2026-11' } as const;
const textModel = testModel({
  id: 'a/text',
  provider: 'openai',
  price: { kind: 'per-image', usd: 0.04, source },
  latency: { p50Ms: 11000, p99Ms: 18000, source },
  ratings: { textInImage: 'good', promptAdherence: 'excellent', photorealism: 'good', source },
});
const cheap = testModel({
  id: 'b/cheap',
  provider: 'replicate',
  dimensions: { kind: 'sizes', sizes: ['1024x1024'], default: '1024x1024' },
  price: { kind: 'per-image', usd: 0.003, source },
  latency: { p50Ms: 5000, p99Ms: 8000, source },
  ratings: { textInImage: 'poor', photorealism: 'good', source },
});
const fast = testModel({
  id: 'c/fast',
  provider: 'fal',
  price: { kind: 'per-image', usd: 0.025, source },
  latency: { p50Ms: 3000, p99Ms: 6000, source },
  ratings: { photorealism: 'excellent', textInImage: 'fair', source },
});
const inpainter = testModel({
  id: 'd/inpaint',
  provider: 'stability',
  tasks: ['generate', 'edit'],
  features: { negativePrompt: true, seed: true, mask: true, strength: false, revisedPrompt: false },
  price: { kind: 'credits', credits: 3, usdPerCredit: 0.01, source },
  latency: { p50Ms: 8000, p99Ms: 12000, source },
});
const retired = testModel({ id: 'e/retired', price: { kind: 'per-image', usd: 0.001, source }, lifecycle: { status: 'shutdown', shutdownDate: '2026-05-12' } });
const catalog: CatalogModel[] = [textModel, cheap, fast, inpainter, retired];

const image: LoadedImage = { bytes: new Uint8Array(), mediaType: 'image/png', format: 'png', width: 1024, height: 1024, hasAlpha: true };
function plan(fields: Parameters<typeof parseRequest>[0], policy = {}, extra: { mask?: boolean; isOpen?: (p: string) => boolean } = {}) {
  const request = parseRequest(fields);
  return planRoute({
    request,
    task: request.task ?? 'generate',
    model: request.model,
    policy: RoutingPolicySchema.parse(policy),
    inputs: { image: request.task === 'edit' ? image : undefined, mask: extra.mask ? image : undefined },
    catalog,
    isOpen: extra.isOpen,
  });
}

describe('planRoute', () => {
  it('ranks by the objective and explains every rejection', () => {
    const cheapest = plan({ prompt: 'a mountain at sunset' });
    expect(cheapest.chosen).toBe('b/cheap');
    expect(cheapest.ranked.map((c) => c.model.id)).toEqual(['b/cheap', 'c/fast', 'd/inpaint', 'a/text']);
    expect(cheapest.candidates.find((c) => c.model === 'e/retired')?.rejectedBecause).toMatch(/retired/);
    expect(cheapest.candidates.find((c) => c.model === 'd/inpaint')?.rejectedBecause).toBeUndefined();
    expect(plan({ prompt: 'x' }, { objective: 'fastest' }).chosen).toBe('c/fast');
    expect(plan({ prompt: 'x' }, { objective: 'quality:photorealism' }).chosen).toBe('c/fast');
    expect(plan({ prompt: 'x' }, { objective: 'quality:promptAdherence' }).chosen).toBe('a/text');
  });

  it('makes text rendering a requirement when the prompt asks for legible text, and says why', () => {
    const routed = plan({ prompt: 'a storefront with a sign that says "OPEN LATE"' });
    expect(routed.chosen).toBe('a/text');
    expect(routed.requirements).toEqual([{ capability: 'text-rendering', source: 'prompt', evidence: 'quoted text "OPEN LATE"' }]);
    expect(routed.candidates.find((c) => c.model === 'b/cheap')?.rejectedBecause).toMatch(/lacks text-rendering/);
    expect(plan({ prompt: 'a sign that says "OPEN"' }, { promptHints: false }).chosen).toBe('b/cheap');
  });

  it('sends an edit with a mask only to mask-capable models', () => {
    const routed = plan({ task: 'edit', prompt: 'a red sofa', image: 'x.png' }, {}, { mask: true });
    expect(routed.ranked.map((c) => c.model.id)).toEqual(['d/inpaint']);
    expect(routed.candidates.find((c) => c.model === 'a/text')?.rejectedBecause).toMatch(/cannot edit/);
  });

  it('applies price and latency caps, prefer and avoid lists', () => {
    expect(plan({ prompt: 'x' }, { maxPriceUsd: 0.01 }).ranked.map((c) => c.model.id)).toEqual(['b/cheap']);
    expect(plan({ prompt: 'x' }, { maxLatencyMs: 4000 }).ranked.map((c) => c.model.id)).toEqual(['c/fast']);
    expect(plan({ prompt: 'x' }, { prefer: ['fal'] }).chosen).toBe('c/fast');
    expect(plan({ prompt: 'x' }, { avoid: ['replicate'] }).chosen).toBe('c/fast');
  });

  it('rejects candidates whose breaker is open', () => {
    const routed = plan({ prompt: 'x' }, {}, { isOpen: (p) => p === 'replicate' });
    expect(routed.chosen).toBe('c/fast');
    expect(routed.candidates.find((c) => c.model === 'b/cheap')?.rejectedBecause).toMatch(/circuit breaker is open/);
  });

  it('drops candidates that cannot honour the request fields', () => {
    const routed = plan({ prompt: 'x', size: '1792x1024' });
    expect(routed.candidates.find((c) => c.model === 'b/cheap')?.rejectedBecause).toMatch(/cannot make size 1792x1024/);
  });

  it('fails with every reason when no model fits', () => {
    expect(() => plan({ prompt: 'x' }, { maxPriceUsd: 0.0001 })).toThrow(UnsupportedCapabilityError);
  });

  it('follows a routing tree: conditions, fallbacks', () => {
    const targets = {
      when: { field: 'prompt', matches: 'logo' },
      then: { fallback: [{ model: 'a/text' }, { model: 'c/fast' }] },
      else: { model: 'b/cheap' },
    } as const;
    expect(plan({ prompt: 'a logo' }, { targets }).ranked.map((c) => c.model.id)).toEqual(['a/text', 'c/fast']);
    expect(plan({ prompt: 'a cat' }, { targets }).ranked.map((c) => c.model.id)).toEqual(['b/cheap']);
  });
});

describe('promptHints', () => {
  it('spots quoted strings and words about text', () => {
    expect(promptHints('diagram with labels for each service')).toHaveLength(1);
    expect(promptHints("packaging that reads 'Oat Milk'")[0]?.evidence).toContain('Oat Milk');
    expect(promptHints('a cozy coffee shop interior')).toEqual([]);
  });
});
