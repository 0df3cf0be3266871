/**
 * Workload estimates: what a set of prompts would cost and how long it would take on each model,
 * under that vendor's rate limits ("always model X", "always the cheapest"); and what a planned
 * call is expected to cost at the vendor, the figure dry runs add up.
 */
import { CATALOG } from '../catalog/index.js';
import { splitLatency } from '../catalog/compute-time.js';
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { costOf } from '../catalog/pricing.js';
import type { CatalogModel, ProviderLimits } from '../catalog/types.js';
import type { ParsedRequest } from '../core/request.js';
import type { ProviderCall } from '../providers/types.js';
import type { Task } from '../core/task.js';
import { hasCapability } from './capabilities.js';
import { meanLatencyMs } from './hedge.js';
import { type PlannedCandidate, planRoute } from './plan.js';
import type { ParsedPolicy } from '../core/policy.js';
import { promptHints } from './prompt-hints.js';

export interface ModelEstimate {
  model: string;
  /** USD for every item of the workload on this model (null: unknown price). */
  costUsd: number | null;
  /** Expected wall time for the workload under the vendor's published limits (ms). */
  timeMs: number;
  /** Items this model can serve with every requirement met. */
  fits: number;
  /** Items it cannot serve as asked (missing capability, size, task…), with the first reason. */
  unmet: number;
  unmetExample?: string;
  lifecycle: CatalogModel['lifecycle']['status'];
}

export interface WorkloadEstimate {
  items: number;
  images: number;
  perModel: ModelEstimate[];
  cheapest: ModelEstimate | undefined;
}

/**
 * "Always model X", for every model that can take the workload's tasks: what if one model served
 * every item. (What the run itself will do, item by item, is the batch dry run's job.)
 * `task` is for the items that name none.
 */
export function estimateWorkload(
  items: readonly ParsedRequest[],
  task: Task,
  policy: ParsedPolicy,
  catalog: readonly CatalogModel[] = CATALOG,
): WorkloadEstimate {
  const images = items.reduce((sum, item) => sum + (item.n ?? 1), 0);
  const tasks = new Set(items.map((item) => item.task ?? task));
  const perModel = catalog.filter((m) => m.tasks.some((t) => tasks.has(t))).map((model) => modelEstimate(model, items, task, policy, catalog));
  const cheapest = [...perModel].filter((m) => m.costUsd !== null && m.lifecycle !== 'shutdown').sort((a, b) => a.costUsd! - b.costUsd!)[0];
  return {
    items: items.length,
    images,
    perModel: perModel.sort((a, b) => (a.costUsd ?? Infinity) - (b.costUsd ?? Infinity)),
    cheapest,
  };
}

function modelEstimate(
  model: CatalogModel,
  items: readonly ParsedRequest[],
  task: Task,
  policy: ParsedPolicy,
  catalog: readonly CatalogModel[],
): ModelEstimate {
  let cost: number | null = 0;
  let fits = 0;
  let unmet = 0;
  let unmetExample: string | undefined;
  let images = 0;
  for (const request of items) {
    images += request.n ?? 1;
    let reason: string | undefined;
    try {
      const plan = planRoute({
        request,
        task: request.task ?? task,
        model: model.id,
        policy: { ...policy, targets: undefined },
        inputs: { image: undefined, mask: undefined },
        catalog,
      });
      const c = expectedCostUsd(plan.ranked[0]!);
      cost = cost === null || c === null ? null : cost + c;
      const needs = [...(policy.require ?? []), ...(policy.promptHints === false ? [] : promptHints(request.prompt).map((h) => h.capability))];
      const missing = needs.filter((capability) => !hasCapability(model, capability));
      if (missing.length > 0) reason = `lacks ${missing.join(', ')}`;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
      // Items a model cannot take at all are still priced as if it could, so the column stays comparable.
    }
    if (reason) {
      unmet++;
      unmetExample ??= reason;
    } else fits++;
  }
  return {
    model: model.id,
    costUsd: cost === null ? null : round(cost),
    timeMs: timeUnderLimits(images, meanLatencyMs(model.latency), limitsOf(model.provider)),
    fits,
    unmet,
    unmetExample,
    lifecycle: model.lifecycle.status,
  };
}

/**
 * What the vendor is expected to charge for a planned candidate: its calls at the catalog price,
 * and a per-second price at the mean compute time the vendor reports for such a call (the latency's
 * mean, not its median, less the unbilled queueing), so that many items add up to the bill.
 */
export function expectedCostUsd(candidate: Pick<PlannedCandidate, 'model' | 'calls'>): number | null {
  const { model } = candidate;
  let total = 0;
  for (const call of candidate.calls) {
    const computeSeconds = model.price.kind === 'per-second' ? splitLatency(meanLatencyMs(model.latency), call.n).computeMs / 1000 : undefined;
    const cost = costOf(model, { images: call.n, ...billedSize(call), quality: call.quality, computeSeconds });
    if (cost.usd === null) return null;
    total += cost.usd;
  }
  return round(total);
}

/**
 * The output size a call is billed on. A model whose output follows its input (fills, upscalers) has
 * no size of its own in the call: the input's, times the upscale factor, is what the vendor makes
 * and bills per megapixel.
 */
export function billedSize(call: Pick<ProviderCall, 'width' | 'height' | 'image' | 'task' | 'scale'>): { width?: number; height?: number } {
  if (call.width && call.height) return { width: call.width, height: call.height };
  if (!call.image) return {};
  const factor = call.task === 'upscale' ? (call.scale ?? 1) : 1;
  return { width: Math.round(call.image.width * factor), height: Math.round(call.image.height * factor) };
}

function limitsOf(provider: string): ProviderLimits | undefined {
  return (PROVIDER_LIMITS as Record<string, ProviderLimits>)[provider];
}

/**
 * The time the vendor's limits allow for a workload: starts spread evenly at the rate limit (the
 * last one after (N-1)/rate), plus one call; with a concurrency limit, N calls of mean latency
 * share the slots.
 */
export function timeUnderLimits(
  images: number,
  latencyMs: number,
  limits: (Pick<ProviderLimits, 'requestsPerMinute' | 'concurrent'> & { burst?: { requests: number; windowMs: number }; windowMs?: number }) | undefined,
): number {
  if (images === 0) return 0;
  const windows = (perWindow: number | undefined, windowMs: number) => (perWindow ? ((images - 1) / perWindow) * windowMs + latencyMs : 0);
  const byRate = windows(limits?.requestsPerMinute, limits?.windowMs ?? 60_000);
  const byBurst = limits?.burst ? windows(limits.burst.requests, limits.burst.windowMs) : 0;
  const byConcurrency = limits?.concurrent ? (images / limits.concurrent) * latencyMs : latencyMs;
  return Math.max(byRate, byBurst, byConcurrency);
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
