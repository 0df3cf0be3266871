/**
 * Webhook replay records in Redis, for gateway replicas that do not share a state folder: a
 * delivery accepted by one replica is refused by every other. `SET key 1 PX ttl NX` claims a
 * delivery atomically, and Redis drops each record when it expires, so nothing needs pruning.
 */
import { Redis } from 'ioredis';
import type { ReplayStore } from './replay.js';

export interface RedisReplayStoreOptions {
  /** Prepended to every key; default `easel:webhook-replay:`. */
  keyPrefix?: string;
  /** How long one claim may wait for Redis before the delivery is refused (503); default 2 s. */
  timeoutMs?: number;
  /** Clock in milliseconds, for the records' time to live; default Date.now. */
  now?: () => number;
  /** Connection trouble (Redis down, refused); default: ignored here, each claim then fails on its own. */
  onError?: (error: Error) => void;
  /** Connected (again) and ready for claims. */
  onReady?: () => void;
}

export class RedisReplayStore implements ReplayStore {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly now: () => number;

  /** @param url `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  constructor(url: string, options: RedisReplayStoreOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 2_000;
    // A claim waits for a reconnect at most `timeoutMs`, then fails: a webhook the gateway cannot
    // check for replay is refused (the vendor retries it) rather than accepted unchecked.
    this.redis = new Redis(url, { commandTimeout: timeoutMs, connectTimeout: timeoutMs, maxRetriesPerRequest: 1 });
    this.redis.on('error', (error: Error) => options.onError?.(error));
    this.redis.on('ready', () => options.onReady?.());
    this.keyPrefix = options.keyPrefix ?? 'easel:webhook-replay:';
    this.now = options.now ?? Date.now;
  }

  async claim(key: string, expiresAtMs: number): Promise<boolean> {
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - this.now()));
    return (await this.redis.set(this.keyPrefix + key, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
