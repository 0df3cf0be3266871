/**
 * The batch engine: runs a job's items through the router with per-vendor pacing, a budget that
 * holds under concurrency, and durable item states. A vendor job id is stored before anything
 * waits on it, so a crashed run resumes by polling instead of paying twice.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { Budget, type Reservation } from '../budget/budget.js';
import { sha256 } from '../cache/fingerprint.js';
import { sleep } from '../core/abort.js';
import { BudgetExceededError, EaselError, InvalidRequestError } from '../core/errors.js';
import type { ImageRequest } from '../core/request.js';
import type { ImageResult } from '../core/result.js';
import type { Easel, RunHooks } from '../easel.js';
import { WebhookCompletions } from '../server/webhooks/completions.js';
import { startWebhookReceiver } from '../server/webhooks/receiver.js';
import type { RoutingPolicy } from '../router/policy.js';
import { CIRCUIT_OPEN } from '../router/resilience.js';
import { Listeners, ResultStream } from './events.js';
import type { WorkloadItem } from './input.js';
import { outputName, upscaleName, writeManifest } from './manifest.js';
import { Pacer, type PaceLimits } from './pacer.js';
import type { Item, ItemOutput, Job, JobCounts, JobStore } from './types.js';

export interface BatchOptions {
  easel: Easel;
  store: JobStore;
  outDir: string;
  /** Where the items came from (a file path), for `easel jobs`. */
  source?: string;
  /** Items of a new job; not needed to resume. */
  items?: readonly WorkloadItem[];
  /** Resume this job instead of the output folder's unfinished one. */
  jobId?: string;
  model?: string;
  budgetUsd?: number;
  /** Most items in flight at once, over all vendors. Default 64. */
  concurrency?: number;
  allowUnpriced?: boolean;
  policy?: RoutingPolicy;
  /** Per-vendor pacing; default the catalog's (the guide's table). */
  limits?: Record<string, PaceLimits | undefined>;
  /**
   * Webhook completion (Replicate, FAL): the vendor calls `<publicUrl>/v1/webhooks/<vendor>` when a
   * job ends, and the item stops polling (a slow safety-net poll stays). Deliveries are verified.
   * Without `completions` a receiver is started in this process on `port` (default: any free port,
   * and then `publicUrl` defaults to its loopback address, which only a local sandbox can reach).
   */
  webhooks?: { publicUrl?: string; port?: number; host?: string; completions?: WebhookCompletions };
  signal?: AbortSignal;
}

export interface BatchItemResult {
  index: number;
  line: number;
  status: 'succeeded' | 'failed' | 'skipped';
  model?: string;
  files: string[];
  costUsd: number;
  error?: { code: string; message: string };
}

export interface BatchProgress extends JobCounts {
  running: number;
  /** Milliseconds left at the current pace; undefined until an item finishes. */
  etaMs: number | undefined;
  rateLimited: number;
}

export interface BatchRun extends AsyncIterable<BatchItemResult> {
  job: Job;
  /** True when this run picked up a job started earlier. */
  resumed: boolean;
  onProgress(fn: (progress: BatchProgress) => void): () => void;
  /** Resolves with the final counts once every item has an outcome (or the run was cancelled). */
  done: Promise<BatchProgress>;
}

const DEFAULT_CONCURRENCY = 64;
const PROGRESS_EVERY_MS = 100;
/** Workers started per turn of the event loop. */
const WORKER_RAMP = 16;

export function startBatch(options: BatchOptions): BatchRun {
  const outDir = resolvePath(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const { job, resumed } = openJob(options, outDir);
  const stream = new ResultStream<BatchItemResult>();
  const progress = new Listeners<BatchProgress>();
  const done = runJob(job, options, outDir, stream, progress).finally(() => stream.end());
  return { job, resumed, onProgress: (fn) => progress.on(fn), done, [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() };
}

function openJob(options: BatchOptions, outDir: string): { job: Job; resumed: boolean } {
  const { store } = options;
  if (options.jobId) {
    const job = store.getJob(options.jobId);
    if (!job) throw new InvalidRequestError(`no batch job ${options.jobId}; \`easel jobs\` lists them`, { field: 'job' });
    return { job, resumed: true };
  }
  const unfinished = store.findUnfinished(outDir);
  if (unfinished) return { job: unfinished, resumed: true };
  if (!options.items) throw new InvalidRequestError(`no unfinished job for ${outDir} and no items to start one`, { field: 'items' });
  // The same workload into the same folder again: that job is finished, there is nothing to pay for.
  const itemsHash = sha256(JSON.stringify([options.items.map((i) => [i.line, i.request]), options.model ?? null]));
  const latest = store.findLatest(outDir);
  if (latest?.status === 'done' && latest.options.itemsHash === itemsHash) return { job: latest, resumed: true };
  const job = store.createJob(
    {
      id: `job_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      outDir,
      source: options.source ?? 'library',
      options: { model: options.model, budgetUsd: options.budgetUsd, concurrency: options.concurrency, allowUnpriced: options.allowUnpriced, policy: options.policy, itemsHash },
    },
    options.items.map((i) => ({ line: i.line, request: i.request })),
  );
  return { job, resumed: false };
}

async function runJob(job: Job, options: BatchOptions, outDir: string, stream: ResultStream<BatchItemResult>, progress: Listeners<BatchProgress>): Promise<BatchProgress> {
  const webhooks = await openWebhooks(options);
  try {
    return await runItems(job, { ...options, completion: webhooks?.completions.for.bind(webhooks.completions) }, outDir, stream, progress);
  } finally {
    await webhooks?.close();
  }
}

/** The completions registry for webhook mode, with this process's receiver when it needs one. */
async function openWebhooks(options: BatchOptions): Promise<{ completions: WebhookCompletions; close: () => Promise<void> } | undefined> {
  const settings = options.webhooks;
  if (!settings) return undefined;
  if (settings.completions) return { completions: settings.completions, close: async () => {} };
  const completions = new WebhookCompletions(settings.publicUrl);
  const receiver = await startWebhookReceiver({ easel: options.easel, completions, port: settings.port, host: settings.host });
  if (!settings.publicUrl) completions.reachableAt(receiver.url);
  return { completions, close: () => receiver.close() };
}

type ItemOptions = BatchOptions & { completion?: RunHooks['completion'] };

async function runItems(job: Job, options: ItemOptions, outDir: string, stream: ResultStream<BatchItemResult>, progress: Listeners<BatchProgress>): Promise<BatchProgress> {
  const { store, easel } = options;
  const settings = { ...job.options, ...definedOnly({ model: options.model, budgetUsd: options.budgetUsd, concurrency: options.concurrency, allowUnpriced: options.allowUnpriced }) };
  const budget = new Budget({ capUsd: settings.budgetUsd, spentUsd: store.counts(job.id).spentUsd, allowUnpriced: settings.allowUnpriced });
  const pacer = new Pacer(options.limits, settings.concurrency ?? Infinity);
  // Items with a vendor job in flight first: they are already paid for.
  const queue = [...store.items(job.id, ['submitted']), ...store.items(job.id, ['pending'])];
  const lineWidth = String(Math.max(...store.items(job.id).map((i) => i.line), 1)).length;
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  // Every item in flight listens to this one signal.
  setMaxListeners(0, signal);
  const started = performance.now();
  let finishedThisRun = 0;
  // Vendor jobs adopted by this run, so two interrupted items never adopt the same one.
  const orphansTaken = new Set<string>(store.items(job.id).flatMap((i) => i.submissions.map((s) => s.vendorRequestId)));
  let running = 0;

  const snapshot = (): BatchProgress => {
    const counts = store.counts(job.id);
    const remaining = counts.pending + counts.submitted;
    const elapsed = performance.now() - started;
    return {
      ...counts,
      running,
      etaMs: finishedThisRun > 0 ? (elapsed / finishedThisRun) * remaining : undefined,
      rateLimited: [...pacer.rateLimited.values()].reduce((a, b) => a + b, 0),
    };
  };
  let manifestTimer: NodeJS.Timeout | undefined;
  let manifestWrite: Promise<unknown> = Promise.resolve();
  const scheduleManifest = () => {
    manifestTimer ??= setTimeout(() => {
      manifestTimer = undefined;
      manifestWrite = manifestWrite.then(() => writeManifest(outDir, store.items(job.id, ['succeeded'])));
    }, 500);
  };
  // `easel jobs cancel` from another process flips the job's status; notice it and stop.
  const watch = setInterval(() => {
    if (store.getJob(job.id)?.status === 'canceled') controller.abort();
  }, 1000);
  watch.unref();

  // Counting is a query over every item: report progress at most every 100 ms, not per item.
  let lastProgress = 0;
  const settle = (result: BatchItemResult) => {
    finishedThisRun++;
    stream.push(result);
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      progress.emit(snapshot());
    }
    scheduleManifest();
  };

  const worker = async () => {
    for (let item = queue.shift(); item && !signal.aborted; item = queue.shift()) {
      running++;
      try {
        settle(await runItem(orphansTaken, item, { ...options, model: settings.model }, easel, store, budget, pacer, outDir, lineWidth, signal));
      } finally {
        running--;
      }
    }
  };
  try {
    const workers: Promise<void>[] = [];
    const count = Math.min(settings.concurrency ?? DEFAULT_CONCURRENCY, Math.max(queue.length, 1));
    for (let i = 0; i < count; i++) {
      const started = worker();
      started.catch(() => undefined); // observed by Promise.all below; not "unhandled" while ramping
      workers.push(started);
      // Let the first items reach their vendor before the rest are set up: a thousand workers started
      // in one go would each prepare its item before any of them sent a request.
      if (i % WORKER_RAMP === WORKER_RAMP - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(workers);
  } finally {
    clearInterval(watch);
    clearTimeout(manifestTimer);
    await manifestWrite;
    await writeManifest(outDir, store.items(job.id, ['succeeded']));
  }
  const final = snapshot();
  progress.emit(final);
  if (store.getJob(job.id)?.status !== 'canceled' && final.pending === 0 && final.submitted === 0) store.setStatus(job.id, 'done');
  return final;
}

async function runItem(
  orphansTaken: Set<string>,
  item: Item,
  options: ItemOptions,
  easel: Easel,
  store: JobStore,
  budget: Budget,
  pacer: Pacer,
  outDir: string,
  lineWidth: number,
  signal: AbortSignal,
): Promise<BatchItemResult> {
  const base = { index: item.index, line: item.line };
  const request: ImageRequest = { ...item.request, model: item.request.model ?? options.model, policy: { ...(options.policy ?? {}), ...(item.request.policy ?? {}) }, signal };
  const resume = resumeFor(item, orphansTaken);

  let reservation: Reservation;
  try {
    // Without a cap nothing needs reserving up front; the real cost is still booked after the call.
    const worst = budget.capUsd === undefined ? 0 : await worstCaseCost(easel, resume ? { ...request, model: resume.model } : request);
    reservation = budget.reserve(worst, `line ${item.line}`);
  } catch (error) {
    if (error instanceof BudgetExceededError) {
      store.skip(item.jobId, item.index, error.message);
      return { ...base, status: 'skipped', files: [], costUsd: 0, error: { code: error.code, message: error.message } };
    }
    return fail(error, 0);
  }

  let result: ImageResult | undefined;
  // The router already retried and fell back; a batch item that still fails for a temporary reason
  // (a vendor down, its breaker open) waits and goes again rather than being given up on.
  let circuitWaits = 0;
  for (let attempt = 1; !result; attempt++) {
    try {
      result = await easel.run(request, {
        resume: attempt === 1 ? resume : undefined,
        onSubmitting: (model) => store.markSubmitting(item.jobId, item.index, model, Date.now()),
        onSubmitted: (model, call, vendorRequestId) => store.addSubmission(item.jobId, item.index, { call, model, vendorRequestId }),
        acquire: (provider, s) => pacer.acquire(provider, s),
        completion: options.completion,
        onError: (error) => {
          if (error instanceof EaselError && error.provider) pacer.observe(error.provider, error);
        },
      });
    } catch (error) {
      if (signal.aborted) {
        budget.release(reservation);
        return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'aborted', message: 'the batch was stopped; the item resumes next run' } };
      }
      // An open breaker is the vendor resting, not this item failing: wait, without spending an attempt.
      if (error instanceof EaselError && error.vendorCode === CIRCUIT_OPEN && circuitWaits++ < MAX_CIRCUIT_WAITS) {
        attempt--;
        await sleep(CIRCUIT_WAIT_MS, signal).catch(() => undefined);
        continue;
      }
      if (!(error instanceof EaselError && error.retryable) || attempt >= ITEM_ATTEMPTS) {
        budget.release(reservation);
        return fail(error, 0);
      }
      await sleep(ITEM_RETRY_DELAY_MS * attempt, signal).catch(() => undefined);
    }
  }
  pacer.recovered(result.provider);
  const files = await Promise.all(
    result.images.map((image, k) => {
      const name =
        item.request.task === 'upscale' && typeof item.request.image === 'string' && !item.request.image.startsWith('data:')
          ? upscaleName(item.request.image, item.request.scale, k, result.images.length, image.format)
          : outputName(item.line, lineWidth, item.request.prompt, k, result.images.length, image.format);
      return image.save(join(outDir, name));
    }),
  );
  const costUsd = result.route?.totalCostUsd ?? result.cost.usd;
  const output: ItemOutput = {
    files: files.map((f) => f.slice(outDir.length + 1)),
    model: result.model,
    seeds: result.images.map((i) => i.seed),
    sha256: result.images.map((i) => i.sha256),
    costUsd,
    latencyMs: result.latencyMs,
    requestIds: result.requestIds,
    cached: result.cached === true,
  };
  store.succeed(item.jobId, item.index, output, costUsd ?? 0);
  budget.settle(reservation, costUsd);
  return { ...base, status: 'succeeded', model: result.model, files: output.files, costUsd: costUsd ?? 0 };

  function fail(error: unknown, costUsd: number): BatchItemResult {
    const e = error instanceof EaselError ? { code: error.code, message: error.message } : { code: 'unknown', message: error instanceof Error ? error.message : String(error) };
    store.fail(item.jobId, item.index, e, costUsd);
    return { ...base, status: 'failed', files: [], costUsd, error: e };
  }
}

/** Times a batch item is run through the router before it is marked failed (temporary errors only). */
const ITEM_ATTEMPTS = 5;
const ITEM_RETRY_DELAY_MS = 250;
/** While a vendor's breaker is open, items wait this long between looks, up to this many times (~10 min). */
const CIRCUIT_WAIT_MS = 1_000;
const MAX_CIRCUIT_WAITS = 600;

/** How far a vendor's clock may run behind ours when matching orphaned jobs by creation time. */
const CLOCK_SKEW_MS = 60_000;

/**
 * What an interrupted item picks up: its stored vendor ids, and — when a submit was under way as the
 * process died — permission to look for the orphaned vendor job instead of paying for another.
 */
function resumeFor(item: Item, taken: Set<string>) {
  const model = item.model ?? item.intent?.model;
  if (!model || (item.status !== 'submitted' && !item.intent)) return undefined;
  const ids = new Map(item.submissions.map((s) => [s.call, s.vendorRequestId]));
  return { model, ids, orphans: item.intent ? { sinceMs: item.intent.at - CLOCK_SKEW_MS, taken } : undefined };
}

/** Compute-time prices vary run to run; reserve this many times the typical figure. */
const PER_SECOND_HEADROOM = 3;

/** The most this item can cost: the dearest candidate it may fall back to (null when any price is unknown). */
async function worstCaseCost(easel: Easel, request: ImageRequest): Promise<number | null> {
  const plan = await easel.route(request);
  const fallback = request.policy?.fallback !== false;
  const costs = (fallback ? plan.ranked : plan.ranked.slice(0, 1)).map((c) =>
    c.report.estimatedCostUsd === null ? null : c.report.estimatedCostUsd * (c.model.price.kind === 'per-second' ? PER_SECOND_HEADROOM : 1),
  );
  return costs.some((c) => c === null) ? null : Math.max(...(costs as number[]));
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

