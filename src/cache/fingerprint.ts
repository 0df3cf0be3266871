/**
 * The cache key of a request: sha256 over its normalised fields (input images by their hash, keys
 * sorted), so the same request always maps to the same key whatever order its fields came in.
 * Only deterministic requests are cached: a fixed seed, or an explicit `cache: true`.
 */
import { createHash } from 'node:crypto';
import type { LoadedImage } from '../core/image.js';
import type { ParsedRequest } from '../core/request.js';
import type { Task } from '../core/task.js';

/** Bump when the meaning of a cached entry changes, so old entries stop matching. */
const VERSION = 1;

export function isCacheable(request: ParsedRequest): boolean {
  if (request.cache === false) return false;
  return request.cache === true || request.seed !== undefined;
}

export function cacheKey(request: ParsedRequest, task: Task, inputs: { image?: LoadedImage; mask?: LoadedImage }): string {
  const { cache: _cache, timeoutMs: _timeout, image: _image, mask: _mask, ...fields } = request;
  const normalised = canonical({
    v: VERSION,
    task,
    ...fields,
    model: fields.model ?? 'auto',
    image: inputs.image ? sha256(inputs.image.bytes) : undefined,
    mask: inputs.mask ? sha256(inputs.mask.bytes) : undefined,
  });
  return sha256(normalised);
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with sorted keys and no undefined values. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
