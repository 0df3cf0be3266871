/**
 * Content-addressed result cache: image bytes stored once under their sha256, an SQLite index
 * from request key to the result's metadata. Writes are atomic (temp file + rename; one SQLite
 * transaction), so a crash never leaves an entry pointing at a missing image.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from '../core/sqlite.js';
import { guardStore } from '../core/store-errors.js';
import { makeImage, type GeneratedImage, type ImageResult, writeFileAtomic } from '../core/result.js';
import type { OutputFormat } from '../core/task.js';

interface StoredImage {
  sha256: string;
  mediaType: string;
  format: OutputFormat;
  width: number;
  height: number;
  seed?: number;
  revisedPrompt?: string;
}

interface StoredResult {
  images: StoredImage[];
  model: string;
  provider: ImageResult['provider'];
  requestIds: string[];
  costUsd: number | null;
  sandbox: boolean;
}

export class ResultCache {
  private readonly db: Database.Database;
  private readonly sql: (sql: string) => Database.Statement;
  private readonly objects: string;

  constructor(readonly dir: string) {
    this.objects = join(dir, 'objects');
    const path = join(dir, 'index.db');
    ({ db: this.db, sql: this.sql } = openSqlite(path, 'result cache index', (db) => {
      mkdirSync(this.objects, { recursive: true });
      db.exec(`CREATE TABLE IF NOT EXISTS entries (
        key TEXT PRIMARY KEY,
        result TEXT NOT NULL,
        created_at TEXT NOT NULL,
        hits INTEGER NOT NULL DEFAULT 0
      )`);
    }));
    // Every later query reports a corrupt page, a lock or a read-only file the same way.
    return guardStore(this, path, 'result cache index');
  }

  /** The cached result, with `cost` $0 (nothing was paid this time) and a warning saying it came from the cache. */
  get(key: string): ImageResult | undefined {
    const row = this.sql('SELECT result FROM entries WHERE key = ?').get(key) as { result: string } | undefined;
    if (!row) return undefined;
    const stored = JSON.parse(row.result) as StoredResult;
    const images: GeneratedImage[] = [];
    for (const image of stored.images) {
      const path = this.objectPath(image.sha256, image.format);
      if (!existsSync(path)) return undefined; // an object was removed by hand: treat as a miss
      images.push(
        makeImage({
          bytes: new Uint8Array(readFileSync(path)),
          mediaType: image.mediaType,
          format: image.format,
          width: image.width,
          height: image.height,
          seed: image.seed,
          revisedPrompt: image.revisedPrompt,
        }),
      );
    }
    this.sql('UPDATE entries SET hits = hits + 1 WHERE key = ?').run(key);
    return {
      images,
      model: stored.model,
      provider: stored.provider,
      requestIds: stored.requestIds,
      cost: { usd: 0, basis: `cache hit (first run cost ${stored.costUsd === null ? 'unknown' : `$${stored.costUsd}`})`, estimated: false },
      latencyMs: 0,
      attempts: [],
      warnings: [{ kind: 'other', model: stored.model, message: 'served from the cache: no vendor call, no charge' }],
      usage: {},
      sandbox: stored.sandbox,
      cached: true,
    };
  }

  async put(key: string, result: ImageResult): Promise<void> {
    for (const image of result.images) {
      const path = this.objectPath(image.sha256, image.format);
      if (!existsSync(path)) await writeFileAtomic(path, image.bytes);
    }
    const stored: StoredResult = {
      images: result.images.map((i) => ({
        sha256: i.sha256,
        mediaType: i.mediaType,
        format: i.format,
        width: i.width,
        height: i.height,
        seed: i.seed,
        revisedPrompt: i.revisedPrompt,
      })),
      model: result.model,
      provider: result.provider,
      requestIds: result.requestIds,
      costUsd: result.cost.usd,
      sandbox: result.sandbox,
    };
    this.sql('INSERT OR REPLACE INTO entries (key, result, created_at) VALUES (?, ?, ?)').run(key, JSON.stringify(stored), new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }

  private objectPath(sha: string, format: OutputFormat): string {
    return join(this.objects, sha.slice(0, 2), `${sha}.${format === 'jpeg' ? 'jpg' : format}`);
  }
}
