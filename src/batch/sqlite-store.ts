/**
 * The embedded job store: one SQLite file (WAL) under the state folder. Every state change is one
 * statement, so a process killed at any point leaves each item in a state resume understands.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { statementCache } from '../core/statements.js';
import type { ImageRequest } from '../core/request.js';
import type { Item, ItemOutput, ItemStatus, Job, JobCounts, JobStatus, JobStore, Submission } from './types.js';

interface JobRow {
  id: string;
  out_dir: string;
  source: string;
  options: string;
  status: JobStatus;
  created_at: string;
  updated_at: string;
}

interface ItemRow {
  job_id: string;
  idx: number;
  line: number;
  request: string;
  status: ItemStatus;
  model: string | null;
  submissions: string;
  output: string | null;
  error: string | null;
  cost_usd: number;
  intent: string | null;
  updated_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  out_dir TEXT NOT NULL,
  source TEXT NOT NULL,
  options TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_out_dir ON jobs (out_dir, status);
CREATE TABLE IF NOT EXISTS items (
  job_id TEXT NOT NULL REFERENCES jobs (id),
  idx INTEGER NOT NULL,
  line INTEGER NOT NULL,
  request TEXT NOT NULL,
  status TEXT NOT NULL,
  model TEXT,
  submissions TEXT NOT NULL DEFAULT '[]',
  output TEXT,
  error TEXT,
  cost_usd REAL NOT NULL DEFAULT 0,
  intent TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS items_status ON items (job_id, status);
`;

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  private readonly sql: (sql: string) => Database.Statement;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.sql = statementCache(this.db);
    this.db.pragma('journal_mode = WAL');
    // NORMAL with WAL: a committed state change survives the process being killed (what resume is
    // for) without an fsync per item; only a power cut can lose the last moments' commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  createJob(job: Omit<Job, 'createdAt' | 'updatedAt' | 'status'>, items: { line: number; request: ImageRequest }[]): Job {
    const now = new Date().toISOString();
    const insertItem = this.sql('INSERT INTO items (job_id, idx, line, request, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.sql('INSERT INTO jobs (id, out_dir, source, options, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(job.id, job.outDir, job.source, JSON.stringify(job.options), 'running', now, now);
      items.forEach((item, index) => insertItem.run(job.id, index, item.line, JSON.stringify(item.request), 'pending', now));
    })();
    return { ...job, status: 'running', createdAt: now, updatedAt: now };
  }

  getJob(id: string): Job | undefined {
    const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  findUnfinished(outDir: string): Job | undefined {
    const row = this.sql("SELECT * FROM jobs WHERE out_dir = ? AND status = 'running' ORDER BY created_at DESC LIMIT 1").get(outDir) as JobRow | undefined;
    return row && toJob(row);
  }

  findLatest(outDir: string): Job | undefined {
    const row = this.sql('SELECT * FROM jobs WHERE out_dir = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(outDir) as JobRow | undefined;
    return row && toJob(row);
  }

  listJobs(): (Job & { counts: JobCounts })[] {
    const rows = this.sql('SELECT * FROM jobs ORDER BY created_at DESC').all() as JobRow[];
    return rows.map((row) => ({ ...toJob(row), counts: this.counts(row.id) }));
  }

  counts(jobId: string): JobCounts {
    const rows = this.sql('SELECT status, COUNT(*) AS n, SUM(cost_usd) AS usd FROM items WHERE job_id = ? GROUP BY status').all(jobId) as { status: ItemStatus; n: number; usd: number }[];
    const counts: JobCounts = { pending: 0, submitted: 0, succeeded: 0, failed: 0, skipped: 0, total: 0, spentUsd: 0 };
    for (const row of rows) {
      counts[row.status] = row.n;
      counts.total += row.n;
      counts.spentUsd += row.usd ?? 0;
    }
    counts.spentUsd = Math.round(counts.spentUsd * 1e6) / 1e6;
    return counts;
  }

  items(jobId: string, statuses?: readonly ItemStatus[]): Item[] {
    const rows = statuses
      ? (this.sql(`SELECT * FROM items WHERE job_id = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY idx`).all(jobId, ...statuses) as ItemRow[])
      : (this.sql('SELECT * FROM items WHERE job_id = ? ORDER BY idx').all(jobId) as ItemRow[]);
    return rows.map(toItem);
  }

  markSubmitting(jobId: string, index: number, model: string, at: number): void {
    this.update(jobId, index, 'intent = ?', [JSON.stringify({ model, at })]);
  }

  addSubmission(jobId: string, index: number, submission: Submission): void {
    this.db.transaction(() => {
      const row = this.sql('SELECT submissions FROM items WHERE job_id = ? AND idx = ?').get(jobId, index) as { submissions: string } | undefined;
      const submissions = [...(JSON.parse(row?.submissions ?? '[]') as Submission[]).filter((s) => s.call !== submission.call), submission];
      this.db
        .prepare("UPDATE items SET status = 'submitted', model = ?, submissions = ?, updated_at = ? WHERE job_id = ? AND idx = ?")
        .run(submission.model, JSON.stringify(submissions), new Date().toISOString(), jobId, index);
    })();
  }

  succeed(jobId: string, index: number, output: ItemOutput, costUsd: number): void {
    this.update(jobId, index, "status = 'succeeded', output = ?, error = NULL, intent = NULL, cost_usd = cost_usd + ?", [JSON.stringify(output), costUsd]);
  }

  fail(jobId: string, index: number, error: { code: string; message: string }, costUsd: number): void {
    this.update(jobId, index, "status = 'failed', error = ?, submissions = '[]', model = NULL, intent = NULL, cost_usd = cost_usd + ?", [JSON.stringify(error), costUsd]);
  }

  skip(jobId: string, index: number, reason: string): void {
    this.update(jobId, index, "status = 'skipped', error = ?", [JSON.stringify({ code: 'budget_exceeded', message: reason })]);
  }

  resetFailed(jobId: string): number {
    const info = this.sql("UPDATE items SET status = 'pending', error = NULL, updated_at = ? WHERE job_id = ? AND status IN ('failed', 'skipped')").run(new Date().toISOString(), jobId);
    if (info.changes > 0) this.setStatus(jobId, 'running');
    return info.changes;
  }

  setStatus(jobId: string, status: JobStatus): void {
    this.sql('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?').run(status, new Date().toISOString(), jobId);
  }

  close(): void {
    this.db.close();
  }

  private update(jobId: string, index: number, set: string, values: unknown[]): void {
    this.sql(`UPDATE items SET ${set}, updated_at = ? WHERE job_id = ? AND idx = ?`).run(...values, new Date().toISOString(), jobId, index);
  }
}

function toJob(row: JobRow): Job {
  return { id: row.id, outDir: row.out_dir, source: row.source, options: JSON.parse(row.options), status: row.status, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toItem(row: ItemRow): Item {
  return {
    jobId: row.job_id,
    index: row.idx,
    line: row.line,
    request: JSON.parse(row.request),
    status: row.status,
    model: row.model ?? undefined,
    submissions: JSON.parse(row.submissions),
    output: row.output ? JSON.parse(row.output) : undefined,
    error: row.error ? JSON.parse(row.error) : undefined,
    costUsd: row.cost_usd,
    intent: row.intent ? JSON.parse(row.intent) : undefined,
    updatedAt: row.updated_at,
  };
}
