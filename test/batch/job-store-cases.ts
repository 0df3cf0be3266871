/**
 * The JobStore contract, as the batch engine, the CLI and the gateway use it: one case file run for
 * every store implementation (SQLite here, a networked store beside it). Cases use the store only
 * through the interface.
 *
 * `open` connects to the same storage every time it is called, so a store closed and opened again
 * must show everything written before (durability). Cases keep apart by their own job ids and
 * output folders, so the storage need not start empty and cases may share it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageRequest } from '../../src/core/request.js';
import type { Item, ItemOutput, Job, JobStore } from '../../src/batch/types.js';

/** A name no other case (or earlier run on the same storage) uses. */
const fresh = (tag: string) => `${tag}-${randomUUID()}`;

const output = (files: string[], costUsd: number | null = 0.003): ItemOutput => ({
  files,
  model: 'fal/flux/schnell',
  seeds: files.map((_, k) => 1000 + k),
  sha256: files.map((_, k) => `${'ab'.repeat(31)}${String(k).padStart(2, '0')}`),
  costUsd,
  latencyMs: 1234.5,
  requestIds: files.map((_, k) => `req-${k}`),
  cached: false,
});

/**
 * Until the store's clock has moved on a millisecond (timestamps are kept to the millisecond):
 * "newest" between two writes is then well defined. Polls the clock; waits for nothing else.
 */
async function nextMillisecond(): Promise<void> {
  const now = new Date().toISOString();
  await vi.waitFor(() => expect(new Date().toISOString()).not.toBe(now), { interval: 1 });
}

export function jobStoreConformance(name: string, open: () => Promise<JobStore>): void {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** A new job with `count` items (`prompt i` on lines 10, 20, …) in its own folder unless given one. */
    const newJob = async (count = 3, outDir = `/conformance/${fresh('out')}`, request?: (i: number) => ImageRequest): Promise<Job> =>
      store.createJob(
        { id: fresh('job'), outDir, source: '/workloads/prompts.txt', options: { model: 'fal/flux/schnell', budgetUsd: 1.5, itemsHash: 'h' } },
        Array.from({ length: count }, (_, i) => ({ line: (i + 1) * 10, request: request?.(i) ?? { prompt: `prompt ${i}` } })),
      );
    const itemOf = async (job: Job, index: number): Promise<Item> => {
      const item = await store.item(job.id, index);
      expect(item, `item ${index} of ${job.id}`).toBeDefined();
      return item!;
    };

    it('creates a running job with pending items, and reads both back', async () => {
      const request: ImageRequest = {
        prompt: 'a lighthouse at dusk',
        model: 'replicate/black-forest-labs/flux-schnell',
        n: 2,
        size: '1024x1024',
        policy: { objective: 'cheapest', fallback: true },
        providerOptions: { replicate: { go_fast: true } },
      };
      const job = await newJob(2, undefined, (i) => (i === 0 ? request : { prompt: 'second' }));
      expect(job).toMatchObject({
        status: 'running',
        source: '/workloads/prompts.txt',
        options: { model: 'fal/flux/schnell', budgetUsd: 1.5, itemsHash: 'h' },
      });
      expect(Date.parse(job.createdAt)).not.toBeNaN();
      expect(job.updatedAt).toBe(job.createdAt);
      expect(await store.getJob(job.id)).toEqual(job);
      expect(await itemOf(job, 0)).toMatchObject({
        jobId: job.id,
        index: 0,
        line: 10,
        request,
        status: 'pending',
        submissions: [],
        costUsd: 0,
        possibleDuplicates: 0,
        parked: false,
      });
      const first = await itemOf(job, 0);
      expect(first.model).toBeUndefined();
      expect(first.output).toBeUndefined();
      expect(first.error).toBeUndefined();
      expect(first.intent).toBeUndefined();
      expect((await itemOf(job, 1)).request).toEqual({ prompt: 'second' });
    });

    it('answers undefined for a job or an item it does not have', async () => {
      const job = await newJob(1);
      expect(await store.getJob(fresh('missing'))).toBeUndefined();
      expect(await store.item(job.id, 1)).toBeUndefined();
      expect(await store.item(fresh('missing'), 0)).toBeUndefined();
      expect(await store.items(fresh('missing'))).toEqual([]);
      expect(await store.findUnfinished(`/conformance/${fresh('nowhere')}`)).toBeUndefined();
      expect(await store.findLatest(`/conformance/${fresh('nowhere')}`)).toBeUndefined();
      expect(await store.succeededIn(`/conformance/${fresh('nowhere')}`)).toEqual([]);
    });

    it('lists items by index, all of them or those in the statuses asked for', async () => {
      const job = await newJob(5);
      await store.succeed(job.id, 3, output(['040-a.png']), 0.003);
      await store.fail(job.id, 1, { code: 'content_policy', message: 'refused' }, 0);
      await store.skip(job.id, 4, 'would pass the cap', 0);
      await store.addSubmission(job.id, 2, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'v-2' });
      expect((await store.items(job.id)).map((i) => [i.index, i.status])).toEqual([
        [0, 'pending'],
        [1, 'failed'],
        [2, 'submitted'],
        [3, 'succeeded'],
        [4, 'skipped'],
      ]);
      expect((await store.items(job.id, ['pending', 'submitted'])).map((i) => i.index)).toEqual([0, 2]);
      expect((await store.items(job.id, ['failed', 'skipped'])).map((i) => i.index)).toEqual([1, 4]);
      expect(await store.items(job.id, ['succeeded'])).toHaveLength(1);
      // Another job's items never show.
      const other = await newJob(2);
      expect(await store.items(other.id)).toHaveLength(2);
      expect(await store.items(job.id)).toHaveLength(5);
    });

    it('write-ahead: the intent, then the vendor id, moves an item to submitted on that model', async () => {
      const job = await newJob(1);
      await store.markSubmitting(job.id, 0, 'replicate/black-forest-labs/flux-schnell', 1_700_000_000_123);
      expect(await itemOf(job, 0)).toMatchObject({ status: 'pending', intent: { model: 'replicate/black-forest-labs/flux-schnell', at: 1_700_000_000_123 } });
      await store.addSubmission(job.id, 0, { call: 0, model: 'replicate/black-forest-labs/flux-schnell', vendorRequestId: 'pred-0' });
      await store.addSubmission(job.id, 0, { call: 1, model: 'replicate/black-forest-labs/flux-schnell', vendorRequestId: 'pred-1' });
      let item = await itemOf(job, 0);
      expect(item).toMatchObject({ status: 'submitted', model: 'replicate/black-forest-labs/flux-schnell' });
      expect(item.submissions).toEqual([
        { call: 0, model: 'replicate/black-forest-labs/flux-schnell', vendorRequestId: 'pred-0' },
        { call: 1, model: 'replicate/black-forest-labs/flux-schnell', vendorRequestId: 'pred-1' },
      ]);
      // The intent stays until an outcome (or a refusal) clears it: a crash now still knows a call was under way.
      expect(item.intent).toEqual({ model: 'replicate/black-forest-labs/flux-schnell', at: 1_700_000_000_123 });
      // A call submitted again (a retry) replaces its own earlier id, never another call's.
      await store.addSubmission(job.id, 0, { call: 1, model: 'fal/flux/schnell', vendorRequestId: 'fal-1' });
      item = await itemOf(job, 0);
      expect(item.model).toBe('fal/flux/schnell');
      expect(item.submissions).toHaveLength(2);
      expect(item.submissions).toContainEqual({ call: 0, model: 'replicate/black-forest-labs/flux-schnell', vendorRequestId: 'pred-0' });
      expect(item.submissions).toContainEqual({ call: 1, model: 'fal/flux/schnell', vendorRequestId: 'fal-1' });
      await store.clearIntent(job.id, 0);
      expect((await itemOf(job, 0)).intent).toBeUndefined();
      expect((await itemOf(job, 0)).status).toBe('submitted');
    });

    it('succeed: output kept, intent and error cleared, cost added to what earlier attempts cost', async () => {
      const job = await newJob(1);
      await store.markSubmitting(job.id, 0, 'fal/flux/schnell', 1);
      await store.addCost(job.id, 0, 0.002);
      const out = output(['010-prompt-0-1.png', '010-prompt-0-2.png'], 0.006);
      await store.succeed(job.id, 0, out, 0.006);
      const item = await itemOf(job, 0);
      expect(item).toMatchObject({ status: 'succeeded', output: out });
      expect(item.costUsd).toBeCloseTo(0.008, 9);
      expect(item.intent).toBeUndefined();
      expect(item.error).toBeUndefined();
    });

    it('fail: error kept, vendor jobs and model forgotten (a retry starts afresh), cost added', async () => {
      const job = await newJob(1);
      await store.markSubmitting(job.id, 0, 'fal/flux/schnell', 1);
      await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'f-0' });
      await store.fail(job.id, 0, { code: 'content_policy', message: 'the prompt was refused' }, 0.001);
      const item = await itemOf(job, 0);
      expect(item).toMatchObject({ status: 'failed', error: { code: 'content_policy', message: 'the prompt was refused' }, submissions: [] });
      expect(item.costUsd).toBeCloseTo(0.001, 9);
      expect(item.model).toBeUndefined();
      expect(item.intent).toBeUndefined();
    });

    it('skip: a budget_exceeded error with the reason, cost added (none by default)', async () => {
      const job = await newJob(2);
      await store.skip(job.id, 0, 'line 10 (fal/flux/schnell) would pass the $1 cap');
      await store.skip(job.id, 1, 'refused after a paid attempt', 0.004);
      expect(await itemOf(job, 0)).toMatchObject({
        status: 'skipped',
        costUsd: 0,
        error: { code: 'budget_exceeded', message: 'line 10 (fal/flux/schnell) would pass the $1 cap' },
      });
      expect((await itemOf(job, 1)).costUsd).toBeCloseTo(0.004, 9);
    });

    it('addCost books money without moving the item; zero changes nothing', async () => {
      const job = await newJob(1);
      await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'f-0' });
      await store.addCost(job.id, 0, 0.1);
      await store.addCost(job.id, 0, 0.2);
      await store.addCost(job.id, 0, 0);
      const item = await itemOf(job, 0);
      expect(item.status).toBe('submitted');
      expect(item.submissions).toHaveLength(1);
      expect(item.costUsd).toBeCloseTo(0.3, 9);
    });

    it('dropSubmission forgets one vendor job; a submitted item with none left is pending again', async () => {
      const job = await newJob(2);
      await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'a' });
      await store.addSubmission(job.id, 0, { call: 1, model: 'fal/flux/schnell', vendorRequestId: 'b' });
      await store.dropSubmission(job.id, 0, 'a');
      expect(await itemOf(job, 0)).toMatchObject({ status: 'submitted', submissions: [{ call: 1, model: 'fal/flux/schnell', vendorRequestId: 'b' }] });
      // An id the item does not have changes nothing.
      await store.dropSubmission(job.id, 0, 'not-there');
      expect((await itemOf(job, 0)).submissions).toHaveLength(1);
      await store.dropSubmission(job.id, 0, 'b');
      expect(await itemOf(job, 0)).toMatchObject({ status: 'pending', submissions: [] });
      // An item that already has an outcome keeps it.
      await store.addSubmission(job.id, 1, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'c' });
      await store.succeed(job.id, 1, output(['020-prompt-1.png']), 0.003);
      await store.dropSubmission(job.id, 1, 'c');
      expect(await itemOf(job, 1)).toMatchObject({ status: 'succeeded', submissions: [] });
    });

    it('markPossibleDuplicate: the intent becomes a counted possible duplicate at its worst case', async () => {
      const job = await newJob(3);
      await store.markSubmitting(job.id, 0, 'openai/dall-e-2', 5);
      await store.markPossibleDuplicate(job.id, 0, 0.02);
      await store.markSubmitting(job.id, 0, 'openai/dall-e-2', 6);
      await store.markPossibleDuplicate(job.id, 0, 0.02);
      await store.markPossibleDuplicate(job.id, 1, 0);
      const item = await itemOf(job, 0);
      expect(item).toMatchObject({ status: 'pending', possibleDuplicates: 2 });
      expect(item.intent).toBeUndefined();
      expect(item.costUsd).toBeCloseTo(0.04, 9);
      // Counted per item, not per call.
      expect(await store.counts(job.id)).toMatchObject({ possibleDuplicates: 2, spentUsd: 0.04 });
    });

    it('park keeps the images and the output; unpark writes the outcome and drops the images', async () => {
      const job = await newJob(2);
      await store.markSubmitting(job.id, 0, 'fal/flux/schnell', 1);
      await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'f-0' });
      const images = [new Uint8Array([137, 80, 78, 71, 0, 255]), new Uint8Array(70_000).map((_, i) => i % 251)];
      const out = output(['010-prompt-0-1.png', '010-prompt-0-2.png'], 0.006);
      await store.park(job.id, 0, out, images, 0.006);
      const parked = await itemOf(job, 0);
      expect(parked).toMatchObject({ status: 'submitted', parked: true, output: out });
      expect(parked.intent).toBeUndefined();
      expect(parked.costUsd).toBeCloseTo(0.006, 9);
      const kept = await store.parkedImages(job.id, 0);
      expect(kept.map((bytes) => Array.from(bytes))).toEqual(images.map((bytes) => Array.from(bytes)));
      expect(kept.every((bytes) => bytes instanceof Uint8Array)).toBe(true);
      // A view into a larger buffer is stored as the view, not the whole buffer.
      const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
      await store.park(job.id, 1, output(['020-prompt-1.png']), [backing.subarray(2, 5)], 0);
      expect((await store.parkedImages(job.id, 1)).map((bytes) => Array.from(bytes))).toEqual([[1, 2, 3]]);
      expect(await store.parkedImages(job.id, 0).then((all) => all.length)).toBe(2);

      await store.unpark(job.id, 0, out);
      const written = await itemOf(job, 0);
      expect(written).toMatchObject({ status: 'succeeded', parked: false, output: out });
      // Unparking books nothing more: the money was booked when the images were parked.
      expect(written.costUsd).toBeCloseTo(0.006, 9);
      expect(await store.parkedImages(job.id, 0)).toEqual([]);
      expect(await store.parkedImages(job.id, 1)).toHaveLength(1);
    });

    it('counts every status, the total, the spend (to a millionth of a dollar) and possible duplicates', async () => {
      const job = await newJob(6);
      expect(await store.counts(job.id)).toEqual({
        pending: 6,
        submitted: 0,
        succeeded: 0,
        failed: 0,
        skipped: 0,
        total: 6,
        spentUsd: 0,
        possibleDuplicates: 0,
      });
      await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'x' });
      await store.succeed(job.id, 1, output(['a.png']), 0.1);
      await store.succeed(job.id, 2, output(['b.png']), 0.2);
      await store.fail(job.id, 3, { code: 'e', message: 'm' }, 0.0000004);
      await store.skip(job.id, 4, 'cap');
      await store.markPossibleDuplicate(job.id, 5, 0);
      expect(await store.counts(job.id)).toEqual({
        pending: 1,
        submitted: 1,
        succeeded: 2,
        failed: 1,
        skipped: 1,
        total: 6,
        spentUsd: 0.3,
        possibleDuplicates: 1,
      });
      // Another job's money is its own.
      expect((await store.counts((await newJob(1)).id)).spentUsd).toBe(0);
    });

    it('setStatus and setOptions change the job (and its updatedAt); items are untouched', async () => {
      const job = await newJob(2);
      await nextMillisecond();
      await store.setStatus(job.id, 'canceled');
      let stored = (await store.getJob(job.id))!;
      expect(stored.status).toBe('canceled');
      expect(stored.updatedAt > job.updatedAt).toBe(true);
      expect(stored.createdAt).toBe(job.createdAt);
      await store.setOptions(job.id, { ...job.options, budgetUsd: 3, concurrency: 8, allowUnpriced: true, policy: { objective: 'fastest' } });
      stored = (await store.getJob(job.id))!;
      expect(stored.options).toEqual({
        model: 'fal/flux/schnell',
        budgetUsd: 3,
        concurrency: 8,
        allowUnpriced: true,
        policy: { objective: 'fastest' },
        itemsHash: 'h',
      });
      expect(stored.status).toBe('canceled');
      expect(await store.counts(job.id)).toMatchObject({ pending: 2, total: 2 });
    });

    it('resetSkipped puts skipped items back (the cap was raised) and the job running again', async () => {
      const job = await newJob(4);
      await store.skip(job.id, 0, 'cap', 0.001);
      await store.skip(job.id, 1, 'cap');
      await store.fail(job.id, 2, { code: 'e', message: 'm' }, 0);
      await store.succeed(job.id, 3, output(['d.png']), 0.003);
      await store.setStatus(job.id, 'done');
      expect(await store.resetSkipped(job.id)).toBe(2);
      expect((await store.items(job.id)).map((i) => i.status)).toEqual(['pending', 'pending', 'failed', 'succeeded']);
      expect((await itemOf(job, 0)).error).toBeUndefined();
      // What the skipped item's attempts cost stays booked.
      expect((await itemOf(job, 0)).costUsd).toBeCloseTo(0.001, 9);
      expect((await store.getJob(job.id))!.status).toBe('running');
      // Nothing to reset: the job's status is left alone.
      await store.setStatus(job.id, 'done');
      expect(await store.resetSkipped(job.id)).toBe(0);
      expect((await store.getJob(job.id))!.status).toBe('done');
    });

    it('resetFailed puts failed and skipped items back (`retry-failed`) and the job running again', async () => {
      const job = await newJob(4);
      await store.fail(job.id, 0, { code: 'e', message: 'm' }, 0);
      await store.skip(job.id, 1, 'cap');
      await store.succeed(job.id, 2, output(['c.png']), 0.003);
      await store.setStatus(job.id, 'canceled');
      expect(await store.resetFailed(job.id)).toBe(2);
      expect((await store.items(job.id)).map((i) => i.status)).toEqual(['pending', 'pending', 'succeeded', 'pending']);
      expect((await itemOf(job, 0)).error).toBeUndefined();
      expect((await store.getJob(job.id))!.status).toBe('running');
      await store.setStatus(job.id, 'done');
      expect(await store.resetFailed(job.id)).toBe(0);
      expect((await store.getJob(job.id))!.status).toBe('done');
    });

    it('findUnfinished: the newest running or canceled job of the folder; findLatest: the newest of any status', async () => {
      const outDir = `/conformance/${fresh('folder')}`;
      const older = await newJob(1, outDir);
      const newer = await newJob(1, outDir);
      const elsewhere = await newJob(1);
      expect((await store.findUnfinished(outDir))?.id).toBe(newer.id);
      expect((await store.findLatest(outDir))?.id).toBe(newer.id);
      await store.setStatus(newer.id, 'replaced');
      expect((await store.findUnfinished(outDir))?.id).toBe(older.id);
      expect((await store.findLatest(outDir))?.id).toBe(newer.id);
      await store.setStatus(older.id, 'canceled');
      expect((await store.findUnfinished(outDir))?.id).toBe(older.id);
      await store.setStatus(older.id, 'done');
      expect(await store.findUnfinished(outDir)).toBeUndefined();
      expect(await store.findLatest(outDir)).toMatchObject({ id: newer.id, status: 'replaced' });
      expect((await store.findUnfinished(elsewhere.outDir))?.id).toBe(elsewhere.id);
    });

    it('succeededIn: succeeded items of every job of the folder, newest first', async () => {
      const outDir = `/conformance/${fresh('folder')}`;
      const first = await newJob(3, outDir);
      const second = await newJob(2, outDir);
      const elsewhere = await newJob(1);
      await store.succeed(first.id, 0, output(['first-0.png']), 0.003);
      await nextMillisecond();
      await store.succeed(second.id, 1, output(['second-1.png']), 0.003);
      await nextMillisecond();
      await store.succeed(first.id, 2, output(['first-2.png']), 0.003);
      await store.fail(first.id, 1, { code: 'e', message: 'm' }, 0);
      await store.succeed(elsewhere.id, 0, output(['elsewhere.png']), 0.003);
      const found = await store.succeededIn(outDir);
      expect(found.map((i) => [i.jobId, i.index])).toEqual([
        [first.id, 2],
        [second.id, 1],
        [first.id, 0],
      ]);
      expect(found[0]).toMatchObject({ status: 'succeeded', output: { files: ['first-2.png'] }, request: { prompt: 'prompt 2' } });
    });

    it('listJobs: every job, newest first, each with its counts', async () => {
      const a = await newJob(2);
      const b = await newJob(3);
      await store.succeed(b.id, 0, output(['x.png']), 0.25);
      const listed = (await store.listJobs()).filter((job) => job.id === a.id || job.id === b.id);
      expect(listed.map((job) => job.id)).toEqual([b.id, a.id]);
      expect(listed[0]).toMatchObject({ ...b, counts: { succeeded: 1, pending: 2, total: 3, spentUsd: 0.25 } });
      expect(listed[1]!.counts).toMatchObject({ pending: 2, total: 2, spentUsd: 0 });
    });

    it('keeps everything when closed and opened again', async () => {
      const job = await newJob(4);
      await store.setOptions(job.id, { ...job.options, budgetUsd: 9 });
      await store.markSubmitting(job.id, 0, 'fal/flux/schnell', 42);
      await store.addSubmission(job.id, 0, { call: 0, model: 'fal/flux/schnell', vendorRequestId: 'kept-0' });
      await store.succeed(job.id, 1, output(['b.png']), 0.003);
      await store.park(job.id, 2, output(['c.png']), [new Uint8Array([1, 2, 3])], 0.003);
      await store.markSubmitting(job.id, 3, 'openai/dall-e-2', 43);
      await store.markPossibleDuplicate(job.id, 3, 0.02);
      await store.setStatus(job.id, 'canceled');
      const before = { job: await store.getJob(job.id), items: await store.items(job.id), counts: await store.counts(job.id) };

      await store.close();
      store = await open();
      expect(await store.getJob(job.id)).toEqual(before.job);
      expect(await store.items(job.id)).toEqual(before.items);
      expect(await store.counts(job.id)).toEqual(before.counts);
      expect((await store.parkedImages(job.id, 2)).map((bytes) => Array.from(bytes))).toEqual([[1, 2, 3]]);
      expect((await itemOf(job, 0)).intent).toEqual({ model: 'fal/flux/schnell', at: 42 });
      expect((await store.findUnfinished(job.outDir))?.id).toBe(job.id);
    });

    it('concurrent calls on one item lose none of each other’s writes', async () => {
      const job = await newJob(1);
      // A split `n`: every call's vendor id arrives at once.
      await Promise.all(
        Array.from({ length: 12 }, (_, call) => store.addSubmission(job.id, 0, { call, model: 'fal/flux/schnell', vendorRequestId: `v-${call}` })),
      );
      const item = await itemOf(job, 0);
      expect(item.submissions.map((s) => s.call).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, call) => call));
      await Promise.all([
        ...Array.from({ length: 10 }, () => store.addCost(job.id, 0, 0.001)),
        ...Array.from({ length: 5 }, () => store.markPossibleDuplicate(job.id, 0, 0.01)),
        ...Array.from({ length: 6 }, (_, call) => store.dropSubmission(job.id, 0, `v-${call * 2}`)),
      ]);
      const after = await itemOf(job, 0);
      expect(after.costUsd).toBeCloseTo(0.06, 9);
      expect(after.possibleDuplicates).toBe(5);
      expect(after.submissions.map((s) => s.vendorRequestId).sort()).toEqual(['v-1', 'v-11', 'v-3', 'v-5', 'v-7', 'v-9']);
    });

    it('concurrent calls from two connections (workers sharing the store) on many jobs and items', async () => {
      const other = await open();
      try {
        const outDir = `/conformance/${fresh('shared')}`;
        const jobs = await Promise.all(
          Array.from({ length: 6 }, (_, j) =>
            (j % 2 ? other : store).createJob({ id: fresh(`job${j}`), outDir, source: 's', options: {} }, [
              { line: 1, request: { prompt: `j${j} a` } },
              { line: 2, request: { prompt: `j${j} b` } },
            ]),
          ),
        );
        await Promise.all(
          jobs.flatMap((job, j) => [
            (j % 2 ? store : other).succeed(job.id, 0, output([`${j}-a.png`]), 0.5),
            (j % 2 ? other : store).addSubmission(job.id, 1, { call: 0, model: 'fal/flux/schnell', vendorRequestId: `${j}-b` }),
            store.addCost(job.id, 1, 0.25),
            other.addCost(job.id, 1, 0.25),
          ]),
        );
        for (const job of jobs) {
          for (const reader of [store, other]) {
            expect(await reader.counts(job.id)).toMatchObject({ succeeded: 1, submitted: 1, total: 2, spentUsd: 1 });
          }
        }
        expect((await store.listJobs()).filter((job) => job.outDir === outDir)).toHaveLength(6);
        expect(await other.succeededIn(outDir)).toHaveLength(6);
      } finally {
        await other.close();
      }
    });
  });
}
