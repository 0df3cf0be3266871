import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../src/easel.js';
import { type Sandbox, startSandbox } from '../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterAll(() => sandbox.close());

const ledger = async () => (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { model: string }[]; totalUsd: number };

describe('createEasel', () => {
  it('starts the in-process sandbox when a vendor has no key, and says so once', async () => {
    const notices: string[] = [];
    const easel = createEasel({ env: {}, onNotice: (line) => notices.push(line), config: { pollIntervalMs: 5 } });
    try {
      const first = await easel.generate({ prompt: 'a cozy coffee shop interior', model: 'replicate/black-forest-labs/flux-schnell' });
      await easel.generate({ prompt: 'again', model: 'replicate/black-forest-labs/flux-schnell' });
      expect(first.sandbox).toBe(true);
      expect(first.images[0]).toMatchObject({ width: 1024, height: 1024, format: 'png' });
      expect(first.warnings.some((w) => w.kind === 'sandbox')).toBe(true);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/no REPLICATE_API_TOKEN set, so replicate calls go to the built-in sandbox at http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await easel.close();
    }
  });

  it('reports model, cost, request ids, attempts and the routing decision', async () => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 } });
    const result = await easel.generate({
      prompt: 'mountain landscape at sunset',
      model: 'replicate/black-forest-labs/flux-schnell',
      n: 2,
      aspectRatio: '16:9',
    });
    expect(result.images).toHaveLength(2);
    expect(result.images[0]).toMatchObject({ width: 1344, height: 768 });
    expect(result.cost.usd).toBeCloseTo(0.006, 6);
    expect(result.requestIds).toHaveLength(1);
    expect(result.attempts).toEqual([expect.objectContaining({ model: 'replicate/black-forest-labs/flux-schnell', outcome: 'success' })]);
    expect(result.route).toMatchObject({ chosen: 'replicate/black-forest-labs/flux-schnell', tried: ['replicate/black-forest-labs/flux-schnell'] });
    await easel.close();
  });

  it('serves a repeated seeded request from the cache at $0, without calling the vendor', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'easel-state-'));
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir, pollIntervalMs: 5 } });
    const request = { prompt: 'a red bicycle', model: 'replicate/black-forest-labs/flux-schnell', seed: 7 } as const;
    const before = (await ledger()).charges.length;
    const first = await easel.generate(request);
    const second = await easel.generate(request);
    expect((await ledger()).charges.length).toBe(before + 1);
    expect(second.cached).toBe(true);
    expect(second.cost.usd).toBe(0);
    expect(second.images[0]!.sha256).toBe(first.images[0]!.sha256);
    const unseeded = await easel.generate({ prompt: 'a red bicycle', model: 'replicate/black-forest-labs/flux-schnell' });
    expect(unseeded.cached).toBeUndefined();
    await easel.close();
  });

  it('refuses bad input before any vendor call, naming the field', async () => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url } });
    await expect(easel.generate({ prompt: 'x', n: 0 })).rejects.toThrow(/n:/);
    await expect(easel.generate({ prompt: 'x', model: 'nobody/nothing' })).rejects.toThrow(/unknown model "nobody\/nothing"/);
    await expect(easel.generate({ prompt: 'x', model: 'replicate/black-forest-labs/flux-schnell', size: '1000x1000' })).rejects.toThrow(
      /cannot make size 1000x1000/,
    );
    await easel.close();
  });
});
