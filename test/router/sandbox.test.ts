/**
 * The router against the sandbox, over real HTTP: fallback when the first vendor keeps answering
 * 503, Retry-After honoured, no fallback on a content rejection, and an abort that stops every
 * attempt and calls the vendor's cancel endpoint.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbortedError, ContentRejectedError } from '../../src/core/errors.js';
import { createEasel } from '../../src/easel.js';
import { ProviderHealth } from '../../src/router/resilience.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { until } from '../helpers/until.js';

const SDXL = 'replicate/stability-ai/sdxl';
const SCHNELL = 'replicate/black-forest-labs/flux-schnell';
const fallbackPolicy = { targets: { fallback: [{ model: SDXL }, { model: SCHNELL }] } };

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, coldStart: { ms: 0, rate: 0 } });
});
afterAll(() => sandbox.close());
afterEach(() => fetch(`${sandbox.urls.control}/reset`, { method: 'POST' }));

/** The predictions the sandbox's Replicate holds, as its list endpoint shows them. */
async function listPredictions(target: Sandbox): Promise<unknown[]> {
  const answer = await fetch(`${target.urls.replicate}/predictions`, { headers: { authorization: 'Bearer r8_test' } });
  return ((await answer.json()) as { results: unknown[] }).results;
}
const faults = (body: unknown) => fetch(`${sandbox.urls.control}/faults`, { method: 'POST', body: JSON.stringify(body) });
function easelWith(waits: number[] = []) {
  const health = new ProviderHealth({ sleep: async (ms) => void waits.push(ms) });
  return createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 }, health });
}

describe('router against the sandbox', () => {
  it('falls back to the next candidate when the first answers 503 on every try', async () => {
    // SDXL is a community model, created through POST /v1/predictions with its version id.
    await faults({ script: [{ vendor: 'replicate', method: 'POST', path: '/v1/predictions', steps: [503, 503, 503] }] });
    const result = await easelWith().generate({ prompt: 'a lighthouse', size: '1024x1024', policy: fallbackPolicy });
    expect(result.model).toBe(SCHNELL);
    expect(result.route?.tried).toEqual([SDXL, SCHNELL]);
    expect(result.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [SDXL, 'error'],
      [SDXL, 'error'],
      [SDXL, 'error'],
      [SCHNELL, 'success'],
    ]);
  });

  it('waits what the vendor’s Retry-After says on a 429, then succeeds on the same model', async () => {
    await faults({ script: [{ vendor: 'replicate', method: 'POST', steps: [{ status: 429, retryAfterMs: 3000 }, 'ok'] }] });
    const waits: number[] = [];
    const result = await easelWith(waits).generate({ prompt: 'a lighthouse', model: SCHNELL });
    expect(result.model).toBe(SCHNELL);
    // 3000 ms scaled by the sandbox's time scale (0.001), sent as retry-after in seconds.
    expect(waits).toEqual([3]);
  });

  it('does not fall back when the vendor refuses the content', async () => {
    const error = await easelWith()
      .generate({ prompt: 'something forbidden [sandbox:moderation]', size: '1024x1024', policy: fallbackPolicy })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ContentRejectedError);
    const creates = sandbox.context.requests.filter((r) => r.method === 'POST' && !r.path.endsWith('/cancel'));
    expect(creates).toHaveLength(1);
  });

  it('opens the breaker after repeated 503s (no more calls reach the vendor), half-opens after the pause (fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await faults({ script: [{ vendor: 'replicate', method: 'POST', steps: [503, 503, 503] }] });
      const health = new ProviderHealth({ breakerThreshold: 3, halfOpenAfterMs: 30_000, sleep: async () => undefined });
      const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 }, health });
      const request = { prompt: 'a lighthouse', model: SCHNELL, policy: { retries: 5 } };
      await expect(easel.generate(request)).rejects.toThrow(/circuit breaker is open/);
      const reached = () => sandbox.context.requests.filter((r) => r.method === 'POST').length;
      expect(reached()).toBe(3);
      await expect(easel.generate(request)).rejects.toThrow(/circuit breaker is open/);
      expect(reached()).toBe(3);
      vi.setSystemTime(Date.now() + 30_001);
      const result = await easel.generate(request);
      expect(result.model).toBe(SCHNELL);
      expect(health.state('replicate')).toBe('closed');
      await easel.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('an abort mid-poll stops every attempt and cancels the vendor job', async () => {
    const slow = await startSandbox({ timeScale: 1, coldStart: { ms: 0, rate: 0 } });
    try {
      const easel = createEasel({ env: { EASEL_SANDBOX_URL: slow.url }, config: { pollIntervalMs: 20 } });
      const controller = new AbortController();
      const pending = easel.generate({ prompt: 'never finishes in time', model: SCHNELL, signal: controller.signal });
      // Aborted once the prediction exists at the vendor (seconds from done at this time scale).
      await until(async () => (await listPredictions(slow)).length > 0);
      controller.abort();
      // The rejection waits for every attempt to wind down, its cancel included.
      await expect(pending).rejects.toBeInstanceOf(AbortedError);
      const paths = slow.context.requests.map((r) => `${r.method} ${r.path}`);
      expect(paths.some((p) => /^POST .*\/predictions\/[^/]+\/cancel$/.test(p))).toBe(true);
      expect(slow.context.ledger.list()).toHaveLength(0);
      await easel.close();
    } finally {
      await slow.close();
    }
  });
});
