/**
 * An item's store writes land in the order they were asked for, even when the store answers some
 * slower than others (a networked store) and even when the caller did not wait (the router's
 * synchronous error hook): a refusal's `clearIntent` never erases the intent of the call after it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ItemRecord } from '../../src/batch/item-record.js';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import type { Job, JobStore } from '../../src/batch/types.js';

let store: JobStore;
let job: Job;
beforeEach(async () => {
  store = new SqliteJobStore(join(mkdtempSync(join(tmpdir(), 'easel-item-record-')), 'jobs.db'));
  job = await store.createJob({ id: 'job_record', outDir: '/out', source: 'test', options: {} }, [{ line: 1, request: { prompt: 'p' } }]);
});
afterEach(() => store.close());

/** The store, with `method` held until `release()` (or failing with `error` once released, when given). */
function held(method: keyof JobStore, error?: Error): { store: JobStore; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const wrapped = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        await gate;
        if (error) throw error;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, release };
}

describe('ItemRecord', () => {
  it('a write nobody waited for lands before the write asked for after it', async () => {
    const slow = held('clearIntent');
    const record = new ItemRecord(slow.store, job.id, 0);
    await record.markSubmitting('openai/dall-e-2', 1);
    // The router's error hook: the first call was refused, and it does not wait.
    void record.clearIntent();
    // The next call's intent is asked for while the clear is still on its way.
    const next = record.markSubmitting('openai/dall-e-2', 2);
    slow.release();
    await next;
    expect((await store.item(job.id, 0))!.intent).toEqual({ model: 'openai/dall-e-2', at: 2 });
  });

  it('a read sees every write asked for before it', async () => {
    await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'failed-at-vendor' });
    const slow = held('dropSubmission');
    const record = new ItemRecord(slow.store, job.id, 0);
    void record.dropSubmission('failed-at-vendor');
    const reading = record.read();
    slow.release();
    expect(await reading).toMatchObject({ status: 'pending', submissions: [] });
  });

  it('a write that fails fails the writes and reads after it, and is never an unhandled rejection', async () => {
    const failing = held('clearIntent', new Error('disk full'));
    const record = new ItemRecord(failing.store, job.id, 0);
    await record.markSubmitting('openai/dall-e-2', 1);
    void record.clearIntent();
    failing.release();
    // Nothing more is submitted for an item the store cannot record.
    await expect(record.markSubmitting('openai/dall-e-2', 2)).rejects.toThrow('disk full');
    await expect(record.read()).rejects.toThrow('disk full');
    expect((await store.item(job.id, 0))!.intent).toEqual({ model: 'openai/dall-e-2', at: 1 });
  });
});
