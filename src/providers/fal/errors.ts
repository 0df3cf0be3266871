/** FAL's error bodies: `{detail: [{loc, msg, type}]}`, `{detail: string, error_type?}`. */
import type { VendorErrorParser } from '../http.js';

export const parseFalError: VendorErrorParser = (_status, body, headers) => {
  if (typeof body === 'object' && body !== null) {
    const { detail, error_type } = body as { detail?: unknown; error_type?: unknown };
    if (Array.isArray(detail)) {
      const items = detail as { loc?: unknown[]; msg?: string; type?: string }[];
      const message = items.map((d) => `${(d.loc ?? []).filter((l) => l !== 'body').join('.') || 'input'}: ${d.msg ?? ''}`).join('; ');
      return { message, vendorCode: items[0]?.type, moderation: items.some((d) => d.type === 'content_policy_violation') };
    }
    return { message: typeof detail === 'string' ? detail : '', vendorCode: typeof error_type === 'string' ? error_type : (headers.get('x-fal-error-type') ?? undefined) };
  }
  return { message: typeof body === 'string' ? (body.split('\n')[0] ?? '').slice(0, 120) : '' };
};
