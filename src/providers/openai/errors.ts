/** OpenAI's error envelope: `{error: {message, type, param, code}}` (protocols.md 1.8). */
import type { VendorErrorParser } from '../http.js';

/** DALL·E's refusal code and gpt-image's. */
const MODERATION_CODES = new Set(['content_policy_violation', 'moderation_blocked']);

export const parseOpenAIError: VendorErrorParser = (_status, body) => {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error === 'object' && error !== null) {
    const { message, code, type } = error as { message?: unknown; code?: unknown; type?: unknown };
    const vendorCode = typeof code === 'string' ? code : typeof type === 'string' ? type : undefined;
    return { message: typeof message === 'string' ? message : '', vendorCode, moderation: vendorCode !== undefined && MODERATION_CODES.has(vendorCode) };
  }
  // A proxy's HTML page or plain text: keep only a short first line.
  return { message: typeof body === 'string' ? (body.split('\n')[0] ?? '').slice(0, 120) : '' };
};
