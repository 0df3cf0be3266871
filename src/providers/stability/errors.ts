/** Stability's error bodies: v2beta `{id, name, errors[]}`, v1 `{id, name, message}`. */
import type { VendorErrorParser } from '../http.js';

export const parseStabilityError: VendorErrorParser = (_status, body) => {
  if (typeof body === 'object' && body !== null) {
    const { name, errors, message } = body as { name?: unknown; errors?: unknown; message?: unknown };
    const text = Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : typeof message === 'string' ? message : '';
    const code = typeof name === 'string' ? name : undefined;
    return { message: text, vendorCode: code, moderation: code === 'content_moderation' || code === 'invalid_prompts' };
  }
  return { message: typeof body === 'string' ? (body.split('\n')[0] ?? '').slice(0, 120) : '' };
};
