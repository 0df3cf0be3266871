/** Stability's error bodies: v2beta `{id, name, errors[]}`, v1 `{id, name, message}`. */
import { textField, vendorErrorParser } from '../http.js';

/** Names Stability gives a refused prompt or image. */
const MODERATION_NAMES = new Set(['content_moderation', 'invalid_prompts']);

export const parseStabilityError = vendorErrorParser(({ name, errors, message }) => {
  const text = Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : (textField(message) ?? '');
  const code = textField(name);
  return { message: text, vendorCode: code, moderation: code !== undefined && MODERATION_NAMES.has(code) };
});
