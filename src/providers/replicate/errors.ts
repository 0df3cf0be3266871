/** Replicate's error bodies are problem details: `{title, detail, status}` (429: `{detail, status}`). */
import { textField, vendorErrorParser } from '../http.js';

/** Text of Replicate's safety-checker failures (cog-flux, cog-sdxl). */
export const NSFW_PATTERN = /\bNSFW\b/i;

export const parseReplicateError = vendorErrorParser(({ title, detail }) => {
  const message = textField(detail) ?? textField(title) ?? '';
  return { message, vendorCode: textField(title), moderation: NSFW_PATTERN.test(message) };
});
