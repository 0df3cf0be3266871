/**
 * Under vendor faults on every kind of request — 20% 5xx, 5% 429 (with Retry-After) and 2% hangs on
 * submits, 10% transient failures on status polls, status streams, results and output downloads — a
 * 500-item batch on each of the four vendors still ends with 500 images, and the sandbox's ledger shows
 * exactly one charge per item: a job that exists is read again, never bought again.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

const ITEMS = 500;
const READS = { error5xx: 0.05, rateLimit: 0.02, drop: 0.03 };
const SUBMITS = { error5xx: 0.2, rateLimit: 0.05, hang: 0.02 };
const VENDORS = [
  { vendor: 'replicate', model: 'replicate/black-forest-labs/flux-schnell', size: undefined },
  { vendor: 'fal', model: 'fal/flux/schnell', size: '512x512' },
  { vendor: 'openai', model: 'openai/dall-e-2', size: '256x256' },
  { vendor: 'stability', model: 'stability/core', size: undefined },
] as const;
let sandbox: Sandbox;

beforeAll(async () => {
  const rates = Object.fromEntries(VENDORS.map(({ vendor }) => [vendor, { ...SUBMITS, poll: READS, stream: READS, result: READS, download: READS }]));
  sandbox = await startSandbox({ timeScale: 0.001, faults: { rates, seed: 7 } });
});
afterAll(() => sandbox.close());

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

describe('batch under faults on every kind of request', () => {
  for (const { vendor, model, size } of VENDORS) {
    it(`${vendor}: ${ITEMS} items, every one delivered, one charge each`, { timeout: 180_000 }, async () => {
      const before = (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: unknown[] };
      const out = tmp('easel-faults-out-');
      const easel = createEasel({
        env: { EASEL_SANDBOX_URL: sandbox.url },
        config: { stateDir: tmp('easel-faults-state-'), pollIntervalMs: 2, resilience: { halfOpenAfterMs: 200, initialBackoffMs: 20, maxBackoffMs: 2_000 } },
      });
      const run = await easel.batch(
        Array.from({ length: ITEMS }, (_, i) => ({ prompt: `fault tolerant ${vendor} item ${i}`, model, size })),
        { outDir: out, concurrency: 64, limits: { [vendor]: { concurrent: 1000 } } },
      );
      const final = await run.done;
      const failures = (await easel.jobStore().items(run.job.id, ['failed'])).map((i) => i.error?.message);
      await easel.close();
      expect(failures.slice(0, 3)).toEqual([]);
      expect(final).toMatchObject({ succeeded: ITEMS, failed: 0, total: ITEMS, possibleDuplicates: 0 });
      expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(ITEMS);
      const ledger = (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { requestId: string; vendor: string }[] };
      const charges = ledger.charges.slice(before.charges.length).filter((c) => c.vendor === vendor);
      expect(charges).toHaveLength(ITEMS);
      expect(new Set(charges.map((c) => c.requestId)).size).toBe(ITEMS);
    });
  }

  it('the faults really happened, on submits and on reads', async () => {
    const injected = (await (await fetch(`${sandbox.urls.control}/faults`)).json()) as { injected: Record<string, number> };
    const total = Object.values(injected.injected).reduce((a, b) => a + b, 0);
    // Roughly a quarter of ~2,000 submits, plus a tenth of the reads.
    expect(total).toBeGreaterThan(400);
    expect(injected.injected.hang).toBeGreaterThan(0);
    expect(injected.injected.drop).toBeGreaterThan(0);
  });
});
