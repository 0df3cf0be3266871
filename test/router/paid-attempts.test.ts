/**
 * Every attempt the vendor bills is counted, and nothing finished is bought again, against the
 * sandbox's ledger: a hedge starts one backup and its paid loser is in the total; split `n` keeps
 * the calls that finished when one fails; the reservation hook sees every attempt with its worst case.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findModel } from '../../src/catalog/index.js';
import { costOf } from '../../src/catalog/pricing.js';
import { BudgetExceededError } from '../../src/core/errors.js';
import { createEasel } from '../../src/easel.js';
import type { AttemptReservation, Reservation } from '../../src/router/reservation.js';
import { ProviderHealth } from '../../src/router/resilience.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

const SCALE = 0.05;
/** For hedging: slow enough that a loaded machine's delays do not decide which vendor answers first. */
const SLOW = 0.2;
let sandbox: Sandbox;
let slow: Sandbox;
beforeAll(async () => {
  [sandbox, slow] = await Promise.all([startSandbox({ timeScale: SCALE, coldStart: { ms: 0, rate: 0 } }), startSandbox({ timeScale: SLOW })]);
});
afterAll(() => Promise.all([sandbox.close(), slow.close()]));

/** A reservation hook that records what it is asked and how each reservation ended. */
function recordingReserve(refuse?: (attempt: AttemptReservation) => boolean) {
  const log: { attempt: AttemptReservation; end?: { settled: number | null } | 'released' }[] = [];
  const reserve = async (attempt: AttemptReservation): Promise<Reservation> => {
    if (refuse?.(attempt)) throw new BudgetExceededError(`no budget for ${attempt.model}`);
    const entry: (typeof log)[number] = { attempt };
    log.push(entry);
    return {
      settle: (usd) => {
        if (entry.end) throw new Error('reservation ended twice');
        entry.end = { settled: usd };
      },
      release: () => {
        if (entry.end) throw new Error('reservation ended twice');
        entry.end = 'released';
      },
    };
  };
  return { log, reserve };
}

/** Fetch that asks the sandbox for a fault on the `nth` request (1-based) whose path matches. */
function faultOn(pattern: RegExp, nth: number[], fault: string): typeof fetch {
  let seen = 0;
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!pattern.test(new URL(url).pathname) || (init?.method ?? 'GET') !== 'POST' || !nth.includes(++seen)) return globalThis.fetch(input, init);
    return globalThis.fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), 'x-sandbox-fault': fault } });
  };
}

const ledger = (where: Sandbox, from: number) => where.context.ledger.list().slice(from);
const ledgerSince = (from: number) => ledger(sandbox, from);
const usdOf = (charges: { usd: number | null }[]) => Math.round(charges.reduce((s, c) => s + (c.usd ?? 0), 0) * 1e6) / 1e6;
const price = (id: string, images = 1) => costOf(findModel(id)!, { images }).usd!;

describe('paid attempts', () => {
  it('hedging across vendors starts one backup, and the paid loser is in the total and settled', async () => {
    const { log, reserve } = recordingReserve();
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: slow.url }, config: { pollIntervalMs: 20 }, latencyScale: SLOW });
    const from = slow.context.ledger.list().length;
    const requestsFrom = slow.context.requests.length;
    const targets = {
      fallback: ['stability/core', 'fal/flux/schnell', 'replicate/black-forest-labs/flux-schnell', 'openai/gpt-image-1'].map((model) => ({ model })),
    };
    // Stability takes ~1.6 s here, FAL ~0.4 s: the backup starts after 10 ms and (almost always) wins.
    const result = await easel.run({ prompt: 'a red kite over dunes', policy: { targets, hedge: { afterMs: 10 } } }, { reserve });
    expect(result.route!.tried).toEqual(['stability/core', 'fal/flux/schnell']);
    expect(result.route!.cancelled).toEqual(['stability/core', 'fal/flux/schnell'].filter((m) => m !== result.model));
    const vendorCalls = slow.context.requests.slice(requestsFrom).filter((r) => r.method === 'POST' && r.vendor !== 'control' && r.vendor !== 'files');
    expect(vendorCalls.map((r) => r.vendor).sort()).toEqual(['fal', 'stability']);
    // Stability's synchronous endpoint finishes and bills the call even when it lost: wait for that charge.
    await vi.waitFor(() => expect(ledger(slow, from).filter((c) => c.vendor === 'stability')).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(result.route!.totalCostUsd).toBe(usdOf(ledger(slow, from)));
    expect(result.attempts.find((a) => a.model === 'stability/core')?.costUsd).toBe(price('stability/core'));
    // Two reservations, one per vendor attempt, each settled with what its vendor billed.
    const billed = (model: string) => usdOf(ledger(slow, from).filter((c) => c.model === model));
    expect(log.map((r) => [r.attempt.model, r.attempt.calls, r.attempt.worstCaseUsd, r.end])).toEqual([
      ['stability/core', 1, price('stability/core'), { settled: billed('stability/core') }],
      ['fal/flux/schnell', 1, price('fal/flux/schnell'), billed('fal/flux/schnell') === 0 ? 'released' : { settled: billed('fal/flux/schnell') }],
    ]);
    await easel.close();
  });

  it('split n keeps the finished calls when one fails: only the missing call is bought again', async () => {
    const { log, reserve } = recordingReserve();
    // stability/core makes one image per call: n=3 is three calls; the second one answers 503 once.
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { pollIntervalMs: 10 },
      latencyScale: SCALE,
      health: new ProviderHealth({ sleep: async () => undefined }),
      fetch: faultOn(/^\/stability\//, [2], '503'),
    });
    const from = sandbox.context.ledger.list().length;
    const requestsFrom = sandbox.context.requests.length;
    const result = await easel.run({ prompt: 'three paper boats', model: 'stability/core', n: 3 }, { reserve });
    expect(result.images).toHaveLength(3);
    // Four calls reached Stability: three answered with an image (and billed), one 503 (not billed).
    const calls = sandbox.context.requests.slice(requestsFrom).filter((r) => r.vendor === 'stability' && r.method === 'POST');
    expect(calls.map((r) => r.status).sort()).toEqual([200, 200, 200, 503]);
    expect(ledgerSince(from)).toHaveLength(3);
    expect(result.route!.totalCostUsd).toBe(usdOf(ledgerSince(from)));
    expect(result.cost.usd).toBe(price('stability/core', 3));
    expect(result.attempts.map((a) => a.outcome).sort()).toEqual(['error', 'success', 'success', 'success']);
    // One reservation for all three calls, then one for the missing call.
    expect(log.map((r) => [r.attempt.calls, r.attempt.worstCaseUsd, r.end])).toEqual([
      [3, price('stability/core', 3), { settled: price('stability/core', 2) }],
      [1, price('stability/core'), { settled: price('stability/core') }],
    ]);
    await easel.close();
  });

  it('falls back with one reservation per attempt, released when the vendor charged nothing', async () => {
    const { log, reserve } = recordingReserve();
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { pollIntervalMs: 10 },
      latencyScale: SCALE,
      health: new ProviderHealth({ sleep: async () => undefined }),
      fetch: faultOn(/^\/fal\/queue\//, [1, 2], '503'),
    });
    const targets = { fallback: [{ model: 'fal/flux/schnell' }, { model: 'replicate/stability-ai/sdxl' }] };
    const result = await easel.run({ prompt: 'a tin robot', policy: { targets, retries: 1 } }, { reserve });
    expect(result.model).toBe('replicate/stability-ai/sdxl');
    expect(log.map((r) => [r.attempt.model, r.end === 'released' ? 'released' : 'settled'])).toEqual([
      ['fal/flux/schnell', 'released'],
      ['fal/flux/schnell', 'released'],
      ['replicate/stability-ai/sdxl', 'settled'],
    ]);
    // Per-second prices reserve a safe bound: above what the vendor then reported.
    const replicate = log[2]!;
    expect(replicate.attempt.worstCaseUsd!).toBeGreaterThan((replicate.end as { settled: number }).settled);
    await easel.close();
  });

  it('a reservation the budget refuses stops the request: no fallback, nothing bought', async () => {
    const { log, reserve } = recordingReserve((attempt) => attempt.model === 'fal/flux/schnell');
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 10 }, latencyScale: SCALE });
    const requests = sandbox.context.requests.length;
    const targets = { fallback: [{ model: 'fal/flux/schnell' }, { model: 'replicate/black-forest-labs/flux-schnell' }] };
    await expect(easel.run({ prompt: 'over budget', policy: { targets } }, { reserve })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(log).toEqual([]);
    expect(sandbox.context.requests.slice(requests).filter((r) => r.vendor !== 'control' && r.vendor !== 'files')).toEqual([]);
    await easel.close();
  });
});
