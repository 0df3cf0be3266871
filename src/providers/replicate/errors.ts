/** Replicate's error bodies are problem details: `{title, detail, status}` (429: `{detail, status}`). */
import type { VendorErrorParser } from '../http.js';

/** Text of Replicate's safety-checker failures (cog-flux, cog-sdxl). */
export const NSFW_PATTERN = /\bNSFW\b/i;

export const parseReplicateError: VendorErrorParser = (_status, body) => {
  if (typeof body === 'object' && body !== null) {
    const { title, detail } = body as { title?: unknown; detail?: unknown };
    const message = typeof detail === 'string' ? detail : typeof title === 'string' ? title : '';
    return { message, vendorCode: typeof title === 'string' ? title : undefined, moderation: NSFW_PATTERN.test(message) };
  }
  // A proxy's HTML page or plain text: keep only a short first line.
  return { message: typeof body === 'string' ? (body.split('\n')[0] ?? '').slice(0, 120) : '' };
};
