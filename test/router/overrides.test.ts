import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/catalog/index.js';
import { applyOverrides } from '../../src/catalog/overrides.js';
import { createEasel } from '../../src/easel.js';

describe('catalog overrides from config', () => {
  it('lays the account’s own price over a row and records it as the user’s figure', () => {
    const catalog = applyOverrides(CATALOG, { 'replicate/black-forest-labs/flux-schnell': { price: { kind: 'per-image', usd: 0.001 } } });
    const row = catalog.find((m) => m.id === 'replicate/black-forest-labs/flux-schnell')!;
    expect(row.price).toMatchObject({ kind: 'per-image', usd: 0.001, source: { kind: 'user' } });
    expect(() => applyOverrides(CATALOG, { 'nobody/model': { latency: { p50Ms: 1, p99Ms: 2 } } })).toThrow(/does not know: nobody\/model/);
  });

  it('changes what the router picks', async () => {
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: 'http://127.0.0.1:9' },
      config: { catalog: { 'replicate/black-forest-labs/flux-dev': { price: { kind: 'per-image', usd: 0.0001 } } } },
    });
    const plan = await easel.route({ prompt: 'a forest', policy: { prefer: [] } });
    expect(plan.chosen).toBe('replicate/black-forest-labs/flux-dev');
    await easel.close();
  });
});
