/**
 * OpenAI's error envelope `{error: {message, type, param, code}}` (protocols.md 1.8), the request
 * id every answer carries, and the gate adapter (Bearer key, 401/429/5xx in OpenAI's words).
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { SandboxEnv, SandboxError, VendorAdapter } from '../context.js';

export interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** `req_` + 32 hex, the shape of OpenAI's `x-request-id`. */
export function newRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

const REQUEST_IDS = new WeakMap<Request, string>();

/** The request id of this answer: one per request, whichever code answers it. */
export function requestIdOf(c: Context<SandboxEnv>): string {
  let id = REQUEST_IDS.get(c.req.raw);
  if (!id) {
    id = newRequestId();
    REQUEST_IDS.set(c.req.raw, id);
  }
  return id;
}

export function openaiError(
  c: Context<SandboxEnv>,
  status: number,
  error: Partial<OpenAIErrorBody> & { message: string },
  headers: Record<string, string> = {},
): Response {
  const body: OpenAIErrorBody = { message: error.message, type: error.type ?? 'invalid_request_error', param: error.param ?? null, code: error.code ?? null };
  return c.json({ error: body }, status as 400, { 'x-request-id': requestIdOf(c), ...headers });
}

/** 400 for a bad field, in the modern wording (`invalid_value`, `param` names the field). */
export function invalidValue(c: Context<SandboxEnv>, param: string, message: string, code = 'invalid_value'): Response {
  return openaiError(c, 400, { message, param, code });
}

/**
 * `retry-after-ms` (what the official client reads first) and `retry-after` in seconds. The time
 * scale makes waits shorter than a second: fractions are kept rather than rounded up to 1 s.
 */
export function retryHeaders(ms: number | undefined): Record<string, string> {
  if (ms === undefined) return {};
  const millis = Math.max(0, Math.round(ms * 1000) / 1000);
  return { 'retry-after-ms': String(millis), 'retry-after': String(Math.max(0.001, Math.round(millis) / 1000)) };
}

export function rateLimited(c: Context<SandboxEnv>, model: string, detail: string, retryAfterMs: number): Response {
  const seconds = Math.max(0.001, Math.round(retryAfterMs) / 1000);
  return openaiError(
    c,
    429,
    {
      message: `Rate limit reached for ${model} in organization org-sandbox on images per min (ipm): ${detail}. Please try again in ${seconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      type: 'requests',
      code: 'rate_limit_exceeded',
    },
    retryHeaders(retryAfterMs),
  );
}

export const openaiGate: VendorAdapter = {
  vendor: 'openai',
  extractKey(c) {
    return /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  },
  renderError(c, error: SandboxError) {
    const retry = retryHeaders(error.retryAfterMs);
    switch (error.kind) {
      case 'unauthorized':
        return c.req.header('authorization')
          ? openaiError(c, 401, {
              message: 'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.',
              code: 'invalid_api_key',
            })
          : openaiError(c, 401, {
              message:
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
              code: 'invalid_api_key',
            });
      case 'rate_limited':
        return rateLimited(c, 'images', error.message.replace(/\.$/, ''), error.retryAfterMs ?? 1000);
      case 'unavailable':
        return openaiError(c, error.status, { message: 'The engine is currently overloaded, please try again later.', type: 'server_error' }, retry);
      case 'server_error':
      case 'timeout':
        return openaiError(
          c,
          error.status,
          { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error' },
          retry,
        );
      case 'not_found':
        return openaiError(c, 404, { message: error.message, code: 'not_found' });
      default:
        if (error.status === 403) {
          return openaiError(c, 403, {
            message: 'Country, region, or territory not supported',
            type: 'request_forbidden',
            code: 'unsupported_country_region_territory',
          });
        }
        return openaiError(c, error.status, { message: error.message }, retry);
    }
  },
};
