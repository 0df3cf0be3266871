/**
 * The batch engine: runs a job's items through the router with per-vendor pacing, a budget that
 * holds under concurrency, and durable item states. A vendor job id is stored before anything
 * waits on it, so a crashed run resumes by polling instead of paying twice. This file is the run:
 * the folder lock, the job it opens, the worker pool, progress, the manifest and the cancel watch;
 * each item runs in run-item.ts.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { Budget } from '../budget/budget.js';
import { realClock } from '../core/clock.js';
import { AbortedError } from '../core/errors.js';
import { writeFileAtomic } from '../core/result.js';
import type { RoutingPolicy } from '../core/policy.js';
import { Pacer } from '../router/pacer.js';
import { WebhookCompletions } from '../webhooks/completions.js';
import { startWebhookReceiver } from '../webhooks/receiver.js';
import { countCutOffCalls } from './crash-accounting.js';
import { Listeners, ResultStream } from './events.js';
import { type FolderLock, lockFolder } from './folder-lock.js';
import { localWriteProblem } from './item-files.js';
import { DEFAULT_CONCURRENCY } from './item-request.js';
import { writeManifest } from './manifest.js';
import { type OpenedJob, openJob } from './open-job.js';
import type { ItemOptions, RunContext } from './run-context.js';
import { runItem } from './run-item.js';
import type { BatchItemResult, BatchOptions, BatchProgress, BatchRun } from './run-types.js';
import type { Job } from './types.js';

/** One run of a job, as startBatch sets it up: its options, and where its item results and progress go. */
interface JobRun<Options extends BatchOptions = BatchOptions> {
  job: Job;
  options: Options;
  /** The output folder, absolute. */
  outDir: string;
  stream: ResultStream<BatchItemResult>;
  progress: Listeners<BatchProgress>;
}

const PROGRESS_EVERY_MS = 100;
/** Workers started per turn of the event loop. */
const WORKER_RAMP = 16;

export async function startBatch(options: BatchOptions): Promise<BatchRun> {
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
    opened = await openJob(options, outDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  const { job } = opened;
  const stream = new ResultStream<BatchItemResult>();
  const progress = new Listeners<BatchProgress>();
  const done = runJob({ job, options, outDir, stream, progress }).finally(() => {
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

async function runJob(run: JobRun): Promise<BatchProgress> {
  const webhooks = await openWebhooks(run.options);
  try {
    return await runItems({ ...run, options: { ...run.options, completion: webhooks?.completions.for.bind(webhooks.completions) } });
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

async function runItems(run: JobRun<ItemOptions>): Promise<BatchProgress> {
  const { job, options, outDir, stream, progress } = run;
  const { store, easel } = options;
  const settings = { ...job.options, ...definedOnly({ model: options.model, concurrency: options.concurrency, allowUnpriced: options.allowUnpriced }) };
  // Calls a crash cut off on vendors whose jobs cannot be found again are booked first, at their
  // worst case, so the budget below counts them.
  await countCutOffCalls(job, options);
  const budget = new Budget({ capUsd: settings.budgetUsd, spentUsd: (await store.counts(job.id)).spentUsd, allowUnpriced: settings.allowUnpriced });
  const clock = options.clock ?? realClock;
  const pacer = new Pacer(options.limits, settings.concurrency ?? Infinity, clock);
  // Items with a vendor job in flight first: they are already paid for.
  const all = await store.items(job.id);
  const queue = [...all.filter((i) => i.status === 'submitted'), ...all.filter((i) => i.status === 'pending')];
  const lineWidth = String(Math.max(...all.map((i) => i.line), 1)).length;
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
    clock,
    outDir,
    lineWidth,
    signal,
    stopping,
    orphansTaken: new Set<string>(all.flatMap((i) => i.submissions.map((s) => s.vendorRequestId))),
    pause: (reason) => {
      paused ??= reason;
      pauseController.abort(new AbortedError(`the batch paused: ${reason}`));
    },
    writeFile: options.writeFile ?? writeFileAtomic,
  };
  const started = performance.now();
  let finishedThisRun = 0;
  let running = 0;

  const snapshot = async (): Promise<BatchProgress> => {
    const counts = await store.counts(job.id);
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
  // (A store that cannot be read fails the run, as every other read does.)
  const rewriteManifest = async () => {
    const succeeded = await store.items(job.id, ['succeeded']);
    await writeManifest(outDir, succeeded).catch(() => undefined);
  };
  const scheduleManifest = () => {
    manifestTimer ??= setTimeout(() => {
      manifestTimer = undefined;
      manifestWrite = manifestWrite.then(rewriteManifest);
    }, 500);
  };
  // `easel jobs cancel` from another process flips the job's status; notice it and stop submitting.
  // Calls in flight finish and are stored: a synchronous vendor charges them whether or not they are read.
  // One look at a time (a networked store may answer slower than a second). A store that cannot be
  // read is raised from the timer, as before the store was asynchronous (the CLI prints it as one line).
  let looking = false;
  const watch = setInterval(() => {
    if (looking) return;
    looking = true;
    void store
      .getJob(job.id)
      .then((current) => {
        if (current?.status === 'canceled') cancelController.abort(new AbortedError('the job was canceled'));
      })
      .finally(() => (looking = false));
  }, 1000);
  watch.unref();

  // Counting is a query over every item: report progress at most every 100 ms, not per item.
  let lastProgress = 0;
  const settle = async (result: BatchItemResult) => {
    finishedThisRun++;
    stream.push(result);
    scheduleManifest();
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      progress.emit(await snapshot());
    }
  };

  const worker = async () => {
    for (let item = queue.shift(); item && !stopping.aborted; item = queue.shift()) {
      running++;
      try {
        await settle(await runItem(context, item));
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
  const final = await snapshot();
  progress.emit(final);
  if ((await store.getJob(job.id))?.status === 'running' && final.pending === 0 && final.submitted === 0) await store.setStatus(job.id, 'done');
  return final;
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
