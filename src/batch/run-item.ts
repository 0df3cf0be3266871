/**
 * Runs one batch item to an outcome: through the router with the durability hooks (write-ahead intent,
 * vendor ids stored before anything waits), its money reserved per attempt, temporary failures tried
 * again, its images written (or parked when the folder cannot take them), and its outcome stored.
 */
import { join } from 'node:path';
import { errorFromSignal } from '../core/abort.js';
import { AbortedError, BudgetExceededError, EaselError, TimeoutError } from '../core/errors.js';
import type { ImageRequest } from '../core/request.js';
import type { ImageResult } from '../core/result.js';
import type { Pacer } from '../router/pacer.js';
import { CIRCUIT_OPEN } from '../router/resilience.js';
import { resumeFor } from './crash-accounting.js';
import { itemBudget } from './item-budget.js';
import { ItemRecord } from './item-record.js';
import { imageFileNames, localWriteProblem, park, writeParked } from './item-files.js';
import { batchItemRequest } from './item-request.js';
import type { RunContext } from './run-context.js';
import type { BatchItemResult } from './run-types.js';
import type { Item, ItemOutput } from './types.js';

/** Times a batch item is run through the router before it is marked failed (temporary errors only). */
const ITEM_ATTEMPTS = 5;
const ITEM_RETRY_DELAY_MS = 250;
/** While a vendor's breaker is open, items wait this long between looks, up to this many times (~10 min). */
const CIRCUIT_WAIT_MS = 1_000;
const MAX_CIRCUIT_WAITS = 600;

export async function runItem(context: RunContext, item: Item): Promise<BatchItemResult> {
  const { options, easel, store, budget, pacer, clock, signal, stopping } = context;
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
  const money = itemBudget(budget, item.line, stopping);
  const record = new ItemRecord(store, item.jobId, item.index);

  // Calls of this item whose submit is on the wire (intent written, no vendor id yet). The intent is
  // one per item: a refusal clears it only when no other call's submit is still unanswered, and a call
  // that ended any other way (a timeout, a cut connection) keeps it, since the vendor may have its job.
  let unanswered = 0;
  let result: ImageResult | undefined;
  // The router already retried and fell back; a batch item that still fails for a temporary reason
  // (a vendor down, its breaker open) waits and goes again rather than being given up on.
  let circuitWaits = 0;
  for (let attempt = 1; !result; attempt++) {
    // The store has the item's vendor jobs as they are now (an earlier attempt may have added or dropped one).
    const current = (await record.read()) ?? item;
    // Errors naming one of these are about a job that exists, not a refused submit.
    const jobs = new Set(current.submissions.map((s) => s.vendorRequestId));
    try {
      result = await easel.run(request, {
        resume: resumeFor(current, context.orphansTaken),
        // Both awaited by the router: the intent is durable before the request leaves, the vendor id
        // before anything waits on the job.
        onSubmitting: (model) => {
          unanswered++;
          return record.markSubmitting(model, clock.now());
        },
        onSubmitted: (model, call, vendorRequestId) => {
          unanswered = Math.max(0, unanswered - 1);
          jobs.add(vendorRequestId);
          return record.addSubmission({ call, model, vendorRequestId });
        },
        acquire: (provider, s) => acquireSlot(pacer, provider, s, stopping),
        reserve: money.reserve,
        completion: options.completion,
        readImage: options.readImage,
        onError: (error) => {
          if (!(error instanceof EaselError)) return;
          if (error.provider) pacer.observe(error.provider, error);
          // Queued, not awaited (this hook is synchronous): they land before the item's next write or read.
          // The vendor refused a submit: that call was not charged. The intent goes once no other is on the wire.
          const refused = error.status !== undefined && !error.jobAlive && !(error.requestId !== undefined && jobs.has(error.requestId));
          if (refused && (unanswered = Math.max(0, unanswered - 1)) === 0) void record.clearIntent();
          // A job the vendor itself reports failed or canceled is not resumed again.
          if (error.requestId && !error.jobAlive && !(error instanceof AbortedError) && !(error instanceof TimeoutError))
            void record.dropSubmission(error.requestId);
        },
      });
    } catch (error) {
      const charged = money.chargedUsd;
      if (error instanceof BudgetExceededError) {
        await record.skip(error.message, charged);
        return { ...base, status: 'skipped', files: [], costUsd: charged, error: { code: error.code, message: error.message } };
      }
      if (stopping.aborted) {
        await record.addCost(charged);
        return interrupted();
      }
      // An open breaker is the vendor resting, not this item failing: wait, without spending an attempt.
      if (error instanceof EaselError && error.vendorCode === CIRCUIT_OPEN && circuitWaits++ < MAX_CIRCUIT_WAITS) {
        attempt--;
        await clock.sleep(CIRCUIT_WAIT_MS, stopping).catch(() => undefined);
        continue;
      }
      // The vendor job exists and is not failed; only reaching it did. It is resumed, never bought again.
      if (error instanceof EaselError && error.jobAlive) {
        if (attempt < ITEM_ATTEMPTS) {
          await clock.sleep(ITEM_RETRY_DELAY_MS * attempt, stopping).catch(() => undefined);
          continue;
        }
        await record.addCost(charged);
        context.pause(`vendor job ${error.requestId ?? ''} could not be reached (${error.message}); it is kept and resumes next run`);
        return { ...base, status: 'failed', files: [], costUsd: 0, error: { code: 'paused', message: error.message } };
      }
      if (!(error instanceof EaselError && error.retryable) || attempt >= ITEM_ATTEMPTS) return await fail(error, charged);
      await clock.sleep(ITEM_RETRY_DELAY_MS * attempt, stopping).catch(() => undefined);
    }
  }
  pacer.recovered(result.provider);
  const costUsd = result.route?.totalCostUsd ?? result.cost.usd;
  const names = imageFileNames(
    item,
    context.lineWidth,
    result.images.map((image) => image.format),
  );
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
    return park(context, item, { record, output, images: result.images.map((i) => i.bytes), costUsd: money.chargedUsd, problem });
  }
  const charged = money.chargedUsd;
  await record.succeed(output, charged);
  return { ...base, status: 'succeeded', model: result.model, files: output.files, costUsd: charged };

  async function fail(error: unknown, costUsd: number): Promise<BatchItemResult> {
    const e =
      error instanceof EaselError
        ? { code: error.code, message: error.message }
        : { code: 'unknown', message: error instanceof Error ? error.message : String(error) };
    await record.fail(e, costUsd);
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
