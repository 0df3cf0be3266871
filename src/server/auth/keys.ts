/**
 * Gateway keys, stored hashed (sha256 of a 256-bit random key: a leaked database reveals no key).
 * Each key has its own budget, request rate and allowed models. Spend is booked with single SQL
 * statements, so concurrent requests — even from several gateway processes — never pass a budget.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openSqlite } from '../../core/sqlite.js';
import { guardStore } from '../../core/store-errors.js';

export interface GatewayKey {
  id: string;
  name: string;
  /** First characters of the key, to recognise it in listings. */
  prefix: string;
  budgetUsd: number | null;
  spentUsd: number;
  /** Held for vendor attempts (and jobs) in flight, settled as they end. */
  reservedUsd: number;
  requestsPerMinute: number | null;
  /** Model ids this key may use; null = any. */
  allowedModels: string[] | null;
  createdAt: string;
  revokedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  budget_usd: number | null;
  spent_usd: number;
  reserved_usd: number;
  rpm: number | null;
  allowed_models: string | null;
  created_at: string;
  revoked_at: string | null;
}

export class KeyStore {
  private readonly db: Database.Database;
  private readonly sql: (sql: string) => Database.Statement;

  constructor(path: string) {
    ({ db: this.db, sql: this.sql } = openSqlite(path, 'gateway key store', (db) => {
      db.exec(`CREATE TABLE IF NOT EXISTS gateway_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        budget_usd REAL, spent_usd REAL NOT NULL DEFAULT 0, reserved_usd REAL NOT NULL DEFAULT 0,
        rpm INTEGER, allowed_models TEXT, created_at TEXT NOT NULL, revoked_at TEXT)`);
      // What each gateway job holds of its key's budget and what of it is booked as spent so far: the
      // job's settlement survives a gateway restart and is done once, however many runs the job takes.
      db.exec(`CREATE TABLE IF NOT EXISTS gateway_job_holds (
        job_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, held_usd REAL NOT NULL, booked_usd REAL NOT NULL DEFAULT 0)`);
    }));
    // Every later query reports a corrupt page, a lock or a read-only file the same way.
    return guardStore(this, path, 'gateway key store');
  }

  /** Creates a key; the secret is returned once and never stored. */
  create(options: { name: string; budgetUsd?: number; requestsPerMinute?: number; allowedModels?: string[] }): { key: string; record: GatewayKey } {
    const secret = `esk_${randomBytes(32).toString('base64url')}`;
    const id = `key_${randomBytes(6).toString('hex')}`;
    this.db
      .prepare('INSERT INTO gateway_keys (id, name, prefix, hash, budget_usd, rpm, allowed_models, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        id,
        options.name,
        secret.slice(0, 10),
        hash(secret),
        options.budgetUsd ?? null,
        options.requestsPerMinute ?? null,
        options.allowedModels ? JSON.stringify(options.allowedModels) : null,
        new Date().toISOString(),
      );
    return { key: secret, record: this.get(id)! };
  }

  /** The active key matching a presented secret, if any. */
  authenticate(secret: string): GatewayKey | undefined {
    const row = this.sql('SELECT * FROM gateway_keys WHERE hash = ? AND revoked_at IS NULL').get(hash(secret)) as Row | undefined;
    return row && toKey(row);
  }

  get(id: string): GatewayKey | undefined {
    const row = this.sql('SELECT * FROM gateway_keys WHERE id = ?').get(id) as Row | undefined;
    return row && toKey(row);
  }

  list(): GatewayKey[] {
    return (this.sql('SELECT * FROM gateway_keys ORDER BY created_at').all() as Row[]).map(toKey);
  }

  /** Whether any key is active: then every call must present one. */
  hasActiveKeys(): boolean {
    return this.sql('SELECT 1 FROM gateway_keys WHERE revoked_at IS NULL LIMIT 1').get() !== undefined;
  }

  revoke(id: string): boolean {
    return this.sql('UPDATE gateway_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes === 1;
  }

  /** Books `usd` against the key's budget if it fits; false when it would pass the budget. */
  reserve(id: string, usd: number): boolean {
    return (
      this.sql(
        'UPDATE gateway_keys SET reserved_usd = reserved_usd + ? WHERE id = ? AND (budget_usd IS NULL OR spent_usd + reserved_usd + ? <= budget_usd + 1e-9)',
      ).run(usd, id, usd).changes === 1
    );
  }

  settle(id: string, reservedUsd: number, actualUsd: number): void {
    this.sql('UPDATE gateway_keys SET reserved_usd = MAX(0, reserved_usd - ?), spent_usd = spent_usd + ? WHERE id = ?').run(reservedUsd, actualUsd, id);
  }

  /** Ties `usd`, just reserved from the key for job `jobId`, to that job (see `bookJob`). */
  holdForJob(keyId: string, jobId: string, usd: number): void {
    this.sql('INSERT INTO gateway_job_holds (job_id, key_id, held_usd) VALUES (?, ?, ?)').run(jobId, keyId, usd);
  }

  /** Job ids still holding part of a key's budget. */
  jobHolds(): string[] {
    return (this.sql('SELECT job_id FROM gateway_job_holds').all() as { job_id: string }[]).map((r) => r.job_id);
  }

  /**
   * Books a job's total spend so far (`spentUsd`, across all its runs) against its key: only the part
   * not booked before, so calling it again is harmless. A finished job also gives back what it held
   * and did not spend, and its hold is gone; an unfinished one keeps the rest held for its next run.
   */
  bookJob(jobId: string, spentUsd: number, finished: boolean): void {
    this.db.transaction(() => {
      const hold = this.sql('SELECT * FROM gateway_job_holds WHERE job_id = ?').get(jobId) as
        { key_id: string; held_usd: number; booked_usd: number } | undefined;
      if (!hold) return;
      const spent = Math.max(spentUsd, hold.booked_usd);
      const fromHold = Math.min(spent, hold.held_usd) - Math.min(hold.booked_usd, hold.held_usd);
      const giveBack = finished ? hold.held_usd - Math.min(spent, hold.held_usd) : 0;
      this.sql('UPDATE gateway_keys SET reserved_usd = MAX(0, reserved_usd - ?), spent_usd = spent_usd + ? WHERE id = ?').run(
        fromHold + giveBack,
        spent - hold.booked_usd,
        hold.key_id,
      );
      if (finished) this.sql('DELETE FROM gateway_job_holds WHERE job_id = ?').run(jobId);
      else this.sql('UPDATE gateway_job_holds SET booked_usd = ? WHERE job_id = ?').run(spent, jobId);
    })();
  }

  close(): void {
    this.db.close();
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function toKey(row: Row): GatewayKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    budgetUsd: row.budget_usd,
    spentUsd: Math.round(row.spent_usd * 1e6) / 1e6,
    reservedUsd: Math.round(row.reserved_usd * 1e6) / 1e6,
    requestsPerMinute: row.rpm,
    allowedModels: row.allowed_models ? JSON.parse(row.allowed_models) : null,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
