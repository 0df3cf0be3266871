/**
 * The one HTTP layer every adapter uses: JSON post, multipart post, binary get; one place that turns
 * network failures and vendor error bodies into typed errors and reads `retry-after-ms` / `retry-after`.
 * A vendor's error module then only says how to read its error body.
 */
import type { TransportAnswer } from './transport.js';
import type { z } from 'zod';
import { errorFromSignal } from '../core/abort.js';
import {
  AuthenticationError,
  ContentRejectedError,
  type EaselError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  ProviderUnavailableError,
  RateLimitedError,
} from '../core/errors.js';
import type { ProviderId } from '../core/task.js';
import type { ProviderCall, ProviderRuntime } from './types.js';

/** What a vendor's error body says, read by that vendor's parser. */
export interface VendorErrorInfo {
  /** Short vendor message; truncated before use, never the request. */
  message: string;
  vendorCode?: string;
  /** The vendor's safety system refused the request. */
  moderation?: boolean;
}

/** Reads a vendor error body; `body` is parsed JSON when the body was JSON, else the text. */
export type VendorErrorParser = (status: number, body: unknown, headers: Headers) => VendorErrorInfo;

/**
 * A vendor's error parser, from how it reads its JSON error envelope. Bodies that are not JSON (a
 * proxy's HTML page, plain text) keep only a short first line, the same for every vendor.
 */
export function vendorErrorParser(readEnvelope: (body: Record<string, unknown>, headers: Headers, status: number) => VendorErrorInfo): VendorErrorParser {
  return (status, body, headers) => {
    if (typeof body === 'object' && body !== null) return readEnvelope(body as Record<string, unknown>, headers, status);
    return { message: typeof body === 'string' ? (body.split('\n')[0] ?? '').slice(0, 120) : '' };
  };
}

/** A field of an error envelope, when it is text. */
export const textField = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export interface HttpScope {
  provider: ProviderId;
  /** easel model id, for error messages. */
  model?: string;
  runtime: ProviderRuntime;
  parseError: VendorErrorParser;
}

/** The scope of one adapter's calls for one model: every adapter builds it the same way. */
export function vendorScope(provider: ProviderId, parseError: VendorErrorParser): (call: ProviderCall, runtime: ProviderRuntime) => HttpScope {
  return (call, runtime) => ({ provider, model: call.model.id, runtime, parseError });
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** A plain object is sent as JSON; FormData as multipart (fetch sets the boundary). */
  body?: unknown;
  /** Override the runtime signal (for a cancel call made after the main signal aborted). */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  /** Vendor request id from the usual headers, when present. */
  requestId: string | undefined;
}

const MAX_VENDOR_MESSAGE = 300;

export async function send(scope: HttpScope, req: HttpRequest): Promise<HttpAnswer> {
  const signal = req.signal ?? scope.runtime.signal;
  if (signal.aborted) throw errorFromSignal(signal, scope);
  const headers: Record<string, string> = { ...req.headers };
  let body: BodyInit | undefined;
  if (req.body instanceof FormData) body = req.body;
  else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  let received: TransportAnswer;
  try {
    received = await transmit(scope, req.url, { method: req.method, headers, body, signal });
  } catch (error) {
    if (signal.aborted) throw errorFromSignal(signal, scope);
    if (error instanceof ProviderUnavailableError) throw error;
    throw new ProviderUnavailableError(`${scope.provider}: network error calling ${safeUrl(req.url)}: ${describe(error)}`, {
      ...scope,
      cause: error,
    });
  }
  const answer: HttpAnswer = { ...received, requestId: requestIdFrom(received.headers) };
  if (received.status < 200 || received.status > 299) throw errorFromAnswer(scope, answer);
  return answer;
}

/** One exchange: the runtime's transport (undici) for plain bodies, else its fetch; the whole body read. */
async function transmit(
  scope: HttpScope,
  url: string,
  req: { method: string; headers: Record<string, string>; body: BodyInit | undefined; signal: AbortSignal },
): Promise<TransportAnswer> {
  const { transport } = scope.runtime;
  if (transport && (req.body === undefined || typeof req.body === 'string')) return transport(url, { ...req, body: req.body });
  const response = await scope.runtime.fetch(url, req);
  try {
    return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    if (req.signal.aborted) throw error;
    throw new ProviderUnavailableError(`${scope.provider}: connection dropped while reading the answer from ${safeUrl(url)}`, {
      ...scope,
      status: response.status,
      cause: error,
    });
  }
}

/** Parses a JSON answer with a lenient schema; a malformed body is the vendor's fault (retryable). */
export function readJson<S extends z.ZodType>(scope: HttpScope, answer: HttpAnswer, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(answer.bytes));
  } catch {
    throw new ProviderUnavailableError(`${scope.provider}: malformed answer (not JSON, ${answer.bytes.length} bytes)`, {
      ...scope,
      status: answer.status,
      requestId: answer.requestId,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || '(root)';
    throw new ProviderUnavailableError(`${scope.provider}: malformed answer: unexpected shape at ${where}`, {
      ...scope,
      status: answer.status,
      requestId: answer.requestId,
    });
  }
  return parsed.data;
}

export function errorFromAnswer(scope: HttpScope, answer: HttpAnswer): EaselError {
  const text = new TextDecoder().decode(answer.bytes.subarray(0, 64 * 1024));
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: parsers get the text */
  }
  let info: VendorErrorInfo;
  try {
    info = scope.parseError(answer.status, body, answer.headers);
  } catch {
    info = { message: '' };
  }
  const vendorMessage = truncate(info.message || `HTTP ${answer.status}`);
  const message = `${scope.provider}${scope.model ? ` (${scope.model})` : ''} answered ${answer.status}: ${vendorMessage}`;
  const details = {
    model: scope.model,
    provider: scope.provider,
    requestId: answer.requestId,
    status: answer.status,
    vendorCode: info.vendorCode,
  };
  const status = answer.status;
  if (info.moderation) return new ContentRejectedError(message, details);
  // An HTTP-date Retry-After is read against the runtime's clock, like every other wait of the call.
  if (status === 429) return new RateLimitedError(message, { ...details, retryAfterMs: retryAfterMs(answer.headers, scope.runtime.now()) });
  if (status >= 500 || status === 408)
    return new ProviderUnavailableError(message, { ...details, retryAfterMs: retryAfterMs(answer.headers, scope.runtime.now()) });
  if (status === 401) return new AuthenticationError(message, details);
  if (status === 403) return new PermissionDeniedError(message, details);
  if (status === 404) return new NotFoundError(message, details);
  if (status === 400 || status === 413 || status === 422) return new InvalidRequestError(message, details);
  return new ProviderError(message, details);
}

/** `retry-after-ms` (OpenAI) first, then `retry-after` in seconds or as an HTTP date (counted from `now`, ms since the epoch). */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function requestIdFrom(headers: Headers): string | undefined {
  return headers.get('x-request-id') ?? headers.get('x-fal-request-id') ?? headers.get('request-id') ?? undefined;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_VENDOR_MESSAGE ? `${oneLine.slice(0, MAX_VENDOR_MESSAGE)}…` : oneLine;
}

/** Drops the query string: signed URLs carry secrets there. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
