/**
 * What every vendor module of the sandbox shares: clock and time scale, ledger, faults, limits,
 * file store, webhook sender, request log, and the gate every vendor route passes through.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { sleep } from '../core/clock.js';
import type { LatencyProfile } from '../catalog/types.js';
import type { FaultDecision, FaultInjector, RequestKind } from './faults.js';
import type { FileStore } from './files.js';
import { sampleLatencyMs } from './latency.js';
import type { Ledger, Vendor } from './ledger.js';
import type { RateLimiter, RequestWindow } from './rate-limit.js';
import { pushBounded, type Retention } from './retention.js';
import type { WebhookSender } from './webhooks.js';

export type SandboxEnv = {
  Bindings: Partial<HttpBindings>;
  /** `requestWindow`: the per-minute window as the gate counted this request (submits only). */
  Variables: { fault: FaultDecision | undefined; apiKey: string; requestWindow: RequestWindow | undefined };
};

/** An error the sandbox must render in a vendor's own shape. */
export interface SandboxError {
  status: number;
  kind: 'unauthorized' | 'rate_limited' | 'server_error' | 'unavailable' | 'timeout' | 'bad_request' | 'not_found';
  message: string;
  /** Before time scaling has been applied? No: already scaled, ready for the header. */
  retryAfterMs?: number;
}

/** What the gate needs to know of a vendor. */
export interface VendorAdapter {
  vendor: Vendor;
  /** The API key the request presents, in the vendor's header format; undefined when none. */
  extractKey(c: Context<SandboxEnv>): string | undefined;
  renderError(c: Context<SandboxEnv>, error: SandboxError): Response;
}

export interface RecordedRequest {
  vendor: Vendor | 'files' | 'control';
  method: string;
  path: string;
  status?: number;
  fault?: string;
  at: string;
}

export interface SandboxContext {
  /** Root URL of the sandbox (`http://127.0.0.1:PORT`), known once it listens. */
  baseUrl: () => string;
  timeScale: () => number;
  /** Sleeps `ms × timeScale`. */
  delay: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Counts a vendor job that runs after its request was answered as work until it settles (the idle stop waits for it). */
  track: <T>(job: Promise<T>) => Promise<T>;
  /** A latency sample for a model (or the vendor default), already time-scaled. */
  latencyMs: (profile: Pick<LatencyProfile, 'p50Ms' | 'p99Ms'> | undefined, vendor: Vendor) => number;
  ledger: Ledger;
  faults: FaultInjector;
  limits: RateLimiter;
  files: FileStore;
  /** The byte budget for what the sandbox keeps after answering (files, finished jobs). */
  retention: Retention;
  webhooks: WebhookSender;
  /**
   * The request log (`GET /_sandbox/requests`), oldest first: the newest `requestLogSize` requests,
   * and at most a tenth more before the oldest are dropped (see pushBounded). Bounded so that a
   * long-running sandbox (the background one) does not grow without limit.
   */
  requests: RecordedRequest[];
  /** Requests the log keeps: the `requestLogSize` option, default DEFAULT_REQUEST_LOG_SIZE. */
  requestLogSize: number;
  /** A fixed key per vendor (to test 401 paths); when unset any non-empty key is accepted. */
  fixedKeys: Partial<Record<Vendor, string>>;
  /** Replicate cold starts (extra delay in ms before scaling, and how often); unset = each model's catalog figure. */
  coldStart?: { ms: number; rate: number };
  /** Seeded noise (0–255; 0 = none) this sandbox draws over its placeholders: its `grain` option. */
  grain: number;
  /** The seed for a request that gives none: this sandbox's `fixedSeed` option, else a random one as vendors pick. */
  pickSeed: () => number;
  /**
   * Middleware: log, authenticate, inject faults (by the route's kind of request), enforce rate
   * limits (submit routes only). `submit: true` is short for `kind: 'submit'`; default `other`.
   */
  gate: (vendor: VendorAdapter, options?: { submit?: boolean; kind?: RequestKind }) => MiddlewareHandler<SandboxEnv>;
}

/** Vendor default latencies from the guide's uptime table (p50, p99). */
export const VENDOR_LATENCY: Record<Vendor, { p50Ms: number; p99Ms: number }> = {
  openai: { p50Ms: 11_000, p99Ms: 18_000 },
  stability: { p50Ms: 8_000, p99Ms: 12_000 },
  replicate: { p50Ms: 5_000, p99Ms: 8_000 },
  fal: { p50Ms: 4_000, p99Ms: 6_000 },
};

export function makeLatency(timeScale: () => number) {
  return (profile: Pick<LatencyProfile, 'p50Ms' | 'p99Ms'> | undefined, vendor: Vendor): number =>
    sampleLatencyMs(profile ?? VENDOR_LATENCY[vendor]) * timeScale();
}

export function makeDelay(timeScale: () => number) {
  return (ms: number, signal?: AbortSignal) => sleep(ms * timeScale(), signal);
}

/** Requests kept in the request log by default: far more than any test reads, a few MB at most. */
export const DEFAULT_REQUEST_LOG_SIZE = 10_000;

export function recordRequest(ctx: Pick<SandboxContext, 'requests' | 'requestLogSize'>, record: RecordedRequest): void {
  pushBounded(ctx.requests, record, ctx.requestLogSize);
}

export function makeGate(ctx: Omit<SandboxContext, 'gate'>): SandboxContext['gate'] {
  return (adapter, options = {}) =>
    async (c, next) => {
      const path = new URL(c.req.url).pathname;
      const record: RecordedRequest = { vendor: adapter.vendor, method: c.req.method, path, at: new Date().toISOString() };
      recordRequest(ctx, record);
      const finish = (res: Response) => {
        record.status = res.status;
        return res;
      };

      const key = adapter.extractKey(c);
      const fixed = ctx.fixedKeys[adapter.vendor];
      if (!key || (fixed !== undefined && key !== fixed)) {
        return finish(adapter.renderError(c, { status: 401, kind: 'unauthorized', message: key ? 'Incorrect API key provided.' : 'No API key provided.' }));
      }
      c.set('apiKey', key);

      const kind: RequestKind = options.kind ?? (options.submit ? 'submit' : 'other');
      const fault = ctx.faults.decide(adapter.vendor, c.req.method, path, c.req.header('x-sandbox-fault'), kind);
      if (fault) record.fault = fault.kind === 'status' ? String(fault.status) : fault.kind;
      const faulted = await answerFault(ctx, c, fault, (error) => adapter.renderError(c, error));
      if (faulted) return finish(faulted);
      if (kind === 'submit') {
        const verdict = ctx.limits.checkRequest(adapter.vendor);
        if (!verdict.ok) {
          record.fault = `limit:${verdict.reason}`;
          return finish(
            adapter.renderError(c, {
              status: 429,
              kind: 'rate_limited',
              message: `Rate limit reached (${verdict.reason}, limit ${verdict.limit}).`,
              retryAfterMs: verdict.retryAfterMs,
            }),
          );
        }
        c.set('requestWindow', verdict.window);
      }
      c.set('fault', fault);
      await next();
      record.status = c.res.status;
      if (fault?.kind === 'lost') {
        // The vendor did the work (and billed it); only the answer is lost on the way back.
        record.status = 499;
        c.res = dropConnection(c);
      }
    };
}

/**
 * The answer to a fault that stops a request before the vendor's handler (a status, a hang, a
 * dropped connection, a malformed body), or undefined when the handler must run.
 */
export async function answerFault(
  ctx: Pick<SandboxContext, 'faults' | 'timeScale' | 'delay'>,
  c: Context<SandboxEnv>,
  fault: FaultDecision | undefined,
  render: (error: SandboxError) => Response,
): Promise<Response | undefined> {
  if (fault?.kind === 'status') {
    const retryAfterMs = fault.status === 429 || fault.status === 503 ? (fault.retryAfterMs ?? ctx.faults.retryAfterMs) * ctx.timeScale() : undefined;
    const kind =
      fault.status === 429
        ? 'rate_limited'
        : fault.status === 503
          ? 'unavailable'
          : fault.status >= 500
            ? 'server_error'
            : fault.status === 401
              ? 'unauthorized'
              : fault.status === 404
                ? 'not_found'
                : 'bad_request';
    return render({ status: fault.status, kind, message: `Injected fault: ${fault.status}`, retryAfterMs });
  }
  if (fault?.kind === 'hang') {
    await ctx.delay(ctx.faults.hangMs, c.req.raw.signal).catch(() => undefined);
    return render({ status: 504, kind: 'timeout', message: 'Injected fault: the request hung and timed out' });
  }
  if (fault?.kind === 'drop') return dropConnection(c);
  if (fault?.kind === 'malformed') {
    return new Response('{"data": [{"b64_json": "iVBORw0KGgo', { status: 200, headers: { 'content-type': 'application/json' } });
  }
  return undefined;
}

/** Resets the client's connection: it sees a network error, never an answer. */
function dropConnection(c: Context<SandboxEnv>): Response {
  const socket = c.env?.incoming?.socket;
  if (!socket) throw new Error('Injected fault: connection dropped');
  socket.destroy();
  return new Response(null, { status: 499 });
}

/** Whether a request must be refused by the vendor's safety system. */
export function moderationRequested(c: Context<SandboxEnv>, prompt: string | undefined): boolean {
  return c.get('fault')?.kind === 'moderation' || (prompt ?? '').includes('[sandbox:moderation]');
}
