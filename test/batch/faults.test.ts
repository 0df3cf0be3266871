/**
 * Under vendor faults (20% 5xx, 5% 429 with Retry-After, 2% hangs) a 500-item batch still ends with
 * 500 images, and the vendor charged each item exactly once.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

const MODEL = 'replicate/black-forest-labs/flux-schnell';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, faults: { rates: { replicate: { error5xx: 0.2, rateLimit: 0.05, hang: 0.02 } } } });
});
afterAll(() => sandbox.close());

describe('batch under faults', () => {
  it('finishes 500 items with 500 images and no duplicate charges', { timeout: 120_000 }, async () => {
    const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
    const out = tmp('easel-faults-out-');
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { stateDir: tmp('easel-faults-state-'), pollIntervalMs: 2, resilience: { halfOpenAfterMs: 200, initialBackoffMs: 20, maxBackoffMs: 2_000 } },
    });
    const run = easel.batch(
      Array.from({ length: 500 }, (_, i) => ({ prompt: `fault tolerant item ${i}`, model: MODEL })),
      { outDir: out, concurrency: 64, limits: { replicate: { concurrent: 1000 } } },
    );
    const final = await run.done;
    const failures = easel.jobStore().items(run.job.id, ['failed']).map((i) => i.error?.message);
    await easel.close();
    expect(failures.slice(0, 3)).toEqual([]);
    expect(final).toMatchObject({ succeeded: 500, failed: 0, total: 500 });
    expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(500);
    const ledger = (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { requestId: string }[] };
    expect(ledger.charges).toHaveLength(500);
    expect(new Set(ledger.charges.map((c) => c.requestId)).size).toBe(500);
    const injected = (await (await fetch(`${sandbox.urls.control}/faults`)).json()) as { injected: Record<string, number> };
    // The faults really happened: roughly a quarter of the submits failed at first.
    const total = Object.values(injected.injected).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(80);
    expect(injected.injected.hang).toBeGreaterThan(0);
  });
});
