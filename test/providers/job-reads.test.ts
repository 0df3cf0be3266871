/**
 * Transient failures after a vendor job exists — status polls, status streams, results, output
 * downloads — are retried against the same job inside the adapter: every item is delivered and the
 * sandbox ledger shows exactly one charge per item. With no retry allowance the same faults lose
 * items (the router used to buy those again), and the error names the job as alive.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectImage } from '../../src/core/image-input.js';
import { createEasel } from '../../src/easel.js';
import { EaselError } from '../../src/core/errors.js';
import { falProvider } from '../../src/providers/fal/index.js';
import { openaiProvider } from '../../src/providers/openai/index.js';
import { replicateProvider } from '../../src/providers/replicate/index.js';
import { stabilityProvider } from '../../src/providers/stability/index.js';
import type { ImageProvider, ProviderCall, ProviderRuntime } from '../../src/providers/types.js';
import type { FaultProfile } from '../../src/sandbox/faults.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeCall, sandboxRuntime } from '../helpers/runtime.js';

const ITEMS = 40;
/** Creative upscales draw 4-megapixel images: fewer of them keep the test to seconds on two cores. */
const UPSCALES = 20;

// A fresh sandbox per test: jobs an earlier test left running must not bill into this one's ledger.
let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterEach(() => sandbox.close());

type Vendor = 'replicate' | 'fal' | 'stability' | 'openai';

interface Outcome {
  delivered: number;
  failed: { index: number; error: EaselError }[];
  /** Ledger charges by vendor request id. */
  charges: Map<string, number>;
  injected: number;
}

async function runItems(
  vendor: Vendor,
  provider: ImageProvider,
  items: number,
  call: (i: number) => ProviderCall,
  overrides: Partial<ProviderRuntime> = {},
): Promise<Outcome> {
  const settled = await Promise.allSettled(
    Array.from({ length: items }, (_, i) =>
      provider.run(call(i), sandboxRuntime(sandbox, vendor, { readTimeoutMs: 2_000, onSubmitted: () => undefined, ...overrides })),
    ),
  );
  const charges = new Map<string, number>();
  for (const charge of sandbox.context.ledger.list()) charges.set(charge.requestId, (charges.get(charge.requestId) ?? 0) + 1);
  return {
    delivered: settled.filter((s) => s.status === 'fulfilled' && s.value.images.length > 0).length,
    failed: settled.flatMap((s, index) => (s.status === 'rejected' ? [{ index, error: s.reason as EaselError }] : [])),
    charges,
    injected: [...sandbox.context.faults.injected.values()].reduce((a, b) => a + b, 0),
  };
}

// Hangs answer 504 after 150 ms (vendor time 150 s); the per-read timeout has its own test below.
const readFaults = (vendor: Vendor, kinds: readonly ('poll' | 'stream' | 'result' | 'download')[], seed: number): FaultProfile => ({
  seed,
  hangMs: 150_000,
  rates: { [vendor]: Object.fromEntries(kinds.map((kind) => [kind, { error5xx: 0.1, rateLimit: 0.04, drop: 0.04, hang: 0.02 }])) },
});

const png = async () =>
  inspectImage(
    await sharp({ create: { width: 128, height: 128, channels: 3, background: '#468' } })
      .png()
      .toBuffer(),
    { field: 'image' },
  );

const cases: {
  vendor: Vendor;
  provider: ImageProvider;
  items: number;
  kinds: readonly ('poll' | 'stream' | 'result' | 'download')[];
  call: () => Promise<(i: number) => ProviderCall>;
}[] = [
  {
    vendor: 'replicate',
    provider: replicateProvider,
    items: ITEMS,
    kinds: ['poll', 'download'],
    call: async () => (i) => makeCall('replicate/black-forest-labs/flux-schnell', { prompt: `item ${i}`, seed: i }),
  },
  {
    vendor: 'fal',
    provider: falProvider,
    items: ITEMS,
    kinds: ['poll', 'stream', 'result', 'download'],
    call: async () => (i) => makeCall('fal/flux/schnell', { prompt: `item ${i}`, seed: i, width: 512, height: 512 }),
  },
  {
    vendor: 'stability',
    provider: stabilityProvider,
    items: UPSCALES,
    kinds: ['poll'],
    call: async () => {
      const image = await png();
      return (i) => makeCall('stability/upscale-creative', { task: 'upscale', prompt: `item ${i}`, image, scale: 4 });
    },
  },
];

describe.each(cases)('$vendor: transient read failures never buy a job twice', ({ vendor, provider, items, kinds, call }) => {
  it(`${items} items with ~20% of ${kinds.join(', ')} requests failing: all delivered, one charge each`, async () => {
    sandbox.context.faults.configure(readFaults(vendor, kinds, 7));
    const outcome = await runItems(vendor, provider, items, await call());
    expect(outcome.failed.map((f) => f.error.message)).toEqual([]);
    expect(outcome.delivered).toBe(items);
    expect(outcome.injected).toBeGreaterThan(items / 4);
    expect(outcome.charges.size).toBe(items);
    expect([...outcome.charges.values()].every((n) => n === 1)).toBe(true);
  });

  it('without a retry allowance the same faults lose items, each error naming its job as alive', async () => {
    sandbox.context.faults.configure(readFaults(vendor, kinds, 7));
    const outcome = await runItems(vendor, provider, items, await call(), { readRetries: 0 });
    expect(outcome.failed.length).toBeGreaterThan(0);
    expect(outcome.delivered + outcome.failed.length).toBe(items);
    for (const { error } of outcome.failed) expect(error).toMatchObject({ jobAlive: true, retryable: true, requestId: expect.any(String) });
    // Every lost item's job is there to be resumed by its id: nothing needs buying again.
    sandbox.context.faults.configure({});
    const callFor = await call();
    const resumed = await Promise.all(
      outcome.failed.map(({ index, error }) => provider.resume!(callFor(index), error.requestId!, sandboxRuntime(sandbox, vendor))),
    );
    expect(resumed.every((r) => r.images.length > 0)).toBe(true);
    expect(sandbox.context.ledger.list()).toHaveLength(items);
  });
});

describe('through createEasel (router, runtime and adapters together)', () => {
  it('30 FAL and 30 Replicate items with ~20% of reads failing: every item delivered, one charge each', async () => {
    sandbox.context.faults.configure({
      ...readFaults('fal', ['poll', 'stream', 'result', 'download'], 5),
      rates: { ...readFaults('fal', ['poll', 'stream', 'result', 'download'], 5).rates, ...readFaults('replicate', ['poll', 'download'], 5).rates },
    });
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { stateDir: mkdtempSync(join(tmpdir(), 'easel-reads-')), pollIntervalMs: 5 },
    });
    try {
      const models = ['fal/flux/schnell', 'replicate/black-forest-labs/flux-schnell'] as const;
      const results = await Promise.all(
        models.flatMap((model) => Array.from({ length: 30 }, (_, i) => easel.generate({ prompt: `${model} item ${i}`, model }))),
      );
      expect(results.every((r) => r.images.length === 1)).toBe(true);
      const charges = sandbox.context.ledger.list();
      expect(charges).toHaveLength(60);
      expect(new Set(charges.map((c) => c.requestId)).size).toBe(60);
      expect([...sandbox.context.faults.injected.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(15);
    } finally {
      await easel.close();
    }
  });
});

describe('a read that keeps failing', () => {
  it('gives up at the attempt deadline with jobAlive instead of sleeping past it', async () => {
    sandbox.context.faults.configure({ rates: { fal: { poll: { error5xx: 1 }, stream: { error5xx: 1 } } } });
    // The adapter's clock is fake: its backoff waits (under a second) pass at once, and its deadline
    // and 60 s read bounds never fire on their own, so no real timer races the sandbox.
    const clock = new FakeClock();
    const stop = clock.autoAdvance(1_000);
    const started = clock.now();
    const error = await falProvider
      .run(makeCall('fal/flux/schnell'), sandboxRuntime(sandbox, 'fal', { clock, deadlineAt: started + 300, timeoutMs: 2_000, pollIntervalMs: 20 }))
      .catch((e: EaselError) => e)
      .finally(stop);
    expect(error).toMatchObject({ code: 'provider_unavailable', jobAlive: true, requestId: expect.any(String) });
    // It gave up before its next wait would have passed the deadline, never after.
    expect(clock.now() - started).toBeLessThan(300);
    expect(clock.now() - started).toBeGreaterThan(0);
    // The job was not cancelled: it finishes, is billed once, and resuming it costs nothing more.
    sandbox.context.faults.configure({});
    const result = await falProvider.resume!(makeCall('fal/flux/schnell'), (error as EaselError).requestId!, sandboxRuntime(sandbox, 'fal'));
    expect(result.images).toHaveLength(1);
    expect(sandbox.context.ledger.list()).toHaveLength(1);
  });

  it('a read that hangs is given up after readTimeoutMs and asked again', async () => {
    sandbox.context.faults.configure({ hangMs: 600_000_000, script: [{ vendor: 'replicate', method: 'GET', path: '/v1/predictions/', steps: ['hang'] }] });
    const started = Date.now();
    const result = await replicateProvider.run(
      makeCall('replicate/black-forest-labs/flux-schnell'),
      sandboxRuntime(sandbox, 'replicate', { readTimeoutMs: 200, onSubmitted: () => undefined }),
    );
    expect(result.images).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sandbox.context.requests.filter((r) => r.fault === 'hang')).toHaveLength(1);
    expect(sandbox.context.ledger.list()).toHaveLength(1);
  });

  it('OpenAI url images: a failed download is fetched again, never bought again', async () => {
    sandbox.context.faults.configure({ script: [{ vendor: 'openai', path: '/files/openai/', steps: [503, 'drop', 500] }] });
    // dall-e is asked for base64; an OpenAI-compatible host may answer with URLs anyway.
    const asUrls: typeof fetch = (input, init) =>
      globalThis.fetch(input, typeof init?.body === 'string' ? { ...init, body: init.body.replace('"b64_json"', '"url"') } : init);
    const result = await openaiProvider.run(makeCall('openai/dall-e-2', { width: 256, height: 256 }), sandboxRuntime(sandbox, 'openai', { fetch: asUrls }));
    expect(result.images).toHaveLength(1);
    expect(sandbox.context.requests.filter((r) => r.path.startsWith('/files/openai/')).map((r) => r.status)).toEqual([503, 499, 500, 200]);
    expect(sandbox.context.ledger.list()).toHaveLength(1);
  });
});
