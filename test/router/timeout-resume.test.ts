/**
 * A per-attempt timeout on an async vendor job: the retry resumes the same job instead of cancelling
 * it and paying for another (which double-charges whenever the first finished just before the
 * cancel). Only when the resumes run out is the job cancelled.
 *
 * The deadline fires while the submit is on the wire — the case that used to buy a second job: the
 * vendor took the job, but its id never came back. Nothing here races a real timer against the
 * sandbox: easel runs on a fake clock, the submit's answer is held (as a slow network would) until
 * the test has advanced that clock past the attempt's deadline, so the deadline always fires first;
 * waits under a second (polls, pacing) are skipped, backoff sleeps too; jobs are either done before
 * the held answer is let through or far from done.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError } from '../../src/core/errors.js';
import { createEasel } from '../../src/easel.js';
import { ProviderHealth } from '../../src/router/resilience.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/until.js';

let fast: Sandbox;
let slow: Sandbox;
beforeAll(async () => {
  // fast: flux/schnell's ~2 s of vendor time becomes ~200 ms. slow: ~10 s, far beyond any test here.
  [fast, slow] = await Promise.all([
    startSandbox({ timeScale: 0.1, coldStart: { ms: 0, rate: 0 } }),
    startSandbox({ timeScale: 5, coldStart: { ms: 0, rate: 0 } }),
  ]);
});
afterAll(() => Promise.all([fast.close(), slow.close()]));

const MODELS = [
  ['fal/flux/schnell', /^\/fal\/queue\/fal-ai\/flux\/schnell$/],
  ['replicate/black-forest-labs/flux-schnell', /^\/replicate\/v1\/(models\/[^/]+\/[^/]+\/)?predictions$/],
] as const;

const submits = (sandbox: Sandbox, from: number, pattern: RegExp) =>
  sandbox.context.requests.slice(from).filter((r) => r.method === 'POST' && pattern.test(r.path)).length;
const cancels = (sandbox: Sandbox, from: number) => sandbox.context.requests.slice(from).filter((r) => /\/cancel$/.test(r.path)).length;
const charges = (sandbox: Sandbox) => sandbox.context.ledger.list().length;
// Backoff between tries is not what these tests are about: no real sleeps.
const noBackoff = () => new ProviderHealth({ sleep: async () => undefined });
/** Waits shorter than this (polls, pacing, the 20 ms deadlines below) pass at once; longer ones only when a test advances the clock. */
const SKIP_BELOW_MS = 1000;

/** A fake clock whose short waits pass on their own, for one test; stopped afterwards. */
let stopClock: (() => void) | undefined;
function fakeClock(): FakeClock {
  const clock = new FakeClock();
  stopClock = clock.autoAdvance(SKIP_BELOW_MS);
  return clock;
}
afterEach(() => stopClock?.());

/** Rejects with the signal's reason when it aborts (as a request cut off by its client does); never resolves. */
function cutOff(signal: AbortSignal | null | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * fetch whose answers to submits (`pattern` on the path) — or their failures — arrive late: only
 * after `delay()` ends, unless the request's own signal aborts first (then it is cut off, as a real
 * client cuts a request off). Every other request goes straight through.
 */
function lateSubmits(pattern: RegExp, delay: () => Promise<void>): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (init?.method !== 'POST' || !pattern.test(url.pathname)) return fetch(input, init);
    let outcome: { answer: Response } | { error: unknown };
    try {
      outcome = { answer: await fetch(input, init) };
    } catch (error) {
      outcome = { error };
    }
    await Promise.race([delay(), cutOff(init.signal)]);
    if (init.signal?.aborted) throw init.signal.reason;
    if ('error' in outcome) throw outcome.error;
    return outcome.answer;
  };
}

describe('timeouts on async vendor jobs', () => {
  it.each(MODELS)('%s: the deadline fires during the submit; the next attempt resumes that job — one job, one charge, no cancel', async (model, submitPath) => {
    const from = fast.context.requests.length;
    const charged = charges(fast);
    const timeoutMs = SKIP_BELOW_MS;
    const clock = fakeClock();
    // The answer arrives after the job has ended and the attempt's deadline has passed on easel's clock.
    const fetch = lateSubmits(submitPath, async () => {
      await until(() => charges(fast) > charged);
      clock.advance(timeoutMs);
    });
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: fast.url }, config: { pollIntervalMs: 10 }, latencyScale: 0.1, fetch, health: noBackoff(), clock });
    const result = await easel.generate({ prompt: `timeout resume ${model}`, model, timeoutMs, policy: { retries: 4 } });
    expect(result.attempts.map((a) => a.error?.code ?? a.outcome)).toEqual(['timeout', 'success']);
    expect(result.images).toHaveLength(1);
    expect(submits(fast, from, submitPath)).toBe(1);
    expect(cancels(fast, from)).toBe(0);
    expect(charges(fast) - charged).toBe(1);
    await easel.close();
  });

  it.each(MODELS)('%s: cancels the job once the resumes are used up, so nothing is paid for', async (model, submitPath) => {
    const from = slow.context.requests.length;
    const charged = charges(slow);
    // Every attempt times out: the first during its submit (its answer is held until the deadline), the two resumes while the job runs on.
    const clock = fakeClock();
    const fetch = lateSubmits(submitPath, async () => clock.advance(20));
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: slow.url }, config: { pollIntervalMs: 5 }, fetch, health: noBackoff(), clock });
    const failed = await easel.generate({ prompt: `never in time ${model}`, model, timeoutMs: 20, policy: { retries: 2 } }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TimeoutError);
    expect(submits(slow, from, submitPath)).toBe(1);
    expect(cancels(slow, from)).toBe(1);
    expect(charges(slow) - charged).toBe(0);
    await easel.close();
  });

  it.each(MODELS)('%s: a caller abort during the submit waits for the id, then cancels that job', async (model, submitPath) => {
    const from = slow.context.requests.length;
    const charged = charges(slow);
    const controller = new AbortController();
    const clock = fakeClock();
    // The caller gives up the moment the vendor has taken the job, before its answer is read.
    const fetch = lateSubmits(submitPath, async () => controller.abort());
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: slow.url }, config: { pollIntervalMs: 5 }, fetch, health: noBackoff(), clock });
    // A create held open by `Prefer: wait` is cut off on abort instead (its orphan is found and cancelled, see replicate.test.ts).
    const providerOptions = { replicate: { wait: false as const } };
    const failed = await easel
      .generate({ prompt: `abort mid-submit ${model}`, model, providerOptions, signal: controller.signal, policy: { retries: 2 } })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AbortedError);
    expect(submits(slow, from, submitPath)).toBe(1);
    expect(cancels(slow, from)).toBe(1);
    expect(charges(slow) - charged).toBe(0);
    await easel.close();
  });

  it('replicate: a create whose answer is lost while the deadline fires is adopted from the listing, resumed, and cancelled at the end', async () => {
    const [model, submitPath] = MODELS[1];
    const from = slow.context.requests.length;
    const charged = charges(slow);
    // The vendor takes the prediction and resets the connection; the reset reaches us after the deadline (easel's clock advanced past it).
    slow.context.faults.merge({ script: [{ vendor: 'replicate', method: 'POST', path: 'predictions', steps: ['lost'] }] });
    const clock = fakeClock();
    const fetch = lateSubmits(submitPath, async () => clock.advance(20));
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: slow.url }, config: { pollIntervalMs: 5 }, fetch, health: noBackoff(), clock });
    const failed = await easel.generate({ prompt: 'lost answer at the deadline', model, timeoutMs: 20, policy: { retries: 2 } }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TimeoutError);
    expect(slow.context.requests.slice(from).filter((r) => r.fault === 'lost')).toHaveLength(1);
    expect(submits(slow, from, submitPath)).toBe(1);
    expect(cancels(slow, from)).toBe(1);
    expect(charges(slow) - charged).toBe(0);
    await easel.close();
  });
});
