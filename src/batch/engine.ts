/**
 * The batch engine: runs a job's items through the router with per-vendor pacing, a budget that
 * holds under concurrency, and durable item states. A vendor job id is stored before anything
 * waits on it, so a crashed run resumes by polling instead of paying twice.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { Budget } from '../budget/budget.js';
import { type ReserveHook, worstCaseUsd } from '../router/reservation.js';
import { errorFromSignal, sleep } from '../core/abort.js';
import { AbortedError, BudgetExceededError, EaselError, InvalidRequestError, TimeoutError } from '../core/errors.js';
import { writeFileAtomic } from '../core/result.js';
import { PROVIDERS, type RemoteProviderId } from '../providers/registry.js';
import type { ImageProvider } from '../providers/types.js';
import type { ImageReader } from '../core/image-input.js';
import type { ImageRequest } from '../core/request.js';
import type { ImageResult } from '../core/result.js';
import type { RunHooks } from '../router/hooks.js';
import { WebhookCompletions } from '../webhooks/completions.js';
import { startWebhookReceiver } from '../webhooks/receiver.js';
import type { RoutingPolicy } from '../core/policy.js';
import { CIRCUIT_OPEN } from '../router/resilience.js';
import { Listeners, ResultStream } from './events.js';
import type { WorkloadItem } from './input.js';
import { type FolderLock, lockFolder } from './folder-lock.js';
import { batchItemRequest, DEFAULT_CONCURRENCY } from './item-request.js';
import { outputName, upscaleName, writeManifest } from './manifest.js';
import { type OpenedJob, openJob } from './open-job.js';
import { Pacer, type PaceLimits } from '../router/pacer.js';
import type { BatchRunner, Item, ItemOutput, Job, JobCounts, JobStore } from './types.js';

export interface BatchOptions {
  easel: BatchRunner;
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
   * and then `publicUrl` defaults to its loopback address, which only a local sandbox can reach);
   * it records deliveries against replays in the SQLite file `replayPath` (default: in memory).
   */
  webhooks?: { publicUrl?: string; port?: number; host?: string; completions?: WebhookCompletions; replayPath?: string };
  /** Aborts everything at once: calls in flight are cut off (their items resume next run). */
  signal?: AbortSignal;
  /**
   * Stops submitting: no new vendor call starts, calls in flight finish and are stored (the caller
   * aborts `signal` after a grace period). Items not yet at a vendor stay pending for the next run.
   */
  stop?: AbortSignal;
  /** Start a new job even though the folder's unfinished job came from other items. */
  newJob?: boolean;
  /** Writes an image file (tests inject a full disk here). Default: temp file + rename. */
  writeFile?: (path: string, bytes: Uint8Array) => Promise<string>;
  /**
   * How items' `image` and `mask` given as text become bytes (see RunHooks.readImage). Default: paths
   * are read and URLs fetched. Not stored with the job: whoever resumes it passes it again.
   */
  readImage?: ImageReader;
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
  /**
   * Why the run paused before every item had an outcome (the output folder cannot be written, a vendor
   * job could not be reached); the items it concerns are kept and resume next run without a new charge.
   */
  paused?: string;
  /** The run was stopped (`stop`, `signal` or `easel jobs cancel`) before every item had an outcome. */
  interrupted: boolean;
}

export interface BatchRun extends AsyncIterable<BatchItemResult> {
  job: Job;
  /** True when this run picked up a job started earlier. */
  resumed: boolean;
  /** Items of a new job whose images an earlier job in the folder had already bought (same request). */
  reused: number;
  /** A resumed job given another budget: the cap it had and the one it has now. */
  budgetChange?: { from: number | undefined; to: number };
  onProgress(fn: (progress: BatchProgress) => void): () => void;
  /** Resolves with the final counts once every item has an outcome (or the run was cancelled). */
  done: Promise<BatchProgress>;
}

const PROGRESS_EVERY_MS = 100;
/** Workers started per turn of the event loop. */
const WORKER_RAMP = 16;

export function startBatch(options: BatchOptions): BatchRun {
  const outDir = resolvePath(options.outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw localWriteProblem(error, outDir) ?? error;
  }
  let lock: FolderLock;
  try {
    lock = lockFolder(outDir);
  } catch (error) {
    throw localWriteProblem(error, outDir) ?? error;
  }
  let opened: OpenedJob;
  try {
    opened = openJob(options, outDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  const { job } = opened;
  const stream = new ResultStream<BatchItemResult>();
  const progress = new Listeners<BatchProgress>();
  const done = runJob(job, options, outDir, stream, progress).finally(() => {
    lock.release();
    stream.end();
  });
  return {
    job,
    resumed: opened.resumed,
    reused: opened.reused,
    budgetChange: opened.budgetChange,
    onProgress: (fn) => progress.on(fn),
    done,
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
  };
}

async function runJob(
  job: Job,
  options: BatchOptions,
  outDir: string,
  stream: ResultStream<BatchItemResult>,
  progress: Listeners<BatchProgress>,
): Promise<BatchProgress> {
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
  const receiver = await startWebhookReceiver({
    vendors: options.easel,
    completions,
    port: settings.port,
    host: settings.host,
    replayPath: settings.replayPath,
  });
  if (!settings.publicUrl) completions.reachableAt(receiver.url);
  return { completions, close: () => receiver.close() };
}

type ItemOptions = BatchOptions & { completion?: RunHooks['completion'] };

/** What every item of one run shares. */
interface RunContext {
  options: ItemOptions;
  easel: BatchRunner;
  store: JobStore;
  budget: Budget;
  pacer: Pacer;
  outDir: string;
  lineWidth: number;
  /** Hard stop: calls in flight are cut off. */
  signal: AbortSignal;
  /** Soft stop: nothing new is submitted (also set by `signal`, and when the run pauses). */
  stopping: AbortSignal;
  /** Vendor jobs adopted by this run, so two interrupted items never adopt the same one. */
  orphansTaken: Set<string>;
  /** Stops new submits and records why: the run cannot go on without the user (a full disk). */
  pause: (reason: string) => void;
  writeFile: (path: string, bytes: Uint8Array) => Promise<string>;
}

async function runItems(
  job: Job,
  options: ItemOptions,
  outDir: string,
  stream: ResultStream<BatchItemResult>,
  progress: Listeners<BatchProgress>,
): Promise<BatchProgress> {
  const { store, easel } = options;
  const settings = { ...job.options, ...definedOnly({ model: options.model, concurrency: options.concurrency, allowUnpriced: options.allowUnpriced }) };
  // Calls a crash cut off on vendors whose jobs cannot be found again are booked first, at their
  // worst case, so the budget below counts them.
  await countCutOffCalls(job, options, easel, store);
  const budget = new Budget({ capUsd: settings.budgetUsd, spentUsd: store.counts(job.id).spentUsd, allowUnpriced: settings.allowUnpriced });
  const pacer = new Pacer(options.limits, settings.concurrency ?? Infinity);
  // Items with a vendor job in flight first: they are already paid for.
  const queue = [...store.items(job.id, ['submitted']), ...store.items(job.id, ['pending'])];
  const lineWidth = String(Math.max(...store.items(job.id).map((i) => i.line), 1)).length;
  const signal = options.signal ?? new AbortController().signal;
  const pauseController = new AbortController();
  const cancelController = new AbortController();
  const stopping = AbortSignal.any([signal, pauseController.signal, cancelController.signal, ...(options.stop ? [options.stop] : [])]);
  // Every item in flight listens to these signals.
  setMaxListeners(0, signal);
  setMaxListeners(0, stopping);
  let paused: string | undefined;
  const context: RunContext = {
    // A resumed job keeps the routing policy it was started with unless this run gives one.
    options: { ...options, model: settings.model, policy: options.policy ?? (job.options.policy as RoutingPolicy | undefined) },
    easel,
    store,
    budget,
    pacer,
    outDir,
    lineWidth,
    signal,
    stopping,
    orphansTaken: new Set<string>(store.items(job.id).flatMap((i) => i.submissions.map((s) => s.vendorRequestId))),
    pause: (reason) => {
      paused ??= reason;
      pauseController.abort(new AbortedError(`the batch paused: ${reason}`));
    },
    writeFile: options.writeFile ?? writeFileAtomic,
  };
  const started = performance.now();
  let finishedThisRun = 0;
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
      paused,
      interrupted: stopping.aborted && paused === undefined,
    };
  };
  let manifestTimer: NodeJS.Timeout | undefined;
  let manifestWrite: Promise<unknown> = Promise.resolve();
  // The manifest is a projection of the store: a write that fails (a full disk) is redone later.
  const rewriteManifest = () => writeManifest(outDir, store.items(job.id, ['succeeded'])).catch(() => undefined);
  const scheduleManifest = () => {
    manifestTimer ??= setTimeout(() => {
      manifestTimer = undefined;
      manifestWrite = manifestWrite.then(rewriteManifest);
    }, 500);
  };
  // `easel jobs cancel` from another process flips the job's status; notice it and stop submitting.
  // Calls in flight finish and are stored: a synchronous vendor charges them whether or not they are read.
  const watch = setInterval(() => {
    if (store.getJob(job.id)?.status === 'canceled') cancelController.abort(new AbortedError('the job was canceled'));
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
    for (let item = queue.shift(); item && !stopping.aborted; item = queue.shift()) {
      running++;
      try {
        settle(await runItem(context, item));
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
    await rewriteManifest();
  }
  const final = snapshot();
  progress.emit(final);
  if (store.getJob(job.id)?.status === 'running' && final.pending === 0 && final.submitted === 0) store.setStatus(job.id, 'done');
  return final;
}

async function runItem(context: RunContext, item: Item): Promise<BatchItemResult> {
  const { options, easel, store, budget, pacer, signal, stopping } = context;
  const base = { index: item.index, line: item.line };
  if (item.parked) return writeParked(context, item);
  const request: ImageRequest = { ...batchItemRequest(item.request, options), signal };
  const interrupted = (): BatchItemResult => ({
    ...base,
    status: 'failed',
    files: [],
    costUsd: 0,
    error: { code: 'aborted', message: 'the batch was stopped; the item resumes next run' },
  });

  // Money is reserved per vendor attempt (primary, retry, fallback, hedge) at that attempt's worst
  // case, through the router's hook: an item that does not fit waits for reservations in flight to
  // settle, and is skipped only when the spend already settled leaves no room. `charged` is what the
  // item's attempts cost, booked on its outcome (failed and skipped items included).
  let charged = 0;
  const reserve: ReserveHook = async (attempt, attemptSignal) => {
    const label = `line ${item.line} (${attempt.model})`;
    // Vendor jobs that already exist are paid for: their part is held, never refused. The calls that
    // may buy a new job wait for room like any other.
    const held = attempt.resumedCalls > 0 ? [budget.hold(attempt.resumedWorstCaseUsd, `${label}, resumed`)] : [];
    if (attempt.calls > attempt.resumedCalls) {
      const freshUsd = attempt.worstCaseUsd === null ? null : Math.max(0, attempt.worstCaseUsd - (attempt.resumedWorstCaseUsd ?? 0));
      try {
        held.push(await budget.acquire(freshUsd, label, AbortSignal.any([attemptSignal, stopping])));
      } catch (error) {
        // Refused: the item is skipped with its resumed jobs unread. The vendor bills them anyway, so
        // they are booked at their worst case (the real price is known only by reading them). Stopped:
        // the next run reads them.
        for (const reservation of held) {
          if (!(error instanceof BudgetExceededError)) budget.release(reservation);
          else {
            charged += reservation.usd;
            budget.settle(reservation, reservation.usd);
          }
        }
        throw error;
      }
    }
    return {
      // The attempt's cost is booked once, on one of its reservations; the others are freed.
      settle: (usd) => {
        charged += usd ?? 0;
        held.forEach((reservation, i) => (i === 0 ? budget.settle(reservation, usd) : budget.release(reservation)));
      },
      release: () => held.forEach((reservation) => budget.release(reservation)),
    };
  };

  let result: ImageResult | undefined;
  // The router already retried and fell back; a batch item that still fails for a temporary reason
  // (a vendor down, its breaker open) waits and goes again rather than being given up on.
  let circuitWaits = 0;
  for (let attempt = 1; !result; attempt++) {
    // The store has the item's vendor jobs as they are now (an earlier attempt may have added one).
    const current = store.item(item.jobId, item.index) ?? item;
    try {
      result = await easel.run(request, {
        resume: resumeFor(current, context.orphansTaken),
        onSubmitting: (model) => store.markSubmitting(item.jobId, item.index, model, Date.now()),
        onSubmitted: (model, call, vendorRequestId) => store.addSubmission(item.jobId, item.index, { call, model, vendorRequestId }),
        acquire: (provider, s) => acquireSlot(pacer, provider, s, stopping),
        reserve,
        completion: options.completion,
        readImage: options.readImage,
        onError: (error) => {
          if (!(error instanceof EaselError)) return;
          if (error.provider) pacer.observe(error.provider, error);
          // The vendor answered the call with an error: it was not charged and nothing is in flight.
          if (error.status !== undefined && !error.jobAlive) store.clearIntent(item.jobId, item.index);
          // A job the vendor itself reports failed or canceled is not resumed again.
          if (error.requestId && !error.jobAlive && !(error instanceof AbortedError) && !(error instanceof TimeoutError))
            store.dropSubmission(item.jobId, item.index, error.requestId);
        },
      });
    } catch (error) {
      if (error instanceof BudgetExceededError) {
        store.skip(item.jobId, item.index, error.message, charged);
        return { ...base, status: 'skipped', files: [], costUsd: charged, error: { code: error.code, message: error.message } };
      }
      if (stopping.aborted) {
        store.addCost(item.jobId, item.index, charged);
        return interrupted();
      }
      // An open breaker is the vendor resting, not this item failing: wait, without spending an attempt.
      if (error instanceof EaselError && error.vendorCode === CIRCUIT_OPEN && circuitWaits++ < MAX_CIRCUIT_WAITS) {
        attempt--;
        await sleep(CIRCUIT_WAIT_MS, stopping).catch(() => undefined);
        continue;
      }
      // The vendor job exists and is not failed; only reaching it did. It is resumed, never bought again.
      if (error instanceof EaselError && error.jobAlive) {
        if (attempt < ITEM_ATTEMPTS) {
          await sleep(ITEM_RETRY_DELAY_MS * attempt, stopping).catch(() => undefined);
          continue;
        }
        store.addCost(item.jobId, item.index, charged);
        context.pause(`vendor job ${error.requestId ?? ''} could not be reached (${error.message}); it is kept and resumes next run`);
        return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'paused', message: error.message } };
      }
      if (!(error instanceof EaselError && error.retryable) || attempt >= ITEM_ATTEMPTS) return fail(error, charged);
      await sleep(ITEM_RETRY_DELAY_MS * attempt, stopping).catch(() => undefined);
    }
  }
  pacer.recovered(result.provider);
  const costUsd = result.route?.totalCostUsd ?? result.cost.usd;
  const names = result.images.map((image, k) => imageFileName(item, context.lineWidth, k, result.images.length, image.format));
  const output: ItemOutput = {
    files: names,
    model: result.model,
    seeds: result.images.map((i) => i.seed),
    sha256: result.images.map((i) => i.sha256),
    costUsd,
    latencyMs: result.latencyMs,
    requestIds: result.requestIds,
    cached: result.cached === true,
  };
  try {
    await Promise.all(result.images.map((image, k) => context.writeFile(join(context.outDir, names[k]!), image.bytes)));
  } catch (error) {
    const problem = localWriteProblem(error, context.outDir);
    if (!problem) throw error;
    return park(
      context,
      item,
      output,
      result.images.map((i) => i.bytes),
      charged,
      problem,
    );
  }
  store.succeed(item.jobId, item.index, output, charged);
  return { ...base, status: 'succeeded', model: result.model, files: output.files, costUsd: charged };

  function fail(error: unknown, costUsd: number): BatchItemResult {
    const e =
      error instanceof EaselError
        ? { code: error.code, message: error.message }
        : { code: 'unknown', message: error instanceof Error ? error.message : String(error) };
    store.fail(item.jobId, item.index, e, costUsd);
    return { ...base, status: 'failed', files: [], costUsd, error: e };
  }
}

/** A vendor slot from the pacer, unless the run is stopping: then no new call starts. */
async function acquireSlot(pacer: Pacer, provider: string, callSignal: AbortSignal, stopping: AbortSignal): Promise<() => void> {
  if (stopping.aborted) throw errorFromSignal(stopping);
  const release = await pacer.acquire(provider, AbortSignal.any([callSignal, stopping]));
  if (stopping.aborted) {
    release();
    throw errorFromSignal(stopping);
  }
  return release;
}

function imageFileName(item: Item, lineWidth: number, k: number, count: number, format: string): string {
  return item.request.task === 'upscale' && typeof item.request.image === 'string' && !item.request.image.startsWith('data:')
    ? upscaleName(item.request.image, item.request.scale, k, count, format)
    : outputName(item.line, lineWidth, item.request.prompt, k, count, format);
}

/**
 * The images arrived (and were paid for) but the output folder cannot take them: they are kept in the
 * job store and written by the next run, and the run pauses — every further item would meet the same wall.
 */
function park(context: RunContext, item: Item, output: ItemOutput, images: Uint8Array[], costUsd: number, problem: Error): BatchItemResult {
  const base = { index: item.index, line: item.line };
  try {
    context.store.park(item.jobId, item.index, output, images, costUsd);
  } catch {
    // The store cannot take them either (the same full disk): the vendor jobs stay recorded, so an
    // async vendor's result is fetched again next run; a synchronous one's call stays marked in flight.
  }
  context.pause(problem.message);
  return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'paused', message: problem.message } };
}

/** Writes images a paused run kept in the store; no vendor call. */
async function writeParked(context: RunContext, item: Item): Promise<BatchItemResult> {
  const base = { index: item.index, line: item.line };
  const images = context.store.parkedImages(item.jobId, item.index);
  const output = item.output!;
  try {
    await Promise.all(output.files.map((file, k) => context.writeFile(join(context.outDir, file), images[k]!)));
  } catch (error) {
    const problem = localWriteProblem(error, context.outDir);
    if (!problem) throw error;
    context.pause(problem.message);
    return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'paused', message: problem.message } };
  }
  context.store.unpark(item.jobId, item.index, output);
  return { ...base, status: 'succeeded', model: output.model, files: output.files, costUsd: output.costUsd ?? 0 };
}

/** File-system errors that the user must fix (space, permissions), as one clear sentence; else undefined. */
function localWriteProblem(error: unknown, outDir: string): Error | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the folder is on a read-only file system',
    EACCES: 'permission denied',
    EPERM: 'the operation is not permitted',
    EIO: 'an input/output error',
  };
  if (!code || !why[code]) return undefined;
  return new InvalidRequestError(`cannot write to ${outDir}: ${why[code]} (${code})`, { field: 'out' });
}

/**
 * A crash while a call was in flight on a vendor whose jobs cannot be found again (no listing: the
 * synchronous APIs, Stability's async submit) leaves a write-ahead intent and no vendor id: the vendor
 * may have charged for images that never arrived. Each is booked at the call's worst case and the item
 * marked, so budgets hold and reports say what may have been paid twice.
 */
async function countCutOffCalls(job: Job, options: ItemOptions, easel: BatchRunner, store: JobStore): Promise<void> {
  for (const item of store.items(job.id, ['pending', 'submitted'])) {
    if (!item.intent || item.parked) continue;
    const provider = PROVIDERS[item.intent.model.split('/')[0] as RemoteProviderId] as ImageProvider | undefined;
    // Local models cost nothing; vendors that list their jobs have the orphan found on resume.
    if (!provider || provider.findSubmitted) continue;
    if (item.submissions.some((s) => s.model === item.intent!.model)) continue;
    const own = batchItemRequest(item.request, options);
    const request: ImageRequest = { ...own, model: item.intent.model, policy: { ...own.policy, fallback: false } };
    const candidate = (await easel.route(request, { readImage: options.readImage }).catch(() => undefined))?.ranked[0];
    // One call of the model was in flight (the intent is per call): its worst case, by the rule budgets use.
    const worst = candidate ? worstCaseUsd(candidate.model, candidate.calls.slice(0, 1)) : null;
    store.markPossibleDuplicate(item.jobId, item.index, worst ?? 0);
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
  if (!model || (item.submissions.length === 0 && !item.intent)) return undefined;
  const ids = new Map(item.submissions.filter((s) => s.model === model).map((s) => [s.call, s.vendorRequestId]));
  return { model, ids, orphans: item.intent ? { sinceMs: item.intent.at - CLOCK_SKEW_MS, taken } : undefined };
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
