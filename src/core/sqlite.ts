/**
 * The one way every easel store opens SQLite (job store, result cache index, gateway keys, webhook
 * replay records): its folder created, a lock held by another process waited for (set before
 * anything that locks), WAL with synchronous NORMAL (a committed change survives the process being
 * killed, which is what resume is for, without an fsync per write; only a power cut can lose the
 * last moments), the schema set up, and any failure on the way turned into one StoreError line.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { statementCache } from './statements.js';
import { storeError } from './store-errors.js';

export interface OpenedSqlite {
  db: Database.Database;
  /** Prepared statements, kept per SQL text. */
  sql: (sql: string) => Database.Statement;
}

/**
 * @param what the store's name in error lines (`job store`, `gateway key store` …).
 * @param setUp creates or migrates the schema; runs inside the same error handling.
 */
export function openSqlite(path: string, what: string, setUp: (db: Database.Database) => void): OpenedSqlite {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    setUp(db);
  } catch (error) {
    try {
      db?.close();
    } catch {
      // The open failed; that error is the one to report.
    }
    throw storeError(error, path, what);
  }
  return { db, sql: statementCache(db) };
}
