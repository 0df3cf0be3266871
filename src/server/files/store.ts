/** Images the gateway hands out by URL (`response_format: url`), kept for an hour like OpenAI's. */
import { randomBytes } from 'node:crypto';

interface Entry {
  bytes: Uint8Array;
  mediaType: string;
  expiresAt: number;
}

export class ImageFileStore {
  private readonly entries = new Map<string, Entry>();
  private bytesHeld = 0;

  constructor(private readonly ttlMs = 60 * 60_000, private readonly maxBytes = 512 * 1024 * 1024) {}

  put(bytes: Uint8Array, mediaType: string): string {
    this.sweep();
    // Oldest first out when over the memory cap: URLs are a convenience, not storage.
    for (const [id, entry] of this.entries) {
      if (this.bytesHeld + bytes.length <= this.maxBytes) break;
      this.entries.delete(id);
      this.bytesHeld -= entry.bytes.length;
    }
    const id = randomBytes(16).toString('base64url');
    this.entries.set(id, { bytes, mediaType, expiresAt: Date.now() + this.ttlMs });
    this.bytesHeld += bytes.length;
    return id;
  }

  get(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt < Date.now()) {
      this.entries.delete(id);
      this.bytesHeld -= entry.bytes.length;
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt < now) {
        this.entries.delete(id);
        this.bytesHeld -= entry.bytes.length;
      }
    }
  }
}
