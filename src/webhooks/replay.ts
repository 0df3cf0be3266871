/**
 * Remembers webhook ids for as long as a delivery carrying them could still pass the timestamp
 * check, so a captured delivery replayed inside the tolerance window is refused. Only deliveries
 * with a valid signature are recorded, so a forger cannot fill it.
 *
 * `ReplayStore` is what receivers claim deliveries in; this in-memory cache is one (for the library's
 * verify functions and tests); the gateway keeps its records in SQLite or Redis so that they outlive a
 * restart and are shared by replicas (replay-sqlite.ts, replay-redis.ts).
 */

export interface ReplayStore {
  /**
   * Records `key` until `expiresAtMs` (unix ms), atomically: true if it was not already recorded
   * (an expired record counts as not recorded), false for a replay. Rejects only when the store
   * cannot be reached, never for a replay.
   */
  claim(key: string, expiresAtMs: number): boolean | Promise<boolean>;
  close?(): void | Promise<void>;
}
export interface ReplayCacheOptions {
  /** Upper bound on remembered ids; when full of live ids the oldest is forgotten. Default 100 000. */
  maxEntries?: number;
  /** How long `firstTime` remembers an id; default 10 min (twice the usual ±5 min tolerance). */
  windowMs?: number;
  /** Clock in milliseconds for calls that pass none; default Date.now. */
  now?: () => number;
}

const SWEEP_EVERY_MS = 60_000;

export class ReplayCache implements ReplayStore {
  /** id -> time (ms) after which a delivery with it could no longer pass the timestamp check. */
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(options: ReplayCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000);
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records `key` until `expiresAtMs`; true if it was not already recorded (an expired record counts
   * as not recorded).
   */
  claim(key: string, expiresAtMs: number, nowMs = this.now()): boolean {
    this.evict(nowMs);
    const known = this.expiries.get(key);
    if (known !== undefined && known > nowMs) return false;
    this.expiries.delete(key);
    // Evicting a live id reopens a replay of it; a bounded map is still preferred to unbounded memory,
    // and the oldest id is the one closest to failing the timestamp check anyway.
    while (this.expiries.size >= this.maxEntries) this.expiries.delete(this.expiries.keys().next().value!);
    this.expiries.set(key, expiresAtMs);
    return true;
  }

  /** True the first time `id` is seen within the cache's window. */
  firstTime(id: string, nowMs = this.now()): boolean {
    return this.claim(id, nowMs + this.windowMs, nowMs);
  }

  get size(): number {
    return this.expiries.size;
  }

  private evict(nowMs: number): void {
    if (nowMs - this.lastSweep < SWEEP_EVERY_MS && this.expiries.size < this.maxEntries) return;
    this.lastSweep = nowMs;
    for (const [key, expiresAt] of this.expiries) if (expiresAt <= nowMs) this.expiries.delete(key);
  }
}
