/** Bytes the sandbox serves back by URL (OpenAI `url`, Replicate outputs, FAL `images[].url`), with expiry. */
import { randomUUID } from 'node:crypto';

interface StoredFile {
  bytes: Uint8Array;
  mediaType: string;
  expiresAt: number;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

export class FileStore {
  private files = new Map<string, StoredFile>();

  /** Stores bytes; returns the path (under the sandbox root) they are served at. */
  put(vendor: string, bytes: Uint8Array, mediaType: string, ttlMs: number): string {
    this.sweep();
    const id = `${randomUUID()}.${EXTENSIONS[mediaType] ?? 'bin'}`;
    this.files.set(`${vendor}/${id}`, { bytes, mediaType, expiresAt: Date.now() + ttlMs });
    return `/files/${vendor}/${id}`;
  }

  get(key: string): StoredFile | undefined {
    const file = this.files.get(key);
    if (file && file.expiresAt < Date.now()) {
      this.files.delete(key);
      return undefined;
    }
    return file;
  }

  reset(): void {
    this.files.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, file] of this.files) if (file.expiresAt < now) this.files.delete(key);
  }
}
