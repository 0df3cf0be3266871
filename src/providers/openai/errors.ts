/** OpenAI's error envelope: `{error: {message, type, param, code}}` (protocols.md 1.8). */
import { textField, vendorErrorParser } from '../http.js';

/** DALL·E's refusal code and gpt-image's. */
const MODERATION_CODES = new Set(['content_policy_violation', 'moderation_blocked']);

export const parseOpenAIError = vendorErrorParser(({ error }) => {
  if (typeof error !== 'object' || error === null) return { message: '' };
  const { message, code, type } = error as Record<string, unknown>;
  const vendorCode = textField(code) ?? textField(type);
  return { message: textField(message) ?? '', vendorCode, moderation: vendorCode !== undefined && MODERATION_CODES.has(vendorCode) };
});
