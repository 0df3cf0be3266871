/**
 * FAL's error shapes (protocols.md 4.7): validation `{detail: [{loc, msg, type}]}` (422),
 * infrastructure `{detail, error_type}` with `X-Fal-Error-Type`, plain `{detail}` otherwise.
 * The 429 body is not documented; the sandbox answers `{detail, error_type: 'rate_limited'}` with Retry-After.
 */
import type { Context } from 'hono';
import type { SandboxEnv, SandboxError, VendorAdapter } from '../context.js';

const ERROR_TYPES: Partial<Record<SandboxError['kind'], string>> = {
  unavailable: 'runner_scheduling_failure',
  server_error: 'internal_error',
  timeout: 'request_timeout',
  rate_limited: 'rate_limited',
};

export function falError(c: Context<SandboxEnv>, status: number, detail: unknown, errorType?: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (errorType) headers['x-fal-error-type'] = errorType;
  return c.body(JSON.stringify(errorType ? { detail, error_type: errorType } : { detail }), status as 400, headers);
}

export const falGate: VendorAdapter = {
  vendor: 'fal',
  extractKey(c) {
    return /^Key\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  },
  renderError(c, error) {
    if (error.kind === 'unauthorized') return falError(c, 401, 'Unauthorized: pass your key as `Authorization: Key <FAL_KEY>`');
    const retry: Record<string, string> =
      error.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(0.001, Math.round(error.retryAfterMs) / 1000)) };
    return falError(c, error.status, error.message, ERROR_TYPES[error.kind], retry);
  },
};
