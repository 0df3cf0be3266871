/**
 * What the sandbox keeps after answering, under one byte budget: output files and finished vendor
 * jobs (Replicate predictions, FAL requests, Stability async results). Each is dropped when the
 * vendor would drop it (its own expiry), or earlier, oldest first, when the budget is full; a client
 * asking for it later gets the vendor's own "not found" / "expired" answer. Jobs still running are
 * never counted or dropped, and neither is the ledger: charges are small and are the truth about money.
 */

export interface RetentionOptions {
  /** Most bytes held (default 256 MiB). */
  maxBytes?: number;
  now?: () => number;
}

interface Held {
  bytes: number;
  expiresAt: number;
  drop: () => void;
}

export const DEFAULT_SANDBOX_BUDGET_BYTES = 256 * 1024 * 1024;
/** Expiries are swept at most this often: a sweep looks at every entry. */
const SWEEP_EVERY_MS = 1000;

export class Retention {
  readonly maxBytes: number;
  private readonly now: () => number;
  /** Insertion order = oldest first, the order the budget drops in. */
  private readonly held = new Map<string, Held>();
  private bytesHeld = 0;
  private lastSweep = 0;

  constructor(options: RetentionOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_SANDBOX_BUDGET_BYTES;
    this.now = options.now ?? Date.now;
  }

  /** Keeps something of `bytes` until `ttlMs` from now; `drop` removes it from its owner's map. */
  keep(key: string, bytes: number, ttlMs: number, drop: () => void): void {
    this.forget(key);
    this.sweep();
    for (const [old, entry] of this.held) {
      if (this.bytesHeld + bytes <= this.maxBytes) break;
      this.remove(old, entry);
    }
    this.held.set(key, { bytes, expiresAt: this.now() + ttlMs, drop });
    this.bytesHeld += bytes;
  }

  /** The owner removed it itself (a delete, a reset): stop counting it. */
  forget(key: string): void {
    const entry = this.held.get(key);
    if (!entry) return;
    this.held.delete(key);
    this.bytesHeld -= entry.bytes;
  }

  size(): { entries: number; bytes: number } {
    return { entries: this.held.size, bytes: this.bytesHeld };
  }

  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, entry] of this.held) if (entry.expiresAt <= now) this.remove(key, entry);
  }

  private remove(key: string, entry: Held): void {
    this.held.delete(key);
    this.bytesHeld -= entry.bytes;
    entry.drop();
  }
}

/** Rough bytes of a JSON-shaped record (inputs, outputs, logs): its serialised length. */
export function jsonBytes(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * A log that keeps its newest `max` entries (request logs, webhook deliveries); trimmed a tenth at a
 * time so that a full log does not move every entry on each push.
 */
export function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max + Math.ceil(max / 10)) list.splice(0, list.length - max);
}
