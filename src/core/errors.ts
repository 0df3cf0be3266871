/**
 * One typed error hierarchy for everything easel does.
 *
 * Every error says whether retrying can help (`retryable`), which model and vendor request it
 * belongs to, and — for rate limits — how long to wait. Errors never carry request bodies,
 * image bytes, prompts or keys: messages are built from short vendor messages and field names only.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unsupported_capability'
  | 'authentication'
  | 'permission_denied'
  | 'not_found'
  | 'content_rejected'
  | 'no_image_generated'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'provider_error'
  | 'timeout'
  | 'aborted'
  | 'budget_exceeded';

export interface EaselErrorDetails {
  /** easel model id (`openai/dall-e-3`) the error belongs to, when known. */
  model?: string;
  /** Vendor name (`openai`, `stability`, `replicate`, `fal`). */
  provider?: string;
  /** The vendor's id for the request or job, when one was issued. */
  requestId?: string;
  /** HTTP status the vendor answered with, when the error came from an HTTP answer. */
  status?: number;
  /** The vendor's own short error code (`content_policy_violation`, `rate_limit_exceeded`…). */
  vendorCode?: string;
  /**
   * The vendor job `requestId` exists and the vendor has not reported it failed: only reaching it
   * failed (a status poll, status stream or result download). The job must be resumed, never bought
   * again; only a job the vendor itself reports failed, canceled or expired may be replaced.
   */
  jobAlive?: boolean;
  /**
   * The call was given up on (an abort, a hedge's loss) but the vendor had already finished it, so it
   * is billed: the cancel came too late.
   */
  charged?: boolean;
  cause?: unknown;
}

export abstract class EaselError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly retryable: boolean;
  readonly model?: string;
  readonly provider?: string;
  readonly requestId?: string;
  readonly status?: number;
  readonly vendorCode?: string;
  readonly jobAlive?: boolean;
  readonly charged?: boolean;

  constructor(message: string, details: EaselErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.model = details.model;
    this.provider = details.provider;
    this.requestId = details.requestId;
    this.status = details.status;
    this.vendorCode = details.vendorCode;
    if (details.jobAlive) this.jobAlive = true;
    if (details.charged) this.charged = true;
  }

  /** A JSON-safe view for logs, manifests and API answers (never includes `cause`). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
    for (const key of ['model', 'provider', 'requestId', 'status', 'vendorCode', 'jobAlive'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    return out;
  }
}

/** The request itself is wrong (bad field, missing prompt, unreadable image). */
export class InvalidRequestError extends EaselError {
  readonly code = 'invalid_request' as const;
  readonly retryable = false;
  /** Dotted path of the offending field, when one field is to blame. */
  readonly field?: string;
  constructor(message: string, details: EaselErrorDetails & { field?: string } = {}) {
    super(message, details);
    this.field = details.field;
  }
}

/** The chosen model cannot honour a field of the request; `allowed` says what it can do. */
export class UnsupportedCapabilityError extends EaselError {
  readonly code = 'unsupported_capability' as const;
  readonly retryable = false;
  readonly field: string;
  readonly allowed?: readonly (string | number)[] | string;
  constructor(message: string, details: EaselErrorDetails & { field: string; allowed?: readonly (string | number)[] | string }) {
    super(message, details);
    this.field = details.field;
    this.allowed = details.allowed;
  }
}

export class AuthenticationError extends EaselError {
  readonly code = 'authentication' as const;
  readonly retryable = false;
}

export class PermissionDeniedError extends EaselError {
  readonly code = 'permission_denied' as const;
  readonly retryable = false;
}

export class NotFoundError extends EaselError {
  readonly code = 'not_found' as const;
  readonly retryable = false;
}

/** The vendor's safety system refused the prompt or the output. Not retried across vendors by default. */
export class ContentRejectedError extends EaselError {
  readonly code = 'content_rejected' as const;
  readonly retryable = false;
}

/** The call "succeeded" but produced no image (empty `data: []`, all outputs filtered…). */
export class NoImageGeneratedError extends EaselError {
  readonly code = 'no_image_generated' as const;
  readonly retryable = false;
  /** Every attempt that was made, when the error closes a routed call. */
  readonly attempts?: readonly unknown[];
  constructor(message: string, details: EaselErrorDetails & { attempts?: readonly unknown[] } = {}) {
    super(message, details);
    this.attempts = details.attempts;
  }
}

export class RateLimitedError extends EaselError {
  readonly code = 'rate_limited' as const;
  readonly retryable = true;
  /** How long the vendor asked us to wait, from `retry-after-ms` / `retry-after`. */
  readonly retryAfterMs?: number;
  constructor(message: string, details: EaselErrorDetails & { retryAfterMs?: number } = {}) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** 5xx, dropped connections, malformed answers: the vendor, not the request, is at fault. */
export class ProviderUnavailableError extends EaselError {
  readonly code = 'provider_unavailable' as const;
  readonly retryable = true;
  readonly retryAfterMs?: number;
  constructor(message: string, details: EaselErrorDetails & { retryAfterMs?: number } = {}) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Any other vendor 4xx (402 payment required, 409, 413 …). */
export class ProviderError extends EaselError {
  readonly code = 'provider_error' as const;
  readonly retryable = false;
}

export class TimeoutError extends EaselError {
  readonly code = 'timeout' as const;
  readonly retryable = true;
}

export class AbortedError extends EaselError {
  readonly code = 'aborted' as const;
  readonly retryable = false;
}

export class BudgetExceededError extends EaselError {
  readonly code = 'budget_exceeded' as const;
  readonly retryable = false;
}

export function isEaselError(value: unknown): value is EaselError {
  return value instanceof EaselError;
}
