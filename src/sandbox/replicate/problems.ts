/**
 * Replicate's error bodies: RFC 7807 problem details (`{title, detail, status}`) served as
 * `application/problem+json`, except the throttling answer, which has no title (protocols.md 3.7).
 */
import type { Context } from 'hono';
import type { SandboxEnv, SandboxError, VendorAdapter } from '../context.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthenticated',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface Problem {
  status: number;
  title?: string;
  detail: string;
  /** Extra members (Replicate's 422 lists `invalid_fields`). */
  extra?: Record<string, unknown>;
  retryAfterMs?: number;
}

export function problem(c: Context<SandboxEnv>, p: Problem): Response {
  const body: Record<string, unknown> = { title: p.title ?? TITLES[p.status] ?? 'Error', detail: p.detail, status: p.status, ...p.extra };
  return c.body(JSON.stringify(body), p.status as 400, { 'content-type': 'application/problem+json', ...retryAfter(p.retryAfterMs) });
}

/** The 429 body Replicate documents: `{"detail":"Request was throttled. Your rate limit resets in ~30s.","status":429}`. */
export function throttled(c: Context<SandboxEnv>, retryAfterMs: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const body = { detail: `Request was throttled. Your rate limit resets in ~${seconds}s.`, status: 429 };
  return c.body(JSON.stringify(body), 429, { 'content-type': 'application/problem+json', ...retryAfter(retryAfterMs) });
}

/**
 * Retry-After in seconds. The sandbox's time scale makes waits shorter than a second, so fractions
 * are kept (`0.03`) rather than rounded up to a second that would dwarf the scaled window.
 */
function retryAfter(ms: number | undefined): Record<string, string> {
  if (ms === undefined) return {};
  const seconds = Math.max(0.001, Math.round(ms) / 1000);
  return { 'retry-after': String(seconds) };
}

export const replicateGate: VendorAdapter = {
  vendor: 'replicate',
  extractKey(c) {
    // The API takes `Bearer <token>`; older clients sent `Token <token>`.
    const match = /^(?:Bearer|Token)\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    return match?.[1];
  },
  renderError(c, error: SandboxError) {
    if (error.status === 401) return problem(c, { status: 401, title: 'Unauthenticated', detail: 'You did not pass a valid authentication token' });
    if (error.status === 429) return throttled(c, error.retryAfterMs ?? 1000);
    return problem(c, { status: error.status, detail: error.message, retryAfterMs: error.retryAfterMs });
  },
};
