/**
 * The prediction state machine: `starting` (queue, cold boot) → `processing` (the model runs) →
 * `succeeded` | `failed` | `canceled`, on time-scaled latencies drawn from the catalog. Sends the
 * webhooks the prediction asked for, charges the ledger once on success (never for failures or
 * cancels), and holds a concurrency slot until the prediction ends.
 */
import { splitLatency } from '../../catalog/compute-time.js';
import { promptFingerprint } from '../ledger.js';
import { costOf } from '../../catalog/pricing.js';
import type { SandboxContext } from '../context.js';
import { VENDOR_LATENCY } from '../context.js';
import { sampleLatencyMs } from '../latency.js';
import { InputFileError, readInputFile } from '../inputs.js';
import { jsonBytes } from '../retention.js';
import type { SandboxModel } from './models.js';
import { isTerminal, type Prediction, predictionJson, replicateId, type WebhookEvent } from './prediction.js';
import { RenderError, type RenderedImage, render } from './render.js';
import { WebhookSigner } from './signing.js';
import { UploadStore } from './uploads.js';

/**
 * Replicate removes API predictions after an hour; so does the sandbox, or sooner when its memory
 * budget is full (oldest finished first): either way a GET then answers Replicate's 404.
 */
const RETENTION_MS = 60 * 60 * 1000;
const OUTPUT_TTL_MS = 60 * 60 * 1000;
const GENERIC_NSFW = 'NSFW content detected. Try running it again, or try a different prompt.';

export interface NewPrediction {
  model: SandboxModel;
  input: Record<string, unknown>;
  resolvedInput: Record<string, unknown>;
  webhook: string | undefined;
  webhookEventsFilter: WebhookEvent[] | undefined;
  /** The safety checker will flag this prediction's output. */
  moderated: boolean;
  /** Frees the concurrency slot. */
  release: () => void;
}

export class ReplicateEngine {
  readonly uploads: UploadStore;
  readonly signer = new WebhookSigner();
  private readonly predictions = new Map<string, Prediction>();
  private readonly finishers = new Map<string, () => void>();

  constructor(private readonly ctx: SandboxContext) {
    this.uploads = new UploadStore(ctx.retention);
  }

  apiBase(): string {
    return `${this.ctx.baseUrl()}/replicate/v1`;
  }

  get(id: string): Prediction | undefined {
    return this.predictions.get(id);
  }

  /** Newest first, as the list endpoint pages them. */
  list(): Prediction[] {
    return [...this.predictions.values()].reverse();
  }

  create(spec: NewPrediction): Prediction {
    let resolveDone!: () => void;
    const p: Prediction = {
      id: replicateId(),
      model: spec.model,
      input: spec.input,
      resolvedInput: spec.resolvedInput,
      status: 'starting',
      output: null,
      error: null,
      logs: '',
      createdAt: new Date(),
      startedAt: undefined,
      completedAt: undefined,
      predictTime: undefined,
      webhook: spec.webhook,
      webhookEventsFilter: spec.webhookEventsFilter,
      finishing: false,
      done: new Promise<void>((resolve) => (resolveDone = resolve)),
      abort: new AbortController(),
    };
    let finished = false;
    this.finishers.set(p.id, () => {
      if (finished) return;
      finished = true;
      p.completedAt ??= new Date();
      spec.release();
      this.notify(p, 'completed');
      resolveDone();
      this.ctx.retention.keep(`replicate:${p.id}`, jsonBytes(p.input) + p.logs.length + jsonBytes(p.output), RETENTION_MS, () => {
        this.predictions.delete(p.id);
        this.finishers.delete(p.id);
      });
    });
    this.predictions.set(p.id, p);
    this.notify(p, 'start');
    void this.ctx.track(this.run(p, spec.moderated)).catch((error: unknown) => {
      if (isTerminal(p)) return;
      this.fail(p, error instanceof RenderError || error instanceof InputFileError ? error.message : 'Prediction failed: internal model error');
    });
    return p;
  }

  cancel(p: Prediction): void {
    if (isTerminal(p)) return;
    p.status = 'canceled';
    p.completedAt = new Date();
    if (p.startedAt) p.predictTime = this.unscaledSeconds(p.completedAt.getTime() - p.startedAt.getTime());
    p.abort.abort();
    this.finishers.get(p.id)?.();
  }

  private async run(p: Prediction, moderated: boolean): Promise<void> {
    const signal = p.abort.signal;
    const profile = p.model.catalog?.latency ?? VENDOR_LATENCY.replicate;
    const totalMs = sampleLatencyMs(profile);
    const count = p.model.render === 'upscale' ? 1 : Number(p.resolvedInput.num_outputs ?? 1);
    const coldMs = this.coldStartMs(p.model);
    // Queueing is a small slice of the latency; batches take longer to compute than one image.
    const { queueMs, computeMs: predictMs } = splitLatency(totalMs, count);
    await this.ctx.delay(queueMs + coldMs, signal);

    p.status = 'processing';
    p.startedAt = new Date();
    const seed = typeof p.resolvedInput.seed === 'number' ? p.resolvedInput.seed : this.ctx.pickSeed();
    this.log(p, `${coldMs > 0 ? 'Model booted (cold start)\n' : ''}Using seed: ${seed}\n`);
    const rendering = render({
      model: p.model,
      input: p.resolvedInput,
      seed,
      grain: this.ctx.grain,
      readFile: (value, field) => readInputFile(value, this.ctx, field, this.uploads),
    }).then(
      (images) => ({ images }),
      (error: unknown) => ({ error }),
    );
    await this.ctx.delay(predictMs, signal);
    p.finishing = true;
    const rendered = await rendering;
    if (isTerminal(p)) return;
    // Billed on the reported figure (ms precision), as the ledger must match `metrics.predict_time`.
    p.predictTime = Math.round(predictMs) / 1000;
    if ('error' in rendered) throw rendered.error;
    if (moderated) return this.fail(p, p.model.nsfwError ?? GENERIC_NSFW);
    this.log(p, progressLines(Number(p.resolvedInput.num_inference_steps ?? 1)));
    this.succeed(p, rendered.images);
  }

  private succeed(p: Prediction, images: RenderedImage[]): void {
    const urls = images.map((img) => `${this.ctx.baseUrl()}${this.ctx.files.put('replicate', img.bytes, img.mediaType, OUTPUT_TTL_MS)}`);
    p.output = p.model.render === 'upscale' ? urls[0]! : urls;
    this.notify(p, 'output');
    p.status = 'succeeded';
    p.completedAt = new Date();
    const catalog = p.model.catalog;
    const first = images[0];
    const cost = catalog ? costOf(catalog, { images: images.length, width: first?.width, height: first?.height, computeSeconds: p.predictTime }) : undefined;
    this.ctx.ledger.charge({
      vendor: 'replicate',
      model: catalog?.id ?? `${p.model.owner}/${p.model.name}`,
      requestId: p.id,
      usd: cost?.usd ?? null,
      images: images.length,
      promptSha256: promptFingerprint(p.input.prompt),
    });
    this.finishers.get(p.id)?.();
  }

  private fail(p: Prediction, error: string): void {
    p.status = 'failed';
    p.error = error;
    p.completedAt = new Date();
    this.log(p, `${error}\n`);
    this.finishers.get(p.id)?.();
  }

  private log(p: Prediction, text: string): void {
    if (!text) return;
    p.logs += text;
    this.notify(p, 'logs');
  }

  private notify(p: Prediction, event: WebhookEvent): void {
    if (!p.webhook) return;
    const wanted = p.webhookEventsFilter ?? ['output', 'completed'];
    if (!wanted.includes(event)) return;
    const body = JSON.stringify(predictionJson(p, this.apiBase()));
    this.ctx.webhooks.send('replicate', p.webhook, event, body, this.signer.headers(body));
  }

  private coldStartMs(model: SandboxModel): number {
    const configured = this.ctx.coldStart;
    const ms = configured?.ms ?? model.catalog?.latency.coldStartMs ?? 0;
    const rate = configured?.rate ?? model.catalog?.latency.coldStartRate ?? 0;
    return ms > 0 && Math.random() < rate ? ms : 0;
  }

  private unscaledSeconds(scaledMs: number): number {
    const scale = this.ctx.timeScale();
    return scale > 0 ? Math.round(scaledMs / scale) / 1000 : 0;
  }
}

/** tqdm-style lines, which the official client's `parseProgressFromLogs` understands. */
function progressLines(steps: number): string {
  const bar = (k: number) => `${'█'.repeat(Math.round((10 * k) / steps)).padEnd(10, ' ')}`;
  return `  0%|${bar(0)}| 0/${steps} [00:00<?, ?it/s]\n100%|${bar(steps)}| ${steps}/${steps} [00:01<00:00, ${steps}.00it/s]\n`;
}
