/** Routing over the real catalog: the guide's "choosing the right API" rules, as the router applies them. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hasCapability } from '../../src/router/capabilities.js';
import { CATALOG } from '../../src/catalog/index.js';
import { createEasel } from '../../src/easel.js';

const easel = createEasel({ env: { EASEL_SANDBOX_URL: 'http://127.0.0.1:9' } });
const png = await sharp({ create: { width: 512, height: 512, channels: 4, background: '#888' } })
  .png()
  .toBuffer();

describe('routing over the catalog', () => {
  it('never sends an inpainting request to DALL-E 3, and only to mask-capable models', async () => {
    const plan = await easel.route({ task: 'edit', prompt: 'a red sofa', image: png, mask: png, model: 'auto' });
    expect(plan.ranked.map((c) => c.model.id)).not.toContain('openai/dall-e-3');
    for (const c of plan.ranked) expect(c.model.features.mask).toBe(true);
    expect(plan.candidates.find((c) => c.model === 'openai/dall-e-3')?.rejectedBecause).toBeTruthy();
  });

  it('picks a text-capable model when the prompt asks for legible text, and says so', async () => {
    const plan = await easel.route({ prompt: 'A diagram with labels for each service: API Gateway, Auth Service' });
    const chosen = CATALOG.find((m) => m.id === plan.chosen)!;
    expect(hasCapability(chosen, 'text-rendering')).toBe(true);
    expect(plan.requirements[0]).toMatchObject({ capability: 'text-rendering', source: 'prompt' });
  });

  it('never picks a retired model on auto', async () => {
    const plan = await easel.route({ prompt: 'a sign that says "OPEN"', policy: { objective: 'quality:textInImage' } });
    for (const c of plan.ranked) expect(c.model.lifecycle.status).not.toBe('shutdown');
  });

  it('honours each objective', async () => {
    const cheapest = await easel.route({ prompt: 'a mountain' });
    const fastest = await easel.route({ prompt: 'a mountain', policy: { objective: 'fastest' } });
    const real = await easel.route({ prompt: 'a mountain', policy: { objective: 'quality:photorealism' } });
    const costs = cheapest.ranked.map((c) => c.report.estimatedCostUsd ?? Infinity);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    const latencies = fastest.ranked.map((c) => c.model.latency.p50Ms);
    expect(latencies[0]).toBe(Math.min(...latencies));
    expect(real.ranked[0]!.model.ratings?.photorealism).toBe('excellent');
  });
});
