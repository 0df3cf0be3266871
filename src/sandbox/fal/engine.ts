/**
 * FAL's request lifecycle: `IN_QUEUE` (waiting for one of the account's concurrent slots — FAL
 * queues rather than refuses) → `IN_PROGRESS` → `COMPLETED`. A failed or cancelled run also ends
 * `COMPLETED` (the official client's poll loop stops on nothing else); its result GET carries the error.
 */
import { randomUUID } from 'node:crypto';
import { promptFingerprint } from '../ledger.js';
import { findModel } from '../../catalog/index.js';
import { costOf } from '../../catalog/pricing.js';
import { type SandboxContext, VENDOR_LATENCY } from '../context.js';
import { sampleLatencyMs } from '../latency.js';
import { drawPlaceholder, inpaint } from '../draw.js';
import { jsonBytes } from '../retention.js';
import type { FalApp, FalInput } from './apps.js';
import type { FalWebhookSigner } from './signing.js';

/**
 * How long a finished request (status, result) is kept: as long as its output files. The sandbox's
 * memory budget may drop it sooner (oldest first); its status and result then answer FAL's 404.
 */
const FINISHED_TTL_MS = 7 * 24 * 3_600_000;

export type FalStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

export interface FalOutcome {
  status: number;
  body: unknown;
}

export interface FalRequest {
  id: string;
  app: FalApp;
  /** `owner/app` without the subpath: status, result and cancel live under it. */
  base: string;
  input: FalInput;
  /** The body as the client sent it: the Platform API lists it as `json_input`. */
  payload: unknown;
  apiKey: string;
  sentAt: Date;
  startedAt?: Date;
  endedAt?: Date;
  status: FalStatus;
  outcome?: FalOutcome;
  logs: { message: string; level: string; source: 'USER'; timestamp: string }[];
  inferenceSeconds?: number;
  cancel: AbortController;
  webhook?: string;
  moderated: boolean;
  /** Status streams listening for this request's changes. */
  watchers: Set<(request: FalRequest) => void>;
}

export class FalEngine {
  private readonly requests = new Map<string, FalRequest>();
  private waiting = 0;
  /** Requests waiting for a concurrency slot, woken in order as slots free up (FIFO, like FAL's queue). */
  private readonly wakeups: (() => void)[] = [];

  constructor(
    private readonly ctx: SandboxContext,
    private readonly signer: FalWebhookSigner,
  ) {}

  get(id: string): FalRequest | undefined {
    return this.requests.get(id);
  }

  /** Requests ahead of this one that are still waiting for a slot. */
  queuePosition(request: FalRequest): number {
    return request.status === 'IN_QUEUE' ? Math.max(0, this.waiting - 1) : 0;
  }

  /** Queues a request; `done` settles with its outcome (the synchronous host awaits it). */
  submit(fields: Omit<FalRequest, 'id' | 'status' | 'logs' | 'cancel' | 'watchers' | 'sentAt'>): { request: FalRequest; done: Promise<FalOutcome> } {
    const request: FalRequest = {
      ...fields,
      id: randomUUID(),
      status: 'IN_QUEUE',
      logs: [],
      cancel: new AbortController(),
      watchers: new Set(),
      sentAt: new Date(),
    };
    this.requests.set(request.id, request);
    return { request, done: this.ctx.track(this.process(request)) };
  }

  private async process(request: FalRequest): Promise<FalOutcome> {
    this.waiting++;
    let slot: { release: () => void } | undefined;
    let woken = 0;
    try {
      while (!slot) {
        if (request.cancel.signal.aborted) return this.finish(request, { status: 400, body: { detail: 'Request was cancelled before it started' } });
        const taken = this.ctx.limits.acquire('fal');
        if ('release' in taken) slot = taken;
        // A request woken but beaten to the slot by a new arrival keeps its place at the front.
        else await this.nextFreeSlot(request.cancel.signal, woken++ > 0);
      }
    } finally {
      this.waiting--;
    }
    try {
      request.startedAt = new Date();
      this.setStatus(request, 'IN_PROGRESS');
      const startedAt = performance.now();
      this.log(request, request.app.kind === 'fill' ? `Running ${request.app.id}` : `Running ${request.app.id} with ${request.input.steps} steps`);
      const catalog = findModel(request.app.catalogId);
      // Sampled in vendor time: the wait is time-scaled, the reported inference time is not.
      const vendorMs = sampleLatencyMs(catalog?.latency ?? VENDOR_LATENCY.fal);
      await this.ctx.delay(vendorMs, request.cancel.signal);
      if (request.moderated) {
        return this.finish(request, {
          status: 422,
          body: {
            detail: [
              {
                loc: ['body', 'prompt'],
                msg: 'The content was flagged by a content checker.',
                type: 'content_policy_violation',
                url: 'https://docs.fal.ai/errors#content_policy_violation',
              },
            ],
          },
        });
      }
      const seed = request.input.seed ?? this.ctx.pickSeed();
      const { width, height, format, numImages } = request.input;
      const contentType = format === 'png' ? 'image/png' : 'image/jpeg';
      const images = await Promise.all(
        Array.from({ length: numImages }, async (_, i) => {
          const drawing = { format, model: request.app.catalogId, prompt: request.input.prompt, seed: seed + i, grain: this.ctx.grain };
          // A fill app repaints the white part of the mask and keeps the rest of the image.
          const bytes = request.input.image
            ? await inpaint({ ...drawing, image: request.input.image, mask: request.input.mask, maskConvention: 'white-is-edit' })
            : await drawPlaceholder({ ...drawing, width, height });
          const url = request.input.syncMode
            ? `data:${contentType};base64,${bytes.toString('base64')}`
            : `${this.ctx.baseUrl()}${this.ctx.files.put('fal', bytes, contentType, FINISHED_TTL_MS)}`;
          return { url, width, height, content_type: contentType, file_size: bytes.length };
        }),
      );
      // A cancel accepted while the outputs were being written still stops the request: FAL answered
      // CANCELLATION_REQUESTED (not ALREADY_COMPLETED), so it bills nothing.
      if (request.cancel.signal.aborted) throw request.cancel.signal.reason;
      request.inferenceSeconds = Math.round(vendorMs) / 1000;
      const usd = catalog ? costOf(catalog, { images: numImages, width, height }).usd : null;
      this.ctx.ledger.charge({
        vendor: 'fal',
        model: catalog?.id ?? request.app.id,
        requestId: request.id,
        usd,
        images: numImages,
        computeMs: performance.now() - startedAt,
        promptSha256: promptFingerprint(request.input.prompt),
      });
      return this.finish(request, {
        status: 200,
        body: { images, timings: { inference: request.inferenceSeconds }, seed, has_nsfw_concepts: images.map(() => false), prompt: request.input.prompt },
      });
    } catch {
      if (request.cancel.signal.aborted) return this.finish(request, { status: 400, body: { detail: 'Request was cancelled' } });
      // Anything else is the sandbox's own failure: said as one, not dressed up as a cancel.
      return this.finish(request, { status: 500, body: { detail: 'Internal Server Error' } });
    } finally {
      slot.release();
      this.wakeups.shift()?.();
    }
  }

  /** Resolves when a running request gives its slot back, or the waiting request is cancelled. */
  private nextFreeSlot(signal: AbortSignal, front: boolean): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.wakeups.indexOf(wake);
        if (at >= 0) this.wakeups.splice(at, 1);
        resolve();
      };
      if (front) this.wakeups.unshift(wake);
      else this.wakeups.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private setStatus(request: FalRequest, status: FalStatus): void {
    request.status = status;
    for (const watcher of request.watchers) watcher(request);
  }

  cancel(request: FalRequest): 'CANCELLATION_REQUESTED' | 'ALREADY_COMPLETED' {
    if (request.status === 'COMPLETED') return 'ALREADY_COMPLETED';
    request.cancel.abort();
    return 'CANCELLATION_REQUESTED';
  }

  /** Finished requests of one key, most recently ended first (the Platform API's default order). */
  ended(apiKey: string): FalRequest[] {
    return [...this.requests.values()]
      .filter((r) => r.apiKey === apiKey && r.endedAt !== undefined)
      .sort((a, b) => b.endedAt!.getTime() - a.endedAt!.getTime());
  }

  private finish(request: FalRequest, outcome: FalOutcome): FalOutcome {
    request.outcome = outcome;
    request.endedAt = new Date();
    this.log(request, outcome.status === 200 ? 'Completed' : 'Failed');
    this.setStatus(request, 'COMPLETED');
    if (request.webhook) this.deliver(request, outcome);
    const bytes = jsonBytes(outcome.body) + jsonBytes(request.payload) + jsonBytes(request.logs);
    this.ctx.retention.keep(`fal:${request.id}`, bytes, FINISHED_TTL_MS, () => this.requests.delete(request.id));
    return outcome;
  }

  private deliver(request: FalRequest, outcome: FalOutcome): void {
    const ok = outcome.status === 200;
    const body = JSON.stringify({
      request_id: request.id,
      gateway_request_id: request.id,
      status: ok ? 'OK' : 'ERROR',
      ...(ok ? {} : { error: `Invalid status code: ${outcome.status}` }),
      payload: outcome.body,
    });
    this.ctx.webhooks.send('fal', request.webhook!, 'completed', body, this.signer.headers(request.id, body));
  }

  private log(request: FalRequest, message: string): void {
    request.logs.push({ message, level: 'INFO', source: 'USER', timestamp: new Date().toISOString() });
  }
}
