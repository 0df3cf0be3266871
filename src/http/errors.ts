/**
 * One place that renders errors for the gateway, in OpenAI's envelope
 * `{ error: { message, type, param, code } }` on every route. Unknown errors never leak their text.
 */
import type { Context } from 'hono';
import { BudgetExceededError, ContentRejectedError, EaselError } from '../core/errors.js';

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** What an error says besides its status and message, in OpenAI's envelope (and extra headers). */
export interface GatewayErrorDetails {
  /** Default `invalid_request_error`. */
  type?: string;
  code?: string | null;
  /** The request field to blame. */
  param?: string | null;
  headers?: Record<string, string>;
}

export class GatewayError extends Error {
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    message: string,
    details: GatewayErrorDetails = {},
  ) {
    super(message);
    this.type = details.type ?? 'invalid_request_error';
    this.code = details.code ?? null;
    this.param = details.param ?? null;
    this.headers = details.headers ?? {};
  }
}

/**
 * A gateway key's budget refused a vendor attempt. To the router it is a BudgetExceededError (the
 * request stops without falling back; a hedge backup is simply not started); to the caller a 402.
 */
export class KeyQuotaError extends BudgetExceededError {
  constructor(
    message: string,
    readonly quotaCode: 'insufficient_quota' | 'price_unknown',
    model: string,
  ) {
    super(message, { model });
  }
}

const STATUS_BY_CODE: Record<string, [number, string]> = {
  invalid_request: [400, 'invalid_request_error'],
  unsupported_capability: [400, 'invalid_request_error'],
  authentication: [502, 'upstream_error'],
  permission_denied: [502, 'upstream_error'],
  not_found: [404, 'invalid_request_error'],
  content_rejected: [400, 'invalid_request_error'],
  no_image_generated: [502, 'upstream_error'],
  rate_limited: [429, 'rate_limit_error'],
  provider_unavailable: [503, 'upstream_error'],
  provider_error: [502, 'upstream_error'],
  timeout: [504, 'upstream_error'],
  aborted: [499, 'invalid_request_error'],
  budget_exceeded: [402, 'insufficient_quota'],
};

export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof KeyQuotaError)
    return new GatewayError(402, error.message, {
      type: 'insufficient_quota',
      code: error.quotaCode,
      param: error.quotaCode === 'price_unknown' ? 'model' : null,
    });
  if (error instanceof EaselError) {
    const [status, type] = STATUS_BY_CODE[error.code] ?? [500, 'server_error'];
    const code = error instanceof ContentRejectedError ? 'content_policy_violation' : error.code;
    const param = 'field' in error && typeof error.field === 'string' ? error.field : null;
    // A vendor's 401 is the gateway's configuration problem, not the caller's: say so without detail.
    const message =
      error.code === 'authentication' ? `the gateway's key for ${error.provider ?? 'the vendor'} was refused; tell the gateway operator` : error.message;
    const headers: Record<string, string> = {};
    if ('retryAfterMs' in error && typeof error.retryAfterMs === 'number') headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
    return new GatewayError(status, message, { type, code, param, headers });
  }
  return new GatewayError(500, 'internal error in the gateway', { type: 'server_error', code: 'internal_error' });
}

export function renderError(c: Context, error: unknown): Response {
  const e = toGatewayError(error);
  const body: ErrorBody = { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
  return c.json(body, e.status as 400, e.headers);
}
