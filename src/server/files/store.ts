/**
 * Images the gateway hands out by URL (`response_format: url`), kept for an hour like OpenAI's, in
 * memory under a byte budget. When a new answer does not fit, the oldest answers are dropped first:
 * the image is already made and paid for, so refusing the request (503) would waste that money,
 * while a URL is a convenience that clients fetch within seconds. A URL dropped early answers 404
 * saying so; ids dropped are remembered (a bounded number) only to say it.
 */
import { randomBytes } from 'node:crypto';

export interface HeldImage {
  bytes: Uint8Array;
  mediaType: string;
  expiresAt: number;
}

export interface ImageFileStoreOptions {
  /** Most bytes of image held at once (default 128 MiB). */
  maxBytes?: number;
  /** How long a URL answers (default 60 minutes). */
  ttlMs?: number;
  now?: () => number;
}

export const DEFAULT_URL_BUDGET_BYTES = 128 * 1024 * 1024;
/** How many dropped ids are remembered to tell "dropped early" from "never existed or expired". */
const EVICTED_REMEMBERED = 10_000;

export type Lookup = { found: HeldImage } | { missing: 'evicted' | 'unknown' };

export class ImageFileStore {
  readonly maxBytes: number;
  readonly ttlMs: number;
  private readonly now: () => number;
  /** In insertion order, which is also expiry order (one TTL for all). */
  private readonly entries = new Map<string, HeldImage>();
  private readonly evicted = new Set<string>();
  private bytesHeld = 0;

  constructor(options: ImageFileStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_URL_BUDGET_BYTES;
    this.ttlMs = options.ttlMs ?? 60 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Holds an image; returns its id. An image larger than the whole budget is not held (its URL answers 404 as evicted). */
  put(bytes: Uint8Array, mediaType: string): string {
    this.sweep();
    const id = randomBytes(16).toString('base64url');
    if (bytes.length > this.maxBytes) {
      this.remember(id);
      return id;
    }
    for (const [old, entry] of this.entries) {
      if (this.bytesHeld + bytes.length <= this.maxBytes) break;
      this.drop(old, entry);
      this.remember(old);
    }
    this.entries.set(id, { bytes, mediaType, expiresAt: this.now() + this.ttlMs });
    this.bytesHeld += bytes.length;
    return id;
  }

  lookup(id: string): Lookup {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt > this.now()) return { found: entry };
    if (entry) this.drop(id, entry);
    return { missing: this.evicted.has(id) ? 'evicted' : 'unknown' };
  }

  /** Bytes held now. */
  size(): number {
    return this.bytesHeld;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.drop(id, entry);
    }
  }

  private drop(id: string, entry: HeldImage): void {
    this.entries.delete(id);
    this.bytesHeld -= entry.bytes.length;
  }

  private remember(id: string): void {
    this.evicted.add(id);
    if (this.evicted.size > EVICTED_REMEMBERED) this.evicted.delete(this.evicted.values().next().value!);
  }
}

/** The 404 text for a URL that answers no more. */
export function missingFileMessage(why: 'evicted' | 'unknown', store: Pick<ImageFileStore, 'maxBytes' | 'ttlMs'>): string {
  const minutes = Math.round(store.ttlMs / 60_000);
  if (why === 'evicted') {
    return `This image was dropped before its URL expired: the gateway holds at most ${Math.round(store.maxBytes / (1024 * 1024))} MiB of url answers and drops the oldest first. Fetch url answers as soon as they come, ask for response_format b64_json, or raise the gateway's --url-budget-mb.`;
  }
  return `This image does not exist or its URL has expired (URLs last ${minutes} minutes).`;
}
