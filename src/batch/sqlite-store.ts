/**
 * The embedded job store: one SQLite file (WAL) under the state folder. Every state change is one
 * statement (or one transaction), so a process killed at any point leaves each item in a state resume
 * understands. better-sqlite3 is synchronous: each method does its work when called and returns it
 * as a settled Promise, so a write is on disk when its Promise resolves and calls apply in call order.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from '../core/sqlite.js';
import { guardStore } from '../core/store-errors.js';
import type { ImageRequest } from '../core/request.js';
import { type ItemRow, type JobRow, setUpJobTables, toItem, toJob } from './sqlite-schema.js';
import type { Item, ItemOutput, ItemStatus, Job, JobCounts, JobOptions, JobStatus, JobStore, Submission } from './types.js';

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  private readonly sql: (sql: string) => Database.Statement;

  constructor(path: string) {
    ({ db: this.db, sql: this.sql } = openSqlite(path, 'job store', setUpJobTables));
    // Every later query reports a corrupt page, a lock or a read-only file the same way.
    return guardStore(this, path, 'job store', { asynchronous: true });
  }

  async createJob(job: Omit<Job, 'createdAt' | 'updatedAt' | 'status'>, items: { line: number; request: ImageRequest }[]): Promise<Job> {
    const now = new Date().toISOString();
    const insertItem = this.sql('INSERT INTO items (job_id, idx, line, request, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.sql('INSERT INTO jobs (id, out_dir, source, options, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        job.id,
        job.outDir,
        job.source,
        JSON.stringify(job.options),
        'running',
        now,
        now,
      );
      items.forEach((item, index) => insertItem.run(job.id, index, item.line, JSON.stringify(item.request), 'pending', now));
    })();
    return { ...job, status: 'running', createdAt: now, updatedAt: now };
  }

  async getJob(id: string): Promise<Job | undefined> {
    const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  async findUnfinished(outDir: string): Promise<Job | undefined> {
    const row = this.sql("SELECT * FROM jobs WHERE out_dir = ? AND status IN ('running', 'canceled') ORDER BY created_at DESC, rowid DESC LIMIT 1").get(
      outDir,
    ) as JobRow | undefined;
    return row && toJob(row);
  }

  async succeededIn(outDir: string): Promise<Item[]> {
    const rows = this.sql(
      "SELECT items.* FROM items JOIN jobs ON jobs.id = items.job_id WHERE jobs.out_dir = ? AND items.status = 'succeeded' ORDER BY items.updated_at DESC",
    ).all(outDir) as ItemRow[];
    return rows.map(toItem);
  }

  async item(jobId: string, index: number): Promise<Item | undefined> {
    return this.readItem(jobId, index);
  }

  async setOptions(jobId: string, options: JobOptions): Promise<void> {
    this.sql('UPDATE jobs SET options = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(options), new Date().toISOString(), jobId);
  }

  async findLatest(outDir: string): Promise<Job | undefined> {
    const row = this.sql('SELECT * FROM jobs WHERE out_dir = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(outDir) as JobRow | undefined;
    return row && toJob(row);
  }

  async listJobs(): Promise<(Job & { counts: JobCounts })[]> {
    const rows = this.sql('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC').all() as JobRow[];
    return rows.map((row) => ({ ...toJob(row), counts: this.countsOf(row.id) }));
  }

  async counts(jobId: string): Promise<JobCounts> {
    return this.countsOf(jobId);
  }

  private countsOf(jobId: string): JobCounts {
    const rows = this.sql(
      'SELECT status, COUNT(*) AS n, SUM(cost_usd) AS usd, SUM(possible_duplicates > 0) AS dup FROM items WHERE job_id = ? GROUP BY status',
    ).all(jobId) as { status: ItemStatus; n: number; usd: number; dup: number }[];
    const counts: JobCounts = { pending: 0, submitted: 0, succeeded: 0, failed: 0, skipped: 0, total: 0, spentUsd: 0, possibleDuplicates: 0 };
    for (const row of rows) {
      counts[row.status] = row.n;
      counts.total += row.n;
      counts.spentUsd += row.usd ?? 0;
      counts.possibleDuplicates += row.dup ?? 0;
    }
    counts.spentUsd = Math.round(counts.spentUsd * 1e6) / 1e6;
    return counts;
  }

  async items(jobId: string, statuses?: readonly ItemStatus[]): Promise<Item[]> {
    const rows = statuses
      ? (this.sql(`SELECT * FROM items WHERE job_id = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY idx`).all(
          jobId,
          ...statuses,
        ) as ItemRow[])
      : (this.sql('SELECT * FROM items WHERE job_id = ? ORDER BY idx').all(jobId) as ItemRow[]);
    return rows.map(toItem);
  }

  async markSubmitting(jobId: string, index: number, model: string, at: number): Promise<void> {
    this.update(jobId, index, 'intent = ?', [JSON.stringify({ model, at })]);
  }

  async addSubmission(jobId: string, index: number, submission: Submission): Promise<void> {
    this.db.transaction(() => {
      const row = this.sql('SELECT submissions FROM items WHERE job_id = ? AND idx = ?').get(jobId, index) as { submissions: string } | undefined;
      const submissions = [...(JSON.parse(row?.submissions ?? '[]') as Submission[]).filter((s) => s.call !== submission.call), submission];
      this.sql("UPDATE items SET status = 'submitted', model = ?, submissions = ?, updated_at = ? WHERE job_id = ? AND idx = ?").run(
        submission.model,
        JSON.stringify(submissions),
        new Date().toISOString(),
        jobId,
        index,
      );
    })();
  }

  async succeed(jobId: string, index: number, output: ItemOutput, costUsd: number): Promise<void> {
    this.update(jobId, index, "status = 'succeeded', output = ?, error = NULL, intent = NULL, cost_usd = cost_usd + ?", [JSON.stringify(output), costUsd]);
  }

  async fail(jobId: string, index: number, error: { code: string; message: string }, costUsd: number): Promise<void> {
    this.update(jobId, index, "status = 'failed', error = ?, submissions = '[]', model = NULL, intent = NULL, cost_usd = cost_usd + ?", [
      JSON.stringify(error),
      costUsd,
    ]);
  }

  async skip(jobId: string, index: number, reason: string, costUsd = 0): Promise<void> {
    this.update(jobId, index, "status = 'skipped', error = ?, cost_usd = cost_usd + ?", [
      JSON.stringify({ code: 'budget_exceeded', message: reason }),
      costUsd,
    ]);
  }

  async addCost(jobId: string, index: number, costUsd: number): Promise<void> {
    if (costUsd !== 0) this.update(jobId, index, 'cost_usd = cost_usd + ?', [costUsd]);
  }

  async dropSubmission(jobId: string, index: number, vendorRequestId: string): Promise<void> {
    this.db.transaction(() => {
      const item = this.readItem(jobId, index);
      if (!item || !item.submissions.some((s) => s.vendorRequestId === vendorRequestId)) return;
      const rest = item.submissions.filter((s) => s.vendorRequestId !== vendorRequestId);
      this.update(jobId, index, 'submissions = ?, status = ?', [
        JSON.stringify(rest),
        rest.length > 0 || item.status !== 'submitted' ? item.status : 'pending',
      ]);
    })();
  }

  async clearIntent(jobId: string, index: number): Promise<void> {
    this.update(jobId, index, 'intent = NULL', []);
  }

  async markPossibleDuplicate(jobId: string, index: number, worstUsd: number): Promise<void> {
    this.update(jobId, index, 'intent = NULL, possible_duplicates = possible_duplicates + 1, cost_usd = cost_usd + ?', [worstUsd]);
  }

  async park(jobId: string, index: number, output: ItemOutput, images: Uint8Array[], costUsd: number): Promise<void> {
    const insert = this.sql('INSERT OR REPLACE INTO parked (job_id, idx, k, bytes) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      images.forEach((bytes, k) => insert.run(jobId, index, k, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
      this.update(jobId, index, "status = 'submitted', parked = 1, output = ?, intent = NULL, cost_usd = cost_usd + ?", [JSON.stringify(output), costUsd]);
    })();
  }

  async parkedImages(jobId: string, index: number): Promise<Uint8Array[]> {
    const rows = this.sql('SELECT bytes FROM parked WHERE job_id = ? AND idx = ? ORDER BY k').all(jobId, index) as { bytes: Buffer }[];
    return rows.map((r) => new Uint8Array(r.bytes));
  }

  async unpark(jobId: string, index: number, output: ItemOutput): Promise<void> {
    this.db.transaction(() => {
      this.update(jobId, index, "status = 'succeeded', parked = 0, output = ?, error = NULL, intent = NULL", [JSON.stringify(output)]);
      this.sql('DELETE FROM parked WHERE job_id = ? AND idx = ?').run(jobId, index);
    })();
  }

  async resetFailed(jobId: string): Promise<number> {
    return this.db.transaction(() => {
      const info = this.sql("UPDATE items SET status = 'pending', error = NULL, updated_at = ? WHERE job_id = ? AND status IN ('failed', 'skipped')").run(
        new Date().toISOString(),
        jobId,
      );
      if (info.changes > 0) this.writeStatus(jobId, 'running');
      return info.changes;
    })();
  }

  async resetSkipped(jobId: string): Promise<number> {
    return this.db.transaction(() => {
      const info = this.sql("UPDATE items SET status = 'pending', error = NULL, updated_at = ? WHERE job_id = ? AND status = 'skipped'").run(
        new Date().toISOString(),
        jobId,
      );
      if (info.changes > 0) this.writeStatus(jobId, 'running');
      return info.changes;
    })();
  }

  async setStatus(jobId: string, status: JobStatus): Promise<void> {
    this.writeStatus(jobId, status);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // Sync helpers for the methods above: inside a transaction nothing may wait.
  private readItem(jobId: string, index: number): Item | undefined {
    const row = this.sql('SELECT * FROM items WHERE job_id = ? AND idx = ?').get(jobId, index) as ItemRow | undefined;
    return row && toItem(row);
  }

  private writeStatus(jobId: string, status: JobStatus): void {
    this.sql('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?').run(status, new Date().toISOString(), jobId);
  }

  private update(jobId: string, index: number, set: string, values: unknown[]): void {
    this.sql(`UPDATE items SET ${set}, updated_at = ? WHERE job_id = ? AND idx = ?`).run(...values, new Date().toISOString(), jobId, index);
  }
}
