/**
 * What a batch does off the happy path, checked against the sandbox's ledger: a second process on
 * the same folder, a stop in the middle, a full disk, a workload edited under an unfinished job, a
 * budget moved on resume, and a cap that must wait for reservations instead of skipping items.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockFolder, LOCK_FILE } from '../../src/batch/folder-lock.js';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.002 });
});
afterAll(() => sandbox.close());

const ledger = async () => ((await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { requestId: string; usd: number | null }[] }).charges;
const tmp = () => mkdtempSync(join(tmpdir(), 'easel-recovery-'));
const MODEL = 'replicate/black-forest-labs/flux-schnell';
const newEasel = (state = tmp()) => createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: state, pollIntervalMs: 2 } });
const prompts = (count: number, tag: string) => Array.from({ length: count }, (_, i) => ({ line: i + 1, request: { prompt: `${tag} ${i}` } }));
const pngs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.png'));

describe('batch recovery', () => {
  it('refuses a second run on a folder another one is writing, naming its pid; a dead owner’s lock is taken over', async () => {
    const out = tmp();
    const easel = newEasel();
    const first = await easel.batch(prompts(20, 'lock'), { outDir: out, model: MODEL, concurrency: 4 });
    await expect(easel.batch(prompts(20, 'lock'), { outDir: out, model: MODEL })).rejects.toThrow(new RegExp(`another easel process \\(pid ${process.pid}`));
    await first.done;
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    // A lock left by a process that no longer exists (killed) does not keep the folder.
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'then' }));
    lockFolder(out).release();
    await easel.close();
  });

  it('stops submitting on `stop`, keeps what is in flight, and the next run finishes with one charge per item', async () => {
    const out = tmp();
    const state = tmp();
    const before = (await ledger()).length;
    const stop = new AbortController();
    // A run stopped with `stop` (Ctrl+C): no new submits; in flight finishes.
    const easel = newEasel(state);
    const run = await easel.batch(prompts(40, 'stop'), { outDir: out, model: MODEL, concurrency: 4, stop: stop.signal });
    let started = 0;
    for await (const item of run) if (item.status === 'succeeded' && ++started === 5) stop.abort();
    const stopped = await run.done;
    // What was at the vendor when the stop came finished and was saved; nothing new was started.
    expect(stopped.submitted).toBe(0);
    expect(stopped.interrupted).toBe(true);
    expect(stopped.succeeded).toBeLessThan(40);
    const resumed = await easel.batch(prompts(40, 'stop'), { outDir: out, model: MODEL, concurrency: 4 });
    expect(resumed.resumed).toBe(true);
    expect(await resumed.done).toMatchObject({ succeeded: 40, pending: 0, submitted: 0 });
    const charges = (await ledger()).slice(before);
    expect(charges).toHaveLength(40);
    expect(pngs(out)).toHaveLength(40);
    await easel.close();
  });

  it('a full disk pauses the run and parks the paid images in the store; the next run writes them without a charge', async () => {
    const out = tmp();
    const state = tmp();
    const before = (await ledger()).length;
    const easel = newEasel(state);
    let writes = 0;
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const run = await easel.batch(prompts(30, 'disk'), {
      outDir: out,
      model: MODEL,
      concurrency: 4,
      writeFile: async (path, bytes) => {
        if (++writes > 10) throw full;
        writeFileSync(path, bytes);
        return path;
      },
    });
    const paused = await run.done;
    expect(paused.paused).toMatch(/cannot write to .*no space left on the device \(ENOSPC\)/);
    expect(paused.succeeded).toBe(10);
    expect(paused.failed).toBe(0);
    const parked = (await easel.jobStore().items(run.job.id)).filter((i) => i.parked);
    expect(parked.length).toBeGreaterThan(0);
    const chargesAfterPause = (await ledger()).length - before;
    const resumed = await easel.batch(prompts(30, 'disk'), { outDir: out, model: MODEL, concurrency: 4 });
    expect(await resumed.done).toMatchObject({ succeeded: 30, pending: 0, submitted: 0 });
    expect(pngs(out)).toHaveLength(30);
    const charges = (await ledger()).slice(before);
    expect(charges).toHaveLength(30);
    expect(new Set(charges.map((c) => c.requestId)).size).toBe(30);
    expect(chargesAfterPause).toBeGreaterThan(10);
    await easel.close();
  });

  it('an edited workload under an unfinished job is an error naming both ways on; --new keeps what the folder already bought', async () => {
    const out = tmp();
    const state = tmp();
    const before = (await ledger()).length;
    const easel = newEasel(state);
    const first = await easel.batch(prompts(10, 'edit'), { outDir: out, model: MODEL, concurrency: 2, budgetUsd: 0.003 * 6 });
    expect(await first.done).toMatchObject({ succeeded: 6, skipped: 4 });
    await easel.jobStore().resetFailed(first.job.id);
    const edited = [...prompts(10, 'edit'), { line: 11, request: { prompt: 'edit new line' } }];
    await expect(easel.batch(edited, { outDir: out, model: MODEL })).rejects.toThrow(
      new RegExp(`unfinished job ${first.job.id}.*easel jobs resume ${first.job.id}.*--new`),
    );
    const second = await easel.batch(edited, { outDir: out, model: MODEL, newJob: true });
    expect(second.resumed).toBe(false);
    expect(second.reused).toBe(6);
    expect(await second.done).toMatchObject({ succeeded: 11 });
    // 6 bought by the first job, 5 by the second: nothing twice.
    expect((await ledger()).length - before).toBe(11);
    expect((await easel.jobStore().getJob(first.job.id))?.status).toBe('replaced');
    await easel.close();
  });

  it('a new budget on resume moves the cap and says so', async () => {
    const out = tmp();
    const easel = newEasel();
    const first = await easel.batch(prompts(10, 'raise'), { outDir: out, model: MODEL, budgetUsd: 0.003 * 4 });
    expect(await first.done).toMatchObject({ succeeded: 4, skipped: 6 });
    await easel.jobStore().resetFailed(first.job.id);
    const raised = await easel.batch(prompts(10, 'raise'), { outDir: out, model: MODEL, budgetUsd: 0.003 * 10 });
    expect(raised.budgetChange).toEqual({ from: 0.012, to: 0.03 });
    expect(await raised.done).toMatchObject({ succeeded: 10, skipped: 0 });
    expect((await easel.jobStore().getJob(first.job.id))?.options.budgetUsd).toBe(0.03);
    await easel.close();
  });
});
