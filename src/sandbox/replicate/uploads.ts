/**
 * Files uploaded with `POST /v1/files` (the official client uploads Buffer/Blob inputs there and
 * passes `urls.get` as the input value). Kept for a day, as Replicate does.
 */
import { createHash } from 'node:crypto';
import { Retention } from '../retention.js';
import { replicateId } from './prediction.js';

const TTL_MS = 24 * 60 * 60 * 1000;

export interface UploadedFile {
  id: string;
  name: string;
  contentType: string;
  bytes: Uint8Array;
  metadata: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export class UploadStore {
  private readonly files = new Map<string, UploadedFile>();

  /** Uploads count against the sandbox's memory budget like outputs (dropped oldest first when full). */
  constructor(private readonly retention = new Retention()) {}

  put(bytes: Uint8Array, contentType: string, name: string, metadata: unknown): UploadedFile {
    this.sweep();
    const createdAt = new Date();
    const file: UploadedFile = {
      id: replicateId(),
      name,
      contentType,
      bytes,
      metadata,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + TTL_MS),
    };
    this.files.set(file.id, file);
    this.retention.keep(`upload:${file.id}`, bytes.length, TTL_MS, () => this.files.delete(file.id));
    return file;
  }

  get(id: string): UploadedFile | undefined {
    this.sweep();
    return this.files.get(id);
  }

  delete(id: string): boolean {
    this.retention.forget(`upload:${id}`);
    return this.files.delete(id);
  }

  list(): UploadedFile[] {
    this.sweep();
    return [...this.files.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, file] of this.files) if (file.expiresAt.getTime() < now) this.files.delete(id);
  }
}

/** The file object of `POST /v1/files` and `GET /v1/files/{id}` (protocols.md 3.2). */
export function fileJson(file: UploadedFile, apiBase: string): Record<string, unknown> {
  return {
    id: file.id,
    name: file.name,
    content_type: file.contentType,
    size: file.bytes.length,
    etag: createHash('md5').update(file.bytes).digest('hex'),
    checksums: { sha256: createHash('sha256').update(file.bytes).digest('hex'), md5: createHash('md5').update(file.bytes).digest('hex') },
    metadata: file.metadata ?? {},
    created_at: file.createdAt.toISOString(),
    expires_at: file.expiresAt.toISOString(),
    urls: { get: `${apiBase}/files/${file.id}` },
  };
}
