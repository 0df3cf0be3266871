/**
 * The write-ahead intent is one per item: with `n` split into several calls, a call the vendor refuses
 * must not erase the intent while another call's submit is still unanswered — a crash then would leave
 * that call's vendor job with nothing to look for it on resume (bought again, or not marked). The
 * router's hooks are driven in the order a split item sees them, against a real SQLite job store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runItem } from '../../src/batch/run-item.js';
import type { RunContext } from '../../src/batch/run-context.js';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import type { BatchRunner, Item } from '../../src/batch/types.js';
import { Budget } from '../../src/budget/budget.js';
import { realClock } from '../../src/core/clock.js';
import { InvalidRequestError, ProviderUnavailableError } from '../../src/core/errors.js';
import type { RunHooks } from '../../src/router/hooks.js';

const MODEL = 'fal/flux/schnell';
const refusal = () => new InvalidRequestError('fal answered 400: refused', { provider: 'fal', model: MODEL, status: 400 });

/** One item run with `drive` standing in for the router; returns the item's intent at each `look()`. */
async function runWith(drive: (hooks: RunHooks, look: () => Promise<void>) => Promise<never>) {
  const dir = mkdtempSync(join(tmpdir(), 'easel-intent-'));
  const store = new SqliteJobStore(join(dir, 'jobs.db'));
  const job = await store.createJob({ id: 'job_intent', outDir: dir, source: 'items.jsonl', options: {} }, [
    { line: 1, request: { prompt: 'eight views of a teapot', model: MODEL, n: 8 } },
  ]);
  const seen: (string | undefined)[] = [];
  const look = async () => {
    // Let the item's queued writes land first (the error hook cannot wait for them).
    await new Promise((resolve) => setImmediate(resolve));
    seen.push((await store.item(job.id, 0))?.intent?.model);
  };
  const easel = { run: (_request, hooks) => drive(hooks!, look) } as Pick<BatchRunner, 'run'> as BatchRunner;
  const stopped = new AbortController();
  const context = {
    options: { outDir: dir },
    easel,
    store,
    budget: new Budget(),
    pacer: { observe: () => undefined },
    clock: { ...realClock, sleep: async () => undefined },
    outDir: dir,
    lineWidth: 1,
    signal: stopped.signal,
    stopping: stopped.signal,
    orphansTaken: new Set<string>(),
    pause: () => undefined,
    writeFile: async (path: string) => path,
  } as unknown as RunContext;
  const item = (await store.item(job.id, 0)) as Item;
  const outcome = await runItem(context, item);
  await store.close();
  return { seen, outcome };
}

describe('the write-ahead intent of a split item', () => {
  it('stays while another call of the item is on the wire, though one was refused', async () => {
    const { seen, outcome } = await runWith(async (hooks, look) => {
      await hooks.onSubmitting!(MODEL, 0);
      await hooks.onSubmitting!(MODEL, 1);
      hooks.onError!(refusal()); // call 1 refused; call 0's answer has not come back
      await look();
      await hooks.onSubmitted!(MODEL, 0, 'req-call-0');
      throw refusal();
    });
    expect(seen).toEqual([MODEL]);
    expect(outcome.status).toBe('failed');
  });

  it('goes once every call on the wire was refused', async () => {
    const { seen } = await runWith(async (hooks, look) => {
      await hooks.onSubmitting!(MODEL, 0);
      await hooks.onSubmitting!(MODEL, 1);
      hooks.onError!(refusal());
      await look();
      hooks.onError!(refusal());
      await look();
      throw refusal();
    });
    expect(seen).toEqual([MODEL, undefined]);
  });

  it('stays after a call ended without an answer (the vendor may have its job)', async () => {
    const { seen } = await runWith(async (hooks, look) => {
      await hooks.onSubmitting!(MODEL, 0);
      hooks.onError!(new ProviderUnavailableError('fal: connection reset', { provider: 'fal', model: MODEL }));
      await look();
      throw refusal();
    });
    expect(seen).toEqual([MODEL]);
  });
});
