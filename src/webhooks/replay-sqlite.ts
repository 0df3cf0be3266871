/**
 * Webhook replay records in SQLite: the gateway keeps them in its own database (`gateway.db`, a
 * table beside the keys), so a delivery accepted before a restart is still refused after it, and
 * gateway processes sharing the state folder share the records. One statement claims a delivery, so
 * two processes receiving the same delivery at once cannot both accept it.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from '../core/sqlite.js';
import type { ReplayStore } from './replay.js';

export interface SqliteReplayStoreOptions {
  /**
   * Bound on rows, enforced when expired rows are pruned (once a minute): past it the records closest
   * to expiring are dropped. Default 1 000 000.
   */
  maxEntries?: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

/** Expired rows are pruned at most this often, by the claim that finds the last prune this old. */
const PRUNE_EVERY_MS = 60_000;

export class SqliteReplayStore implements ReplayStore {
  private readonly db: Database.Database;
  private readonly sql: (sql: string) => Database.Statement;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(path: string, options: SqliteReplayStoreOptions = {}) {
    ({ db: this.db, sql: this.sql } = openSqlite(path, 'webhook replay records', (db) => {
      db.exec('CREATE TABLE IF NOT EXISTS webhook_replays (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)');
      db.exec('CREATE INDEX IF NOT EXISTS webhook_replays_expiry ON webhook_replays (expires_at)');
    }));
    this.maxEntries = Math.max(1, options.maxEntries ?? 1_000_000);
    this.now = options.now ?? Date.now;
  }

  claim(key: string, expiresAtMs: number): boolean {
    const nowMs = this.now();
    this.prune(nowMs);
    // Inserted, or an expired record taken over; a live record leaves the statement without a change.
    const { changes } = this.sql(
      'INSERT INTO webhook_replays (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE webhook_replays.expires_at <= ?',
    ).run(key, Math.ceil(expiresAtMs), nowMs);
    return changes === 1;
  }

  get size(): number {
    return (this.sql('SELECT COUNT(*) AS n FROM webhook_replays').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }

  private prune(nowMs: number): void {
    if (nowMs - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = nowMs;
    this.sql('DELETE FROM webhook_replays WHERE expires_at <= ?').run(nowMs);
    // Only signed deliveries are recorded, so this bound is reached only by a flood of genuine ones;
    // dropping the records closest to expiring reopens the least of the replay window.
    const excess = this.size - this.maxEntries;
    if (excess >= 0) this.sql('DELETE FROM webhook_replays WHERE key IN (SELECT key FROM webhook_replays ORDER BY expires_at LIMIT ?)').run(excess + 1);
  }
}
