/**
 * Runs the calls of one model (after `n` was split) in parallel, each with its own deadline, logs
 * each as an attempt with what it cost, and merges them into one result (merge.ts). The router
 * (fallback, retries) builds on this.
 */
import { setMaxListeners } from 'node:events';
import type { WebhookCompletion } from '../providers/completion.js';
import type { Transport } from '../providers/transport.js';
import { abandonedIsCharged } from '../catalog/billing.js';
import { costOf } from '../catalog/pricing.js';
import type { CatalogModel } from '../catalog/types.js';
import { type Clock, deadlineSignal, realClock } from '../core/clock.js';
import { maskInConvention } from '../core/mask.js';
import { EaselError, TimeoutError } from '../core/errors.js';
import type { Attempt, ImageResult } from '../core/result.js';
import type { Warning } from '../core/warnings.js';
import type { VendorEndpoint } from '../config/endpoints.js';
import { LOCAL_PROVIDER, PROVIDERS, type RemoteProviderId } from '../providers/registry.js';
import type { CancelOutcome, ProviderCall, ProviderResult, ProviderRuntime } from '../providers/types.js';
import { callCost, mergeResults } from './merge.js';

export interface ExecuteOptions {
  endpoint: VendorEndpoint;
  fetch: typeof fetch;
  /** Plain calls go through this when set (see ProviderRuntime.transport). */
  transport?: Transport;
  signal?: AbortSignal;
  timeoutMs: number;
  pollIntervalMs: number;
  firstPollDelayMs?: number;
  /** Called with each call's vendor job id as soon as it exists (batch stores persist it). */
  onSubmitted?: (call: number, vendorRequestId: string) => void | Promise<void>;
  /** Vendor job ids from an earlier run, by call: those calls are resumed (polled), not submitted again. */
  resumeIds?: ReadonlyMap<number, string>;
  /** Called right before a call is submitted (write-ahead, so a crash mid-request can be reconciled); awaited. */
  onSubmitting?: (call: number) => void | Promise<void>;
  /** Sees every failed call (the batch pacer slows a vendor down on 429s). */
  onError?: (error: unknown) => void;
  /** Waits for a slot with the vendor before each call (the batch pacer); returns the release. */
  acquire?: (provider: string, signal: AbortSignal) => Promise<() => void>;
  /** Webhook completion for this model's vendor, when configured. */
  completion?: WebhookCompletion;
  /**
   * On a call's timeout, leave its vendor job running and report it to `onKept`, so the next attempt
   * resumes it instead of paying for a second job (the router decides while it has resumes left).
   */
  keepOnTimeout?: boolean;
  onKept?: (call: number, vendorRequestId: string) => void;
  /**
   * Results of this model's calls by index, shared by the router's tries on this model: calls found
   * here are not run again (split `n` keeps what it bought), and calls that finish are added.
   */
  finished?: Map<number, ProviderResult>;
  /** Where attempts are logged; the router passes one log for every candidate and retry. */
  attempts?: Attempt[];
  /** The clock deadlines, polling and adapters' waits run on (default the real one). */
  clock?: Clock;
}

export function runtimeBase(
  options: Pick<ExecuteOptions, 'endpoint' | 'fetch' | 'transport' | 'timeoutMs' | 'pollIntervalMs' | 'firstPollDelayMs' | 'clock'>,
  signal: AbortSignal,
): ProviderRuntime {
  const clock = options.clock ?? realClock;
  return {
    baseUrl: options.endpoint.baseUrl,
    urls: options.endpoint.urls,
    apiKey: options.endpoint.apiKey,
    fetch: options.fetch,
    transport: options.transport,
    signal,
    sleep: clock.sleep,
    now: clock.now,
    pollIntervalMs: options.pollIntervalMs,
    firstPollDelayMs: options.firstPollDelayMs,
    deadlineAt: clock.now() + options.timeoutMs,
    sandbox: options.endpoint.target === 'sandbox',
  };
}

/** How long the cancels of kept jobs may take, all together (best effort). */
const CANCEL_KEPT_JOBS_MS = 10_000;

/**
 * Cancels vendor jobs a failed try left alive that no later try resumed (best effort, bounded), and
 * returns what the vendor bills for them anyway (USD; null when the price is unknown): a job that
 * cannot be cancelled runs to its end and is paid for.
 */
export async function cancelKeptJobs(
  model: CatalogModel,
  calls: readonly ProviderCall[],
  kept: ReadonlyMap<number, string>,
  options: Pick<ExecuteOptions, 'endpoint' | 'fetch' | 'transport' | 'timeoutMs' | 'pollIntervalMs' | 'firstPollDelayMs' | 'clock'>,
): Promise<number | null> {
  const provider = model.provider === 'local' ? LOCAL_PROVIDER : PROVIDERS[model.provider as RemoteProviderId];
  const outcomes = new Map<number, CancelOutcome>();
  if (provider.cancel) {
    // Bounded on the request's clock, like its other deadlines (a test's fake clock decides when it fires).
    const bound = deadlineSignal(undefined, CANCEL_KEPT_JOBS_MS, 'the cancel', options.clock ?? realClock);
    const runtime = runtimeBase(options, bound.signal);
    try {
      await Promise.allSettled([...kept].map(async ([index, id]) => outcomes.set(index, await provider.cancel!(calls[index] ?? calls[0]!, id, runtime))));
    } finally {
      bound.dispose();
    }
  }
  let usd: number | null = 0;
  for (const index of kept.keys()) {
    const cost = abandonedCost(model, calls[index] ?? calls[0]!, true, true, outcomes.get(index) === 'completed');
    usd = usd === null || cost === null ? null : usd + cost;
  }
  return usd;
}

export async function executeModel(
  model: CatalogModel,
  calls: readonly ProviderCall[],
  warnings: readonly Warning[],
  options: ExecuteOptions,
): Promise<ImageResult> {
  const provider = model.provider === 'local' ? LOCAL_PROVIDER : PROVIDERS[model.provider as RemoteProviderId];
  const started = performance.now();
  // A failure another try may cure leaves the other calls running: what they deliver is kept for
  // that try. Only a failure no retry on this model can cure stops them.
  const siblings = new AbortController();
  const parent = options.signal ? AbortSignal.any([options.signal, siblings.signal]) : siblings.signal;
  // Every split call listens to it: a large `n` makes more than Node's default of ten listeners.
  setMaxListeners(0, parent);
  const attempts: Attempt[] = options.attempts ?? [];
  const finished = options.finished ?? new Map<number, ProviderResult>();

  const runOne = async (call: ProviderCall, index: number): Promise<ProviderResult> => {
    // The pacer's wait is not part of the attempt's timeout: a queued call has not started yet.
    const release = options.acquire ? await options.acquire(model.provider, parent) : undefined;
    const { signal, dispose } = deadlineSignal(parent, options.timeoutMs, `${model.id} call`, options.clock);
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    let jobId: string | undefined;
    try {
      const runtime: ProviderRuntime = {
        ...runtimeBase(options, signal),
        onSubmitted:
          options.onSubmitted &&
          ((id: string) => {
            jobId = id;
            return options.onSubmitted!(index, id);
          }),
        onVendorDone: release,
        completion: options.completion,
        keepOnTimeout: options.keepOnTimeout,
      };
      // Orphans a crash left are looked for before the try reserves money (orphans.ts): here they are resumed ids.
      const earlier = options.resumeIds?.get(index);
      if (earlier === undefined) await options.onSubmitting?.(index);
      else jobId = earlier;
      const result = earlier !== undefined && provider.resume ? await provider.resume(call, earlier, runtime) : await provider.run(call, runtime);
      finished.set(index, result);
      attempts.push({
        model: model.id,
        provider: model.provider,
        startedAt,
        latencyMs: performance.now() - t0,
        outcome: 'success',
        requestId: result.requestId,
        costUsd: callCost(model, call, result).usd,
      });
      return result;
    } catch (error) {
      options.onError?.(error);
      const e = error instanceof EaselError ? error : undefined;
      // The vendor job lives on (a timeout that leaves it running, or its status or download out of
      // reach): the next try on this model picks it up instead of buying it again.
      const kept = e?.requestId !== undefined && (e.jobAlive === true || (e instanceof TimeoutError && options.keepOnTimeout === true));
      if (kept) options.onKept?.(index, e.requestId!);
      attempts.push({
        model: model.id,
        provider: model.provider,
        startedAt,
        latencyMs: performance.now() - t0,
        outcome: 'error',
        requestId: e?.requestId ?? jobId,
        costUsd:
          kept || refused(e, jobId)
            ? 0
            : abandonedCost(
                model,
                call,
                signal.aborted,
                jobId !== undefined || e?.requestId !== undefined || provider.resume !== undefined,
                e?.charged === true,
              ),
        error: { code: e?.code ?? 'unknown', message: e?.message ?? 'unexpected error', retryable: e?.retryable ?? false },
      });
      if (!kept && !(e?.retryable ?? false)) siblings.abort(error);
      throw error;
    } finally {
      dispose();
      release?.();
    }
  };

  // Every call of a model shares one mask, redrawn once in the convention that vendor reads.
  const mask = calls[0]?.mask ? await maskInConvention(calls[0].mask, model.features.maskConvention ?? 'white-is-edit') : undefined;
  const settled = await Promise.allSettled(calls.map((call, index) => finished.get(index) ?? runOne(mask ? { ...call, mask } : call, index)));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  const results = settled.map((s) => (s as PromiseFulfilledResult<ProviderResult>).value);
  return mergeResults(model, calls, results, {
    warnings: [...warnings],
    attempts,
    latencyMs: performance.now() - started,
    sandbox: options.endpoint.target === 'sandbox',
  });
}

/**
 * The vendor answered the call with an error before any job of it was known (a 4xx or 5xx to the
 * submit, even one that came back as the attempt was being given up): it took nothing and bills nothing.
 */
function refused(error: EaselError | undefined, jobId: string | undefined): boolean {
  // A 2xx whose body was cut off or unreadable is not a refusal: the vendor did the work.
  const status = error?.status;
  return status !== undefined && (status < 200 || status > 299) && jobId === undefined && !error!.jobAlive && !error!.charged;
}

/**
 * What a call given up on still costs (a hedge's loser, an abort, a timeout): nothing when the vendor
 * answered with an error, else what the vendor bills for an abandoned request or job.
 */
function abandonedCost(model: CatalogModel, call: ProviderCall, abandoned: boolean, hadJob: boolean, finishedFirst = false): number | null {
  // A job the vendor had finished before the cancel arrived is billed like any other.
  if (!finishedFirst && (!abandoned || !abandonedIsCharged(model.provider, hadJob ? 'cancelledJob' : 'inFlight'))) return 0;
  return costOf(model, { images: call.n, width: call.width, height: call.height, quality: call.quality }).usd;
}
