import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/sandbox/faults.js';
import { RateLimiter } from '../../src/sandbox/rate-limit.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { sampleLatencyMs } from '../../src/sandbox/latency.js';
import { seededRandom } from '../../src/sandbox/random.js';

describe('FaultInjector', () => {
  it('plays a script step by step, only for matching requests', () => {
    const faults = new FaultInjector({
      script: [{ vendor: 'openai', path: 'images/generations', steps: [429, { status: 503, retryAfterMs: 5 }, 'ok', 'hang'] }],
    });
    const next = () => faults.decide('openai', 'POST', '/openai/v1/images/generations', undefined, 'submit');
    expect(faults.decide('fal', 'POST', '/fal/queue/x', undefined, 'submit')).toBeUndefined();
    expect(next()).toEqual({ kind: 'status', status: 429 });
    expect(next()).toEqual({ kind: 'status', status: 503, retryAfterMs: 5 });
    expect(next()).toBeUndefined();
    expect(next()).toEqual({ kind: 'hang' });
    expect(next()).toBeUndefined();
  });

  it('honours the x-sandbox-fault header, and rates only on submit routes', () => {
    const faults = new FaultInjector({ rates: { fal: { error5xx: 1 } } }, seededRandom(1));
    expect(faults.decide('openai', 'GET', '/x', 'moderation', 'poll')).toEqual({ kind: 'moderation' });
    expect(faults.decide('fal', 'GET', '/fal/status', undefined, 'poll')).toBeUndefined();
    expect(faults.decide('fal', 'POST', '/fal/queue', undefined, 'submit')).toMatchObject({ kind: 'status' });
  });

  it('draws rates in proportion', () => {
    const faults = new FaultInjector({ rates: { replicate: { error5xx: 0.2, rateLimit: 0.05 } } }, seededRandom(42));
    let errors = 0;
    for (let i = 0; i < 4000; i++) if (faults.decide('replicate', 'POST', '/p', undefined, 'submit')) errors++;
    expect(errors / 4000).toBeGreaterThan(0.22);
    expect(errors / 4000).toBeLessThan(0.28);
  });
});

describe('RateLimiter', () => {
  it('enforces requests per minute in a sliding window, scaled by the time scale', () => {
    let now = 0;
    const limiter = new RateLimiter(
      { openai: { requestsPerMinute: 3 } },
      () => 0.001,
      () => now,
    );
    expect([1, 2, 3].map(() => limiter.checkRequest('openai').ok)).toEqual([true, true, true]);
    const refused = limiter.checkRequest('openai');
    expect(refused).toMatchObject({ ok: false, reason: 'rpm' });
    now = 61; // 60 s × 0.001 later
    expect(limiter.checkRequest('openai').ok).toBe(true);
  });

  it('locks Stability out after a burst', () => {
    let now = 0;
    const limiter = new RateLimiter(
      { stability: { burst: { requests: 2, windowMs: 10_000, lockoutMs: 60_000 } } },
      () => 1,
      () => now,
    );
    limiter.checkRequest('stability');
    limiter.checkRequest('stability');
    expect(limiter.checkRequest('stability')).toMatchObject({ ok: false, reason: 'burst', retryAfterMs: 60_000 });
    now = 30_000;
    expect(limiter.checkRequest('stability')).toMatchObject({ ok: false, reason: 'lockout', retryAfterMs: 30_000 });
    now = 60_001;
    expect(limiter.checkRequest('stability').ok).toBe(true);
  });

  it('hands out concurrency slots and takes them back once', () => {
    const limiter = new RateLimiter({ fal: { concurrent: 1 } }, () => 1);
    const slot = limiter.acquire('fal');
    expect('release' in slot).toBe(true);
    expect(limiter.acquire('fal')).toMatchObject({ ok: false, reason: 'concurrent' });
    if ('release' in slot) {
      slot.release();
      slot.release();
    }
    expect(limiter.inFlightCount('fal')).toBe(0);
  });
});

describe('latency', () => {
  it('fits p50 and p99', () => {
    const random = seededRandom(7);
    const samples = Array.from({ length: 20000 }, () => sampleLatencyMs({ p50Ms: 1000, p99Ms: 3000 }, random)).sort((a, b) => a - b);
    expect(samples[10000]!).toBeGreaterThan(950);
    expect(samples[10000]!).toBeLessThan(1050);
    expect(samples[19800]!).toBeGreaterThan(2700);
    expect(samples[19800]!).toBeLessThan(3300);
  });
});

describe('control API', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  it('reports health, takes fault profiles, rejects bad ones clearly, and resets', async () => {
    sandbox = await startSandbox({ timeScale: 0 });
    const control = sandbox.urls.control;
    expect(await (await fetch(`${control}/health`)).json()).toMatchObject({ ok: true });
    const bad = await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ rates: { openai: { error5xx: 3 } } }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('rates.openai.error5xx');
    const ok = await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ script: [{ vendor: 'openai', steps: [503] }] }) });
    expect(ok.status).toBe(200);
    expect(await (await fetch(`${control}/ledger`)).json()).toEqual({ charges: [], totalUsd: 0, unpriced: 0 });
    expect((await fetch(`${control}/reset`, { method: 'POST' })).status).toBe(200);
    const missing = await fetch(`${sandbox.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('/openai/v1');
  });
});

describe('two sandboxes in one process', () => {
  const started: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  /** A Stability core image (1024x1024 PNG) and the seed the sandbox answered with. */
  async function core(sandbox: Sandbox, seed?: number): Promise<{ seed: string | null; bytes: Buffer }> {
    const body = new FormData();
    body.append('prompt', 'two sandboxes side by side');
    if (seed !== undefined) body.append('seed', String(seed));
    const response = await fetch(`${sandbox.urls.stability}/v2beta/stable-image/generate/core`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', accept: 'image/*' },
      body,
    });
    expect(response.status).toBe(200);
    return { seed: response.headers.get('seed'), bytes: Buffer.from(await response.arrayBuffer()) };
  }

  it('each keeps its own grain and fixed seed (the later one overwrote the earlier one when they were module settings)', async () => {
    const plain = await startSandbox({ timeScale: 0 });
    started.push(plain);
    const grainy = await startSandbox({ timeScale: 0, grain: 40, fixedSeed: 5 });
    started.push(grainy);
    expect((await core(grainy)).seed).toBe('5');
    expect((await core(plain)).seed).not.toBe('5');
    // The same drawing (same model, prompt and seed) with and without noise: different bytes.
    const flat = await core(plain, 42);
    const noisy = await core(grainy, 42);
    expect(noisy.seed).toBe('42');
    expect(flat.bytes.equals(noisy.bytes)).toBe(false);
    // Noise does not compress: the grainy PNG is the larger by far.
    expect(noisy.bytes.length).toBeGreaterThan(2 * flat.bytes.length);
  });
});
