/**
 * One batch item's record in the job store, written in the order its changes were asked for. The
 * router's error hook is synchronous and cannot wait for a write, yet what it writes must land before
 * the item's next write-ahead intent (a `clearIntent` landing after the next `markSubmitting` would
 * erase the record of a call in flight) and before the item reads its vendor jobs back for its next
 * attempt. So every write of the item goes through one queue. A write that fails fails every later
 * one — nothing more is submitted for an item the store cannot record — and the next read reports it.
 */
import type { Item, ItemOutput, JobStore, Submission } from './types.js';

export class ItemRecord {
  private tail: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly jobId: string,
    private readonly index: number,
  ) {}

  /** The item as stored once every change asked for so far is durable (rejects with the first that failed). */
  async read(): Promise<Item | undefined> {
    await this.tail;
    if (this.failure) throw this.failure.error;
    return this.store.item(this.jobId, this.index);
  }

  markSubmitting(model: string, at: number): Promise<void> {
    return this.write((s) => s.markSubmitting(this.jobId, this.index, model, at));
  }

  addSubmission(submission: Submission): Promise<void> {
    return this.write((s) => s.addSubmission(this.jobId, this.index, submission));
  }

  clearIntent(): Promise<void> {
    return this.write((s) => s.clearIntent(this.jobId, this.index));
  }

  dropSubmission(vendorRequestId: string): Promise<void> {
    return this.write((s) => s.dropSubmission(this.jobId, this.index, vendorRequestId));
  }

  succeed(output: ItemOutput, costUsd: number): Promise<void> {
    return this.write((s) => s.succeed(this.jobId, this.index, output, costUsd));
  }

  fail(error: { code: string; message: string }, costUsd: number): Promise<void> {
    return this.write((s) => s.fail(this.jobId, this.index, error, costUsd));
  }

  skip(reason: string, costUsd: number): Promise<void> {
    return this.write((s) => s.skip(this.jobId, this.index, reason, costUsd));
  }

  addCost(costUsd: number): Promise<void> {
    return this.write((s) => s.addCost(this.jobId, this.index, costUsd));
  }

  park(output: ItemOutput, images: Uint8Array[], costUsd: number): Promise<void> {
    return this.write((s) => s.park(this.jobId, this.index, output, images, costUsd));
  }

  /** Queues a change after those already asked for; resolves once it is durable. */
  private write(change: (store: JobStore) => Promise<void>): Promise<void> {
    const done = this.tail.then(() => {
      if (this.failure) throw this.failure.error;
      return change(this.store);
    });
    // The queue goes on past a failure (kept once, for later writes and reads), so a write that a
    // synchronous hook did not wait for never becomes an unhandled rejection.
    this.tail = done.catch((error: unknown) => {
      this.failure ??= { error };
    });
    return done;
  }
}
