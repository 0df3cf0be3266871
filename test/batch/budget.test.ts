/**
 * Budgets against the sandbox's ledger: the vendor never charges more than the cap, whatever the run
 * does — hedging with paid losers, fallback, split `n`, a thousand reservations at once, a run killed
 * eight times — and a cap that fits most of a run is not given up early.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dryRun } from '../../src/batch/dry-run.js';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import type { Item } from '../../src/batch/types.js';
import { Budget } from '../../src/budget/budget.js';
import { findModel } from '../../src/catalog/index.js';
import { costOf } from '../../src/catalog/pricing.js';
import { BudgetExceededError } from '../../src/core/errors.js';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { CLI } from '../helpers/cli.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.01, coldStart: { ms: 0, rate: 0 } });
});
afterAll(() => sandbox.close());

const tmp = () => mkdtempSync(join(tmpdir(), 'easel-budget-'));
/**
 * Until the sandbox runs no vendor work: a synchronous call easel gave up on (a hedge's loser) is
 * charged when the vendor finishes it, after the run may have ended. Waited for before a test takes
 * its place in the ledger and before it reads it, so no test counts another's late charges.
 */
const vendorsQuiet = () => vi.waitFor(() => expect(sandbox.idleForMs()).toBeGreaterThan(0), { timeout: 20_000, interval: 20 });
const ledgerMark = async () => {
  await vendorsQuiet();
  return sandbox.context.ledger.list().length;
};
const charged = (from: number, vendor?: string) =>
  Math.round(
    sandbox.context.ledger
      .list()
      .slice(from)
      .filter((c) => !vendor || c.vendor === vendor)
      .reduce((s, c) => s + (c.usd ?? 0), 0) * 1e6,
  ) / 1e6;
const price = (id: string, images = 1) => costOf(findModel(id)!, { images }).usd!;
const newEasel = () => createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs: 5 }, latencyScale: 0.01 });

/** `easel batch DIR/items.jsonl` on `model` under `budget`, against `sandboxUrl`, as its own process. */
function cliBatch(dir: string, model: string, budget: number, sandboxUrl: string): ChildProcess {
  const args = ['batch', join(dir, 'items.jsonl'), '--out', join(dir, 'out'), '--state', join(dir, 'state'), '--model', model];
  return spawn(process.execPath, [...CLI, ...args, '--budget', String(budget), '--config', join(dir, 'easel.config.json')], {
    env: { ...process.env, EASEL_SANDBOX_URL: sandboxUrl, FAL_KEY: '' },
    stdio: 'ignore',
  });
}
/** The one item of the job `cliBatch` made in `dir`, as its store has it now (undefined before the job exists). */
async function storedItem(dir: string): Promise<Item | undefined> {
  const store = new SqliteJobStore(join(dir, 'state', 'jobs.db'));
  try {
    const [job] = await store.listJobs();
    return job && (await store.items(job.id))[0];
  } finally {
    await store.close();
  }
}
/** The price of the one charge `sandbox` has, once the vendor has billed it. */
const onlyCharge = (sandbox: Sandbox) =>
  vi.waitFor(
    () => {
      const charges = sandbox.context.ledger.list();
      expect(charges).toHaveLength(1);
      return charges[0]!.usd!;
    },
    { timeout: 20_000, interval: 20 },
  );
const exited = (child: ChildProcess) => new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

describe('budgets against the ledger', () => {
  it('a cap that fits 80% of an auto-routed run gets at least 75% done (items wait, they are not skipped early)', { timeout: 120_000 }, async () => {
    const easel = newEasel();
    const count = 300;
    const items = Array.from({ length: count }, (_, i) => ({
      line: i + 1,
      request: { prompt: `a product photo of item ${i}`, policy: { objective: 'cheapest' as const } },
    }));
    const plan = await easel.route(items[0]!.request);
    // Each item's dearest fallback costs far more than what it really costs: reserving that up front
    // is what skipped 194 of 200 items before.
    expect(Math.max(...plan.ranked.map((c) => c.report.estimatedCostUsd ?? 0))).toBeGreaterThan(plan.ranked[0]!.report.estimatedCostUsd! * 3);
    // The run's own estimate (what the dry run prints) of the whole workload; the cap fits 80% of it.
    const estimate = await dryRun(easel, items);
    const cap = Math.round(estimate.costUsd * 0.8 * 1e6) / 1e6;
    const from = await ledgerMark();
    const run = await easel.batch(items, { outDir: tmp(), budgetUsd: cap, concurrency: 16 });
    const final = await run.done;
    await vendorsQuiet();
    console.log(
      `auto routing under a cap of $${cap} (80% of the dry run's $${estimate.costUsd}): ${final.succeeded}/${count} done, ${final.skipped} skipped, ledger $${charged(from)}`,
    );
    expect(charged(from)).toBeLessThanOrEqual(cap + 1e-9);
    expect(final.succeeded).toBeGreaterThanOrEqual(0.75 * count);
    expect(final.succeeded + final.skipped).toBe(count);
    expect(final.spentUsd).toBeCloseTo(charged(from), 6);
    await easel.close();
  });

  it('hedging over a fallback tree with uncancellable losers: paid losers are counted and the cap holds', { timeout: 60_000 }, async () => {
    const easel = newEasel();
    // Stability's synchronous endpoint cannot be cancelled: a hedge it loses is still paid.
    const targets = { fallback: ['stability/core', 'fal/flux/schnell', 'replicate/black-forest-labs/flux-schnell'].map((model) => ({ model })) };
    const items = Array.from({ length: 30 }, (_, i) => ({ prompt: `a kite over dunes ${i}`, policy: { targets, hedge: { afterMs: 1 } } }));
    const cap = price('stability/core') * 12;
    const from = await ledgerMark();
    const run = await easel.batch(items, { outDir: tmp(), budgetUsd: cap, concurrency: 8 });
    const final = await run.done;
    await vendorsQuiet();
    expect(charged(from)).toBeLessThanOrEqual(cap + 1e-9);
    // The job's spend includes every paid loser. It may be above the ledger by a Stability loser cut
    // off before its request reached the vendor (easel cannot see whether the bytes arrived, and
    // Stability bills a synchronous call it received whatever the client does): never below it.
    expect(final.spentUsd).toBeGreaterThanOrEqual(charged(from) - 1e-9);
    expect(final.spentUsd).toBeLessThanOrEqual(cap + 1e-9);
    expect(
      sandbox.context.ledger
        .list()
        .slice(from)
        .some((c) => c.vendor === 'stability'),
    ).toBe(true);
    expect(final.succeeded).toBeGreaterThan(0);
    await easel.close();
  });

  it('split n: a request for more images than one call makes is reserved whole, and the cap holds', { timeout: 60_000 }, async () => {
    const easel = newEasel();
    const model = 'stability/core';
    // Stability core makes one image per call: n=3 is three calls.
    const cap = price(model) * 7;
    const from = await ledgerMark();
    const run = await easel.batch(
      Array.from({ length: 5 }, (_, i) => ({ prompt: `three views ${i}`, model, n: 3 })),
      { outDir: tmp(), budgetUsd: cap, concurrency: 5 },
    );
    const final = await run.done;
    await vendorsQuiet();
    expect(charged(from)).toBeLessThanOrEqual(cap + 1e-9);
    // 7 images' worth of budget: two whole items of three, never a third one half-bought.
    expect(final.succeeded).toBe(2);
    expect(final.skipped).toBe(3);
    expect(charged(from)).toBeCloseTo(price(model) * 6, 6);
    await easel.close();
  });

  it('a thousand concurrent reservations never pass the cap, and every one that could fit ran', async () => {
    const budget = new Budget({ capUsd: 10 });
    let spent = 0;
    let maxInFlight = 0;
    let inFlight = 0;
    let refused = 0;
    // Worst cases of 0.05 that really cost 0.01–0.05: 200 fit at once, many more once they settle.
    const outcomes = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        try {
          const held = await budget.acquire(0.05, `r${i}`);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          expect(budget.spentUsd + budget.reservedUsd).toBeLessThanOrEqual(10 + 1e-9);
          await new Promise((resolve) => setImmediate(resolve));
          const actual = 0.01 + ((i * 7) % 5) * 0.01;
          spent += actual;
          inFlight--;
          budget.settle(held, actual);
          return 'ran';
        } catch (error) {
          expect(error).toBeInstanceOf(BudgetExceededError);
          refused++;
          return 'refused';
        }
      }),
    );
    expect(spent).toBeLessThanOrEqual(10 + 1e-9);
    expect(maxInFlight).toBe(200);
    // Refused only once the settled spend left no room for one more worst case.
    expect(budget.spentUsd).toBeGreaterThan(10 - 0.05);
    expect(outcomes.filter((o) => o === 'ran').length + refused).toBe(1000);
    expect(outcomes.filter((o) => o === 'ran').length).toBeGreaterThan(300);
  });

  it('a resumed split-n item holds only its stored call: the call never submitted must fit the cap', { timeout: 120_000 }, async () => {
    // FLUX schnell makes at most 4 images a call: n=5 is two calls. One call at a time to FAL, and the
    // vendor slow enough that the process is killed with the first call's job stored and the second unsent.
    const slow = await startSandbox({ timeScale: 0.5, coldStart: { ms: 0, rate: 0 } });
    const dir = tmp();
    const model = 'fal/flux/schnell';
    writeFileSync(join(dir, 'items.jsonl'), JSON.stringify({ prompt: 'five views of a lamp', size: '512x512', n: 5 }));
    writeFileSync(join(dir, 'easel.config.json'), JSON.stringify({ pollIntervalMs: 20, limits: { fal: { concurrent: 1 } } }));
    const batch = (budget: number) => cliBatch(dir, model, budget, slow.url);
    try {
      const first = batch(1);
      const submits = () => slow.context.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/fal/queue/')).length;
      await vi.waitFor(async () => expect((await storedItem(dir))?.submissions).toHaveLength(1), { timeout: 30_000, interval: 10 });
      expect(submits()).toBe(1);
      first.kill('SIGKILL');
      await exited(first);
      const paid = await onlyCharge(slow);
      // Room for the stored call, and for half an image more: not for the second call.
      const cap = Math.round((paid + price(model) / 2) * 1e6) / 1e6;
      const second = batch(cap);
      await exited(second);
      await vi.waitFor(() => expect(slow.idleForMs()).toBeGreaterThan(0), { timeout: 20_000, interval: 20 });
      const spent = slow.context.ledger.list().reduce((sum, c) => sum + (c.usd ?? 0), 0);
      expect(spent).toBeLessThanOrEqual(cap + 1e-9);
      expect(submits()).toBe(1);
      const item = await storedItem(dir);
      // Skipped, with the stored job's money booked (at its worst case: it was never read).
      expect(item).toMatchObject({ status: 'skipped' });
      expect(item!.costUsd).toBeGreaterThanOrEqual(paid - 1e-9);
    } finally {
      await slow.close();
    }
  });

  it(
    'a job a crash cut off before its id was stored is found and adopted on resume, even under a cap with no room for a new one',
    { timeout: 120_000 },
    async () => {
      const slow = await startSandbox({ timeScale: 0.5, coldStart: { ms: 0, rate: 0 } });
      const dir = tmp();
      const model = 'fal/flux/schnell';
      writeFileSync(join(dir, 'items.jsonl'), JSON.stringify({ prompt: 'four views of a kettle', size: '512x512', n: 4 }));
      writeFileSync(join(dir, 'easel.config.json'), JSON.stringify({ pollIntervalMs: 20 }));
      const batch = (budget: number) => cliBatch(dir, model, budget, slow.url);
      try {
        const first = batch(1);
        // Killed the moment the submit reaches FAL: the job exists, its id was never stored.
        await vi.waitFor(() => expect(slow.context.requests.some((r) => r.method === 'POST' && r.path.startsWith('/fal/queue/'))).toBe(true), {
          timeout: 30_000,
          interval: 2,
        });
        first.kill('SIGKILL');
        await exited(first);
        const paid = await onlyCharge(slow);
        // A cap lowered on resume below what was already paid: no room for any new job, but this one is
        // paid whatever the budget says. Adopting it gets its images; refusing it would only lose them.
        const cap = Math.round(paid * 0.9 * 1e6) / 1e6;
        const second = batch(cap);
        await exited(second);
        await vi.waitFor(() => expect(slow.idleForMs()).toBeGreaterThan(0), { timeout: 20_000, interval: 20 });
        expect(slow.context.ledger.list()).toHaveLength(1);
        const item = await storedItem(dir);
        expect(item).toMatchObject({ status: 'succeeded' });
        expect(item!.costUsd).toBeCloseTo(paid, 6);
      } finally {
        await slow.close();
      }
    },
  );

  it('a budgeted batch killed eight times stays under its cap on a vendor that bills cut-off calls', { timeout: 240_000 }, async () => {
    const dir = tmp();
    const model = 'openai/dall-e-2';
    const each = costOf(findModel(model)!, { images: 1, width: 256, height: 256 }).usd!;
    writeFileSync(join(dir, 'items.jsonl'), Array.from({ length: 80 }, (_, i) => JSON.stringify({ prompt: `kill test ${i}`, size: '256x256' })).join('\n'));
    writeFileSync(join(dir, 'easel.config.json'), JSON.stringify({ pollIntervalMs: 10, limits: { openai: { requestsPerMinute: 6000 } } }));
    const cap = Math.round(each * 50 * 1e6) / 1e6;
    const from = await ledgerMark();
    const start = (): { child: ChildProcess; exited: Promise<number | null> } => {
      const child = spawn(
        process.execPath,
        [
          ...CLI,
          'batch',
          join(dir, 'items.jsonl'),
          '--out',
          join(dir, 'out'),
          '--state',
          join(dir, 'state'),
          '--model',
          model,
          '--budget',
          String(cap),
          '--concurrency',
          '8',
          '--config',
          join(dir, 'easel.config.json'),
        ],
        { env: { ...process.env, EASEL_SANDBOX_URL: sandbox.url, OPENAI_API_KEY: '' }, stdio: 'ignore' },
      );
      return { child, exited: new Promise((done) => child.on('exit', (code) => done(code))) };
    };
    let kills = 0;
    for (let k = 0; k < 8; k++) {
      const run = start();
      const at = sandbox.context.ledger.list().length;
      let ended = false;
      void run.exited.then(() => (ended = true));
      const after = 2 + ((k * 5) % 6);
      while (!ended && sandbox.context.ledger.list().length - at < after) await new Promise((r) => setTimeout(r, 5));
      if (!ended) {
        run.child.kill('SIGKILL');
        kills++;
      }
      await run.exited;
    }
    const last = start();
    expect(await last.exited).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(6);
    expect(charged(from, 'openai')).toBeLessThanOrEqual(cap + 1e-9);
  });
});
