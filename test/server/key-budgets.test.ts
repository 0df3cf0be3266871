/**
 * Gateway key budgets hold on every path that spends, against the sandbox's ledger (what the vendor
 * would really have charged): every vendor attempt reserves its worst case from the key, and the
 * key's booked spend is what the vendor billed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findModel } from '../../src/catalog/index.js';
import { costOf } from '../../src/catalog/pricing.js';
import { createEasel, type Easel } from '../../src/easel.js';
import { worstCaseUsd } from '../../src/router/reservation.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { createGatewayApp } from '../../src/server/app.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { ImageFileStore } from '../../src/server/files/store.js';
import { GatewayMetrics } from '../../src/server/metrics/metrics.js';
import { startGateway } from '../../src/server/serve.js';

const SDXL = 'replicate/stability-ai/sdxl';
const SCALE = 0.02;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function world(scale = SCALE) {
  const sandbox = await startSandbox({ timeScale: scale });
  const easel = createEasel({
    env: { EASEL_SANDBOX_URL: sandbox.url },
    config: { pollIntervalMs: 10, stateDir: mkdtempSync(join(tmpdir(), 'easel-keybudget-state-')) },
    latencyScale: scale,
    onNotice: () => undefined,
  });
  closers.push(
    () => sandbox.close(),
    () => easel.close(),
  );
  const keys = new KeyStore(':memory:');
  const app = createGatewayApp({
    easel,
    files: new ImageFileStore(),
    keys,
    metrics: new GatewayMetrics(easel.health),
    publicUrl: () => 'http://gw',
    maxBodyBytes: 1 << 20,
    maxImagePixels: 1 << 24,
  });
  const post = (path: string, key: string, body: Record<string, unknown>) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  const ledgerUsd = () => sandbox.context.ledger.totalUsd();
  return { sandbox, easel, keys, post, ledgerUsd };
}

/** Statuses of concurrent answers, and the 402s' error bodies. */
async function outcome(answers: Response[]) {
  const statuses = answers.map((a) => a.status);
  const refusals = await Promise.all(answers.filter((a) => a.status === 402).map((a) => a.json() as Promise<{ error: { type: string; code: string } }>));
  await Promise.all(answers.filter((a) => a.status !== 402).map((a) => a.arrayBuffer()));
  return { ok: statuses.filter((s) => s === 200).length, refused: refusals.length, others: statuses.filter((s) => s !== 200 && s !== 402), refusals };
}

describe('gateway key budgets against the ledger', () => {
  it('a per-second-priced model under a $0.05 key: 60 concurrent OpenAI-compatible requests never pass it', async () => {
    const { keys, post, ledgerUsd } = await world();
    const { key, record } = keys.create({ name: 'per-second', budgetUsd: 0.05 });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post('/v1/images/generations', key, { model: SDXL, prompt: `a lighthouse ${i}`, size: '1024x1024', response_format: 'b64_json' }),
      ),
    );
    const { ok, refused, others, refusals } = await outcome(answers);
    expect(others).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(refusals[0]!.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    const after = keys.get(record.id)!;
    expect(ledgerUsd()).toBeLessThanOrEqual(0.05);
    expect(after.spentUsd).toBeCloseTo(ledgerUsd(), 6);
    expect(after.reservedUsd).toBe(0);
  });

  it('the same on the native API', async () => {
    const { keys, post, ledgerUsd } = await world();
    const { key, record } = keys.create({ name: 'native', budgetUsd: 0.05 });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post('/v1/easel/generate', key, { model: SDXL, prompt: `a harbour ${i}`, size: '1024x1024' })),
    );
    const { ok, refused, others } = await outcome(answers);
    expect(others).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const after = keys.get(record.id)!;
    expect(ledgerUsd()).toBeLessThanOrEqual(0.05);
    expect(after.spentUsd).toBeCloseTo(ledgerUsd(), 6);
    expect(after.reservedUsd).toBe(0);
  });

  it('hedging over a fallback tree: paid hedge losers are in the key spend, and the ledger stays under the budget', async () => {
    // Slow enough that Stability (~1.6 s) reliably loses to FAL (~0.4 s) even on a loaded machine.
    const { sandbox, keys, post, ledgerUsd } = await world(0.2);
    const stability = costOf(findModel('stability/core')!, { images: 1 }).usd!;
    const fal = costOf(findModel('fal/flux/schnell')!, { images: 1 }).usd!;
    // Room for three primaries and one backup. Which requests get room depends on when the backups
    // start (a loaded machine starts them before the third primary): either three primaries and one
    // backup, or two primaries and both their backups, then a 402 for the rest. Both are checked.
    const budget = Math.round((3 * stability + 1.5 * fal) * 1e6) / 1e6;
    const { key, record } = keys.create({ name: 'hedged', budgetUsd: budget });
    const targets = { fallback: ['stability/core', 'fal/flux/schnell', 'replicate/black-forest-labs/flux-schnell'].map((model) => ({ model })) };
    const answers = Array.from({ length: 5 }, (_, i) =>
      post('/v1/easel/generate', key, { prompt: `a kite ${i}`, policy: { targets, hedge: { afterMs: 10 } } }),
    );
    const { ok, refused, others } = await outcome(await Promise.all(answers));
    expect(others).toEqual([]);
    expect(ok + refused).toBe(5);
    expect(ok === 3 || ok === 2).toBe(true);
    // Stability's synchronous endpoint finishes and bills every primary, a loser too: the ledger
    // catches up with the key once the losers are done.
    await vi.waitFor(() => expect(sandbox.context.ledger.list().filter((c) => c.vendor === 'stability')).toHaveLength(ok), { timeout: 10_000, interval: 20 });
    const charges = sandbox.context.ledger.list();
    const backups = charges.filter((c) => c.vendor === 'fal').length;
    expect(backups).toBeGreaterThanOrEqual(1);
    expect(backups).toBeLessThanOrEqual(ok === 3 ? 1 : 2);
    const after = keys.get(record.id)!;
    expect(ledgerUsd()).toBeLessThanOrEqual(budget);
    // The key's spend is what the vendors charged: paid losers included.
    expect(after.spentUsd).toBeCloseTo(ledgerUsd(), 6);
    expect(after.reservedUsd).toBe(0);
  });

  it('forwarded OpenAI requests: held at their worst case, booked at what the vendor billed', async () => {
    const sandbox = await startSandbox({ timeScale: 0.001 });
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 }, onNotice: () => undefined });
    const gateway = await startGateway({ easel, stateDir: mkdtempSync(join(tmpdir(), 'easel-keybudget-')), onNotice: () => undefined });
    closers.push(
      () => sandbox.close(),
      () => easel.close(),
      () => gateway.close(),
    );
    const model = findModel('openai/gpt-image-1')!;
    const plan = await easel.route({ model: model.id, prompt: 'x', size: '1024x1024', quality: 'low' });
    const worst = worstCaseUsd(model, plan.ranked[0]!.calls)!;
    const { key, record } = gateway.keys.create({ name: 'forwarded', budgetUsd: Math.round(2.5 * worst * 1e6) / 1e6 });
    const send = () =>
      fetch(`${gateway.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: model.id, prompt: 'a paper crane', size: '1024x1024', quality: 'low' }),
      });
    const answers = await Promise.all(Array.from({ length: 5 }, send));
    expect(answers.filter((a) => a.status === 200).every((a) => a.headers.get('x-easel-forwarded') === 'true')).toBe(true);
    const { ok, refused, others } = await outcome(answers);
    expect([ok, refused, others]).toEqual([2, 3, []]);
    const after = gateway.keys.get(record.id)!;
    expect(sandbox.context.ledger.list()).toHaveLength(2);
    expect(after.spentUsd).toBeCloseTo(sandbox.context.ledger.totalUsd(), 6);
    expect(after.reservedUsd).toBe(0);
  });
});

describe('gateway jobs under a key budget', () => {
  it('a job holds its budget from the key, and its spend is booked once however many runs and restarts it takes', () => {
    const keys = new KeyStore(':memory:');
    const { record } = keys.create({ name: 'jobs', budgetUsd: 1 });
    const other = () => keys.get(record.id)!;
    expect(keys.reserve(record.id, 0.5)).toBe(true);
    keys.holdForJob(record.id, 'job_a', 0.5);
    expect(keys.reserve(record.id, 0.25)).toBe(true);
    keys.holdForJob(record.id, 'job_b', 0.25);
    // job_a's gateway stops after $0.1 (unfinished), and again after a restart at $0.3 in total.
    keys.bookJob('job_a', 0.1, false);
    keys.bookJob('job_a', 0.1, false);
    expect([other().spentUsd, other().reservedUsd]).toEqual([0.1, 0.65]);
    keys.bookJob('job_a', 0.3, false);
    // It finishes at $0.4: the rest of its $0.5 goes back; booking it again changes nothing.
    keys.bookJob('job_a', 0.4, true);
    keys.bookJob('job_a', 0.4, true);
    expect([other().spentUsd, other().reservedUsd]).toEqual([0.4, 0.25]);
    // job_b's hold is untouched by all that.
    expect(keys.jobHolds()).toEqual(['job_b']);
  });

  it('POST /v1/jobs: the job spends within what it holds, and the key books what the ledger shows', async () => {
    const { sandbox, keys, post, ledgerUsd } = await world();
    const { key, record } = keys.create({ name: 'job-key', budgetUsd: 0.05 });
    const negative = await post('/v1/jobs', key, { items: [{ prompt: 'x' }], model: SDXL, budgetUsd: -1 });
    expect(negative.status).toBe(400);
    const started = await post('/v1/jobs', key, { items: Array.from({ length: 12 }, (_, i) => ({ prompt: `a mill ${i}` })), model: SDXL, budgetUsd: 0.02 });
    expect(started.status).toBe(202);
    expect(keys.get(record.id)!.reservedUsd).toBe(0.02);
    await vi.waitFor(() => expect(keys.jobHolds()).toEqual([]), { timeout: 20_000, interval: 20 });
    const after = keys.get(record.id)!;
    expect(sandbox.context.ledger.list().length).toBeGreaterThan(0);
    expect(ledgerUsd()).toBeLessThanOrEqual(0.02);
    expect(after.spentUsd).toBeCloseTo(ledgerUsd(), 6);
    expect(after.reservedUsd).toBe(0);
  });
});
