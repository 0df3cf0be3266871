/**
 * A per-attempt timeout on an async vendor job: the retry resumes the same job instead of cancelling
 * it and paying for another (which double-charges whenever the first finished just before the
 * cancel). Only when the resumes run out is the job cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/core/errors.js';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  // flux/schnell on FAL takes ~2 s of vendor time: ~200 ms here. Replicate's cold starts are off.
  sandbox = await startSandbox({ timeScale: 0.1, coldStart: { ms: 0, rate: 0 } });
});
afterAll(() => sandbox.close());

const submits = (from: number, pattern: RegExp) => sandbox.context.requests.slice(from).filter((r) => r.method === 'POST' && pattern.test(r.path)).length;
const cancels = (from: number) => sandbox.context.requests.slice(from).filter((r) => /\/cancel$/.test(r.path)).length;

describe('timeouts on async vendor jobs', () => {
  it.each([
    ['fal/flux/schnell', /^\/fal\/queue\/fal-ai\/flux\/schnell$/],
    ['replicate/black-forest-labs/flux-schnell', /^\/replicate\/v1\/(models\/[^/]+\/[^/]+\/)?predictions$/],
  ])('%s: an attempt that times out is resumed by the next one — one job, one charge, no cancel', async (model, submitPath) => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 10 }, latencyScale: 0.1 });
    const from = sandbox.context.requests.length;
    const charged = sandbox.context.ledger.list().length;
    // The job needs ~100-400 ms; each attempt gets 90 ms, so it takes two or three attempts on one job.
    const result = await easel.generate({ prompt: `timeout resume ${model}`, model, timeoutMs: 90, policy: { retries: 4 } });
    expect(result.attempts.filter((a) => a.outcome === 'error').every((a) => a.error?.code === 'timeout')).toBe(true);
    expect(result.attempts.length).toBeGreaterThan(1);
    expect(submits(from, submitPath)).toBe(1);
    expect(cancels(from)).toBe(0);
    expect(sandbox.context.ledger.list().length - charged).toBe(1);
    await easel.close();
  });

  it('cancels the job once the resumes are used up, so nothing is paid for', async () => {
    // Real time: the job needs ~2 s, far longer than three 20 ms attempts and the backoff between them.
    const slow = await startSandbox({ timeScale: 1 });
    try {
      const easel = createEasel({ env: { EASEL_SANDBOX_URL: slow.url }, config: { pollIntervalMs: 5 } });
      const failed = await easel.generate({ prompt: 'never in time', model: 'fal/flux/schnell', timeoutMs: 20, policy: { retries: 2 } }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(TimeoutError);
      const paths = slow.context.requests.map((r) => `${r.method} ${r.path}`);
      expect(paths.filter((p) => p === 'POST /fal/queue/fal-ai/flux/schnell')).toHaveLength(1);
      expect(paths.filter((p) => /^PUT .*\/cancel$/.test(p))).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(slow.context.ledger.list()).toHaveLength(0);
      await easel.close();
    } finally {
      await slow.close();
    }
  });
});
