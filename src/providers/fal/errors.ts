/** FAL's error bodies: `{detail: [{loc, msg, type}]}`, `{detail: string, error_type?}`. */
import { textField, vendorErrorParser } from '../http.js';

export const parseFalError = vendorErrorParser(({ detail, error_type }, headers) => {
  if (Array.isArray(detail)) {
    const items = detail as { loc?: unknown[]; msg?: string; type?: string }[];
    const message = items.map((d) => `${(d.loc ?? []).filter((l) => l !== 'body').join('.') || 'input'}: ${d.msg ?? ''}`).join('; ');
    return { message, vendorCode: items[0]?.type, moderation: items.some((d) => d.type === 'content_policy_violation') };
  }
  return { message: textField(detail) ?? '', vendorCode: textField(error_type) ?? headers.get('x-fal-error-type') ?? undefined };
});
