/**
 * Bytes the sandbox serves back by URL (OpenAI `url`, Replicate outputs, FAL `images[].url`), with
 * the vendor's expiry, under the sandbox's byte budget (oldest dropped first when it is full).
 */
import { randomUUID } from 'node:crypto';
import { Retention } from './retention.js';

interface StoredFile {
  bytes: Uint8Array;
  mediaType: string;
  expiresAt: number;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

export class FileStore {
  private files = new Map<string, StoredFile>();

  constructor(private readonly retention = new Retention()) {}

  /** Stores bytes; returns the path (under the sandbox root) they are served at. */
  put(vendor: string, bytes: Uint8Array, mediaType: string, ttlMs: number): string {
    const id = `${randomUUID()}.${EXTENSIONS[mediaType] ?? 'bin'}`;
    const key = `${vendor}/${id}`;
    this.files.set(key, { bytes, mediaType, expiresAt: Date.now() + ttlMs });
    this.retention.keep(`file:${key}`, bytes.length, ttlMs, () => this.files.delete(key));
    return `/files/${vendor}/${id}`;
  }

  get(key: string): StoredFile | undefined {
    const file = this.files.get(key);
    if (file && file.expiresAt < Date.now()) {
      this.files.delete(key);
      this.retention.forget(`file:${key}`);
      return undefined;
    }
    return file;
  }

  reset(): void {
    for (const key of this.files.keys()) this.retention.forget(`file:${key}`);
    this.files.clear();
  }
}
