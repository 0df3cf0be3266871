/**
 * The job store's SQLite tables: how they are made (and brought up to date for stores made before a
 * column existed), and how their rows read back as jobs and items.
 */
import type Database from 'better-sqlite3';
import type { Item, ItemStatus, Job, JobStatus } from './types.js';

export interface JobRow {
  id: string;
  out_dir: string;
  source: string;
  options: string;
  status: JobStatus;
  created_at: string;
  updated_at: string;
}

export interface ItemRow {
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
  possible_duplicates: number;
  parked: number;
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
CREATE TABLE IF NOT EXISTS parked (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  k INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (job_id, idx, k)
);
`;

/** Columns added after the first release: stores made before them get them on open. */
const ADDED_ITEM_COLUMNS: Record<string, string> = {
  possible_duplicates: 'INTEGER NOT NULL DEFAULT 0',
  parked: 'INTEGER NOT NULL DEFAULT 0',
};

/** Creates the tables, and adds the columns a store made by an older easel lacks. */
export function setUpJobTables(db: Database.Database): void {
  db.exec(SCHEMA);
  const columns = new Set((db.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of Object.entries(ADDED_ITEM_COLUMNS)) if (!columns.has(name)) db.exec(`ALTER TABLE items ADD COLUMN ${name} ${type}`);
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    outDir: row.out_dir,
    source: row.source,
    options: JSON.parse(row.options),
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toItem(row: ItemRow): Item {
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
    possibleDuplicates: row.possible_duplicates ?? 0,
    parked: row.parked === 1,
    updatedAt: row.updated_at,
  };
}
