/**
 * Webhook replay stores: one conformance suite over memory, SQLite (a real file) and Redis (the one
 * at 127.0.0.1:6379, under a key prefix of its own), then what each adds: SQLite records outlive the
 * process's connection and are pruned and bounded; Redis records carry their time to live.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplayCache, type ReplayStore } from '../../src/webhooks/replay.js';
import { RedisReplayStore } from '../../src/webhooks/replay-redis.js';
import { SqliteReplayStore } from '../../src/webhooks/replay-sqlite.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `easel-test:replay:${randomBytes(6).toString('hex')}:`;
const redis = new Redis(REDIS_URL);
const opened: ReplayStore[] = [];

afterAll(async () => {
  for (const store of opened) await store.close?.();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** Two handles on one store: two gateway replicas (the memory cache has only one). */
const stores: [string, (t: () => number) => [ReplayStore, ReplayStore]][] = [
  [
    'memory',
    (now) => {
      const cache = new ReplayCache({ now });
      return [cache, cache];
    },
  ],
  [
    'sqlite',
    (now) => {
      const path = join(mkdtempSync(join(tmpdir(), 'easel-replay-')), 'gateway.db');
      const pair: [ReplayStore, ReplayStore] = [new SqliteReplayStore(path, { now }), new SqliteReplayStore(path, { now })];
      opened.push(...pair);
      return pair;
    },
  ],
  [
    'redis',
    (now) => {
      const keyPrefix = `${prefix}${randomBytes(4).toString('hex')}:`;
      const pair: [ReplayStore, ReplayStore] = [new RedisReplayStore(REDIS_URL, { keyPrefix, now }), new RedisReplayStore(REDIS_URL, { keyPrefix, now })];
      opened.push(...pair);
      return pair;
    },
  ],
];

describe.each(stores)('%s replay store', (_name, open) => {
  const NOW = 1_790_000_000_000;

  it('claims a key once until it expires, and keys apart', async () => {
    const [store] = open(() => NOW);
    expect(await store.claim('replicate:msg_1', NOW + 60_000)).toBe(true);
    expect(await store.claim('replicate:msg_1', NOW + 60_000)).toBe(false);
    expect(await store.claim('replicate:msg_2', NOW + 60_000)).toBe(true);
    expect(await store.claim('fal:req:1790000000', NOW + 60_000)).toBe(true);
  });

  it('lets exactly one of many concurrent claims of one key win, across handles', async () => {
    const [a, b] = open(() => NOW);
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim('fal:race:1', NOW + 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await b.claim('fal:race:1', NOW + 60_000)).toBe(false);
  });
});

describe('SqliteReplayStore', () => {
  it('keeps its records across a close and reopen of the file (a gateway restart)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'easel-replay-')), 'gateway.db');
    const first = new SqliteReplayStore(path, { now: () => 0 });
    expect(first.claim('replicate:msg_r', 10_000)).toBe(true);
    first.close();
    const second = new SqliteReplayStore(path, { now: () => 9_999 });
    expect(second.claim('replicate:msg_r', 20_000)).toBe(false);
    second.close();
    const later = new SqliteReplayStore(path, { now: () => 10_000 });
    expect(later.claim('replicate:msg_r', 20_000)).toBe(true); // expired: no delivery with it passes the timestamp check any more
    later.close();
  });

  it('prunes expired records once a minute and stays within maxEntries', () => {
    let t = 0;
    const store = new SqliteReplayStore(':memory:', { now: () => t, maxEntries: 5 });
    for (let i = 0; i < 8; i++) store.claim(`k${i}`, 30_000 + i);
    expect(store.size).toBe(8); // the first claim pruned an empty table; the next prune is a minute later
    t = 60_000;
    store.claim('late', 200_000);
    expect(store.size).toBe(1); // k0..k7 had expired
    for (let i = 0; i < 10; i++) store.claim(`m${i}`, 300_000 + i);
    t = 120_000;
    store.claim('last', 400_000);
    expect(store.size).toBeLessThanOrEqual(5);
    expect(store.claim('last', 400_000)).toBe(false);
    expect(store.claim('m9', 400_000)).toBe(false); // the latest-expiring records are the ones kept
    store.close();
  });
});

describe('RedisReplayStore', () => {
  it('sets each record to expire when its delivery would fail the timestamp check', async () => {
    const keyPrefix = `${prefix}ttl:`;
    const store = new RedisReplayStore(REDIS_URL, { keyPrefix, now: () => 1_000_000 });
    opened.push(store);
    expect(await store.claim('replicate:msg_t', 1_000_000 + 610_000)).toBe(true);
    const ttl = await redis.pttl(`${keyPrefix}replicate:msg_t`);
    expect(ttl).toBeGreaterThan(600_000);
    expect(ttl).toBeLessThanOrEqual(610_000);
  });

  it('fails a claim (never answers "new") when Redis cannot be reached', async () => {
    const errors: Error[] = [];
    // A port nothing listens on: refused at once.
    const store = new RedisReplayStore('redis://127.0.0.1:1', { timeoutMs: 300, onError: (e) => errors.push(e) });
    await expect(store.claim('replicate:msg_down', Date.now() + 60_000)).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
    await store.close();
  });
});
