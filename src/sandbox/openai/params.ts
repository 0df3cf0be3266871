/**
 * Reads an Images API request body: JSON for generations, multipart for edits and variations (an
 * image array arrives as repeated `image[]` parts, a single file as `image`). Multipart values are
 * strings, as the official client sends them; the validator coerces what should be numbers.
 */
import type { Context } from 'hono';
import type { SandboxEnv } from '../context.js';
import { openaiError } from './errors.js';

export interface RawParams {
  fields: Record<string, unknown>;
  /** Image files in the order sent. */
  images: File[];
  mask: File | undefined;
  /** Whether the body was multipart (numbers come as strings). */
  multipart: boolean;
}

export async function readJsonParams(c: Context<SandboxEnv>): Promise<RawParams | Response> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return openaiError(c, 400, {
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return openaiError(c, 400, { message: "Invalid type for 'body': expected an object.", code: 'invalid_type' });
  }
  return { fields: body as Record<string, unknown>, images: [], mask: undefined, multipart: false };
}

export async function readMultipartParams(c: Context<SandboxEnv>, endpoint: string): Promise<RawParams | Response> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    return openaiError(c, 400, {
      message: `Invalid Content-Type header (${type.split(';')[0] || 'none'}), expected multipart/form-data for /v1/images/${endpoint}.`,
      code: 'invalid_content_type',
    });
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    return openaiError(c, 400, { message: 'We could not parse the multipart body of your request.' });
  }
  const fields: Record<string, unknown> = {};
  const images: File[] = [];
  let mask: File | undefined;
  for (const [key, value] of form.entries()) {
    if (key === 'image' || key === 'image[]') {
      if (typeof value === 'string')
        return openaiError(c, 400, { message: `Invalid type for '${key}': expected a file, but got a string instead.`, param: 'image', code: 'invalid_type' });
      images.push(value);
    } else if (key === 'mask') {
      if (typeof value === 'string')
        return openaiError(c, 400, { message: "Invalid type for 'mask': expected a file, but got a string instead.", param: 'mask', code: 'invalid_type' });
      mask = value;
    } else {
      fields[key] = value;
    }
  }
  return { fields, images, mask, multipart: true };
}
