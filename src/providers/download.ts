/**
 * Fetching images from URLs a vendor handed back (Replicate outputs, FAL `images[].url`).
 *
 * Such URLs are checked before they are fetched: only https, data:, or the configured API origin
 * (which is how the sandbox serves its files). Credentials go only to the configured origin.
 */
import { ProviderUnavailableError } from '../core/errors.js';
import { formatFromMediaType } from '../core/task.js';
import { type HttpScope, safeUrl, send } from './http.js';
import { readJob } from './job-read.js';
import { sniffMediaType } from '../core/media-type.js';

export interface DownloadedImage {
  bytes: Uint8Array;
  mediaType: string;
}

/**
 * An output of vendor job `jobId` (undefined for a synchronous call): the job is paid for, so a
 * transient failure downloads again rather than buying the image again.
 */
export function downloadOutput(scope: HttpScope, jobId: string | undefined, url: string, authHeaders: Record<string, string> = {}): Promise<DownloadedImage> {
  return readJob(scope, jobId, 'output file', (signal) => downloadImage(scope, url, authHeaders, signal));
}

/** One download (downloadOutput retries it); `signal` bounds this one request. */
export async function downloadImage(scope: HttpScope, url: string, authHeaders: Record<string, string> = {}, signal?: AbortSignal): Promise<DownloadedImage> {
  if (url.startsWith('data:')) return decodeDataUrl(scope, url);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ProviderUnavailableError(`${scope.provider}: the vendor returned an output that is not a URL`, scope);
  }
  const apiOrigin = new URL(scope.runtime.baseUrl).origin;
  const sameOrigin = target.origin === apiOrigin;
  if (!sameOrigin && target.protocol !== 'https:') {
    throw new ProviderUnavailableError(
      `${scope.provider}: refusing to download ${safeUrl(url)}: output URLs must be https or on the configured API origin (${apiOrigin})`,
      scope,
    );
  }
  const answer = await send(scope, { method: 'GET', url, headers: sameOrigin ? authHeaders : {}, signal });
  const mediaType = answer.headers.get('content-type')?.split(';')[0]?.trim() || sniffMediaType(answer.bytes);
  return { bytes: answer.bytes, mediaType: formatFromMediaType(mediaType) ? mediaType : sniffMediaType(answer.bytes) };
}

function decodeDataUrl(scope: HttpScope, url: string): DownloadedImage {
  const m = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(url);
  if (!m) throw new ProviderUnavailableError(`${scope.provider}: the vendor returned a malformed data URL`, scope);
  const bytes = m[2] ? Buffer.from(m[3]!, 'base64') : Buffer.from(decodeURIComponent(m[3]!), 'utf8');
  return { bytes: new Uint8Array(bytes), mediaType: m[1] ?? sniffMediaType(bytes) };
}
