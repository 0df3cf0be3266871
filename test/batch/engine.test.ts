import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterAll(() => sandbox.close());

const charges = async () => ((await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: unknown[] }).charges.length;
const tmp = () => mkdtempSync(join(tmpdir(), 'easel-batch-'));
const MODEL = 'replicate/black-forest-labs/flux-schnell';

describe('batch engine', () => {
  it('runs every item, writes stable files and a manifest line per image', async () => {
    const state = tmp();
    const out = tmp();
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: state, pollIntervalMs: 2 } });
    const before = await charges();
    const run = await easel.batch(
      Array.from({ length: 12 }, (_, i) => ({ prompt: `item ${i}`, model: MODEL, n: i === 3 ? 2 : undefined })),
      { outDir: out, concurrency: 4 },
    );
    const seen: string[] = [];
    for await (const item of run) seen.push(item.status);
    const final = await run.done;
    expect(final).toMatchObject({ succeeded: 12, failed: 0, total: 12 });
    expect(seen).toHaveLength(12);
    const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(manifest).toHaveLength(13);
    expect(manifest[0]).toMatchObject({ line: 1, prompt: 'item 0', model: MODEL, file: '01-item-0.png' });
    expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(13);
    expect(await charges()).toBe(before + 12);
    expect((await easel.jobStore().getJob(run.job.id))?.status).toBe('done');
    await easel.close();
  });

  it('stops at the budget cap under concurrency and reports the rest as skipped', async () => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs: 2 } });
    // flux-schnell costs $0.003 per image: a $0.09 cap allows exactly 30 of 50.
    const run = await easel.batch(
      Array.from({ length: 50 }, (_, i) => ({ prompt: `budget ${i}`, model: MODEL })),
      { outDir: tmp(), budgetUsd: 0.09, concurrency: 50, limits: {} },
    );
    const final = await run.done;
    expect(final.succeeded).toBe(30);
    expect(final.skipped).toBe(20);
    expect(final.spentUsd).toBeLessThanOrEqual(0.09 + 1e-9);
    const skipped = await easel.jobStore().items(run.job.id, ['skipped']);
    expect(skipped[0]!.error?.message).toMatch(/would pass the \$0.09 cap/);
    await easel.close();
  });

  it('resumes the unfinished job for the same output folder instead of starting another', async () => {
    const state = tmp();
    const out = tmp();
    const store = new SqliteJobStore(join(state, 'jobs.db'));
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: state, pollIntervalMs: 2 } });
    const job = await store.createJob(
      { id: 'job_test', outDir: out, source: 'test', options: { model: MODEL } },
      [1, 2, 3].map((line) => ({ line, request: { prompt: `p${line}` } })),
    );
    await store.succeed(
      job.id,
      0,
      { files: ['1-p1.png'], model: MODEL, seeds: [1], sha256: ['x'], costUsd: 0.003, latencyMs: 1, requestIds: ['r'], cached: false },
      0.003,
    );
    const run = await easel.batch([{ prompt: 'ignored: the job exists' }], { outDir: out, store });
    expect(run.resumed).toBe(true);
    expect(run.job.id).toBe('job_test');
    const final = await run.done;
    expect(final).toMatchObject({ succeeded: 3, total: 3 });
    await store.close();
    await easel.close();
  });
});
