/**
 * Stability's error bodies (protocols.md 2.8–2.9): v2beta `{id, name, errors[]}`, v1 `{id, name, message}`.
 * The v2beta 429 is the documented lockout message.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { SandboxEnv, SandboxError, VendorAdapter } from '../context.js';

export const LOCKOUT_MESSAGE = 'You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds.';

export function v2Error(c: Context<SandboxEnv>, status: number, name: string, errors: string[], headers: Record<string, string> = {}): Response {
  const id = status === 429 ? 'rate_limit_exceeded' : randomBytes(16).toString('hex');
  return c.body(JSON.stringify({ id, name, errors }), status as 400, { 'content-type': 'application/json', ...headers });
}

export function v1Error(c: Context<SandboxEnv>, status: number, name: string, message: string, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify({ id: randomUUID(), name, message }), status as 400, { 'content-type': 'application/json', ...headers });
}

const NAMES: Record<SandboxError['kind'], string> = {
  unauthorized: 'unauthorized',
  rate_limited: 'rate_limit_exceeded',
  server_error: 'internal_error',
  unavailable: 'service_unavailable',
  timeout: 'timeout',
  bad_request: 'bad_request',
  not_found: 'not_found',
};

export const stabilityGate: VendorAdapter = {
  vendor: 'stability',
  extractKey(c) {
    // Stability's samples send `Bearer sk-…`; its own ComfyUI node sends the bare key. Both work.
    const raw = c.req.header('authorization')?.trim();
    return raw ? raw.replace(/^Bearer\s+/i, '') || undefined : undefined;
  },
  renderError(c, error) {
    const headers: Record<string, string> =
      error.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(0.001, Math.round(error.retryAfterMs) / 1000)) };
    const v1 = new URL(c.req.url).pathname.includes('/stability/v1/');
    const message =
      error.kind === 'rate_limited'
        ? LOCKOUT_MESSAGE
        : error.kind === 'unauthorized'
          ? 'authorization: missing or invalid API key'
          : error.kind === 'server_error'
            ? 'An unexpected server error has occurred, please try again later.'
            : error.message;
    return v1 ? v1Error(c, error.status, NAMES[error.kind], message, headers) : v2Error(c, error.status, NAMES[error.kind], [message], headers);
  },
};
