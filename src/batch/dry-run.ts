/**
 * The dry run of a batch: each item resolved exactly as the run will resolve it — the same request
 * (its own model and policy over the batch's), the same validation, input loading and plan
 * (`easel.route`) — priced at what the vendor is expected to charge, with every line that will fail
 * listed by number and why, before anything is paid for.
 */
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { expectedCostUsd, timeUnderLimits } from '../router/estimate.js';
import { meanLatencyMs } from '../router/hedge.js';
import type { RoutePlan } from '../router/plan.js';
import type { BadLine, WorkloadItem } from './input.js';
import { type BatchDefaults, batchItemRequest, DEFAULT_CONCURRENCY } from './item-request.js';
import type { PaceLimits } from '../router/pacer.js';
import type { BatchRunner } from './types.js';

export interface PlannedLine {
  line: number;
  /** The model the run tries first (the one that answers unless it fails). */
  model: string;
  provider: string;
  images: number;
  /** Vendor calls (`n` above a model's per-call limit is split). */
  calls: number;
  /** Expected charge (USD); null when the model's price is unknown. */
  costUsd: number | null;
  /** Expected time of one of its calls (ms, the latency's mean). */
  latencyMs: number;
}

export interface ModelShare {
  items: number;
  images: number;
  /** Null when the model's price is unknown. */
  costUsd: number | null;
}

export interface DryRun {
  /** Lines that will run. */
  items: number;
  images: number;
  /** Expected charge of the lines that will run; lines on unpriced models add nothing here and are counted in `unpriced`. */
  costUsd: number;
  unpriced: number;
  /** Expected wall time under the vendors' limits and the batch's concurrency (ms). */
  timeMs: number;
  byModel: Record<string, ModelShare>;
  /** Lines that will fail or be skipped, by line number, with why; not in any figure above. */
  failing: BadLine[];
  lines: PlannedLine[];
  budget?: { capUsd: number; fits: boolean };
}

export interface DryRunOptions extends BatchDefaults {
  budgetUsd?: number;
  allowUnpriced?: boolean;
  /** Most items in flight at once (the batch's `--concurrency`). */
  concurrency?: number;
  /** Per-vendor pacing, as the batch uses it (default the catalog's table). */
  limits?: Record<string, PaceLimits | undefined>;
  /** Lines the reader could not turn into requests. */
  unreadable?: readonly BadLine[];
}

export async function dryRun(easel: Pick<BatchRunner, 'route'>, items: readonly WorkloadItem[], options: DryRunOptions = {}): Promise<DryRun> {
  const failing: BadLine[] = [...(options.unreadable ?? [])];
  const lines: PlannedLine[] = [];
  // Identical requests (a prompt repeated, `--count N`) get one plan.
  const plans = new Map<string, Promise<RoutePlan>>();
  for (const item of items) {
    const request = batchItemRequest(item.request, options);
    // Image bytes (library callers) are not worth a key: those items are planned one by one.
    const key = request.image instanceof Uint8Array || request.mask instanceof Uint8Array ? undefined : JSON.stringify(request);
    let planned = key === undefined ? undefined : plans.get(key);
    if (!planned) {
      planned = easel.route(request);
      if (key !== undefined) plans.set(key, planned);
    }
    let plan: RoutePlan;
    try {
      plan = await planned;
    } catch (error) {
      failing.push({ line: item.line, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const first = plan.ranked[0]!;
    const costUsd = expectedCostUsd(first);
    if (costUsd === null && options.budgetUsd !== undefined && !options.allowUnpriced) {
      failing.push({ line: item.line, reason: `${first.model.id} has no known price, so a budgeted run skips it (--allow-unpriced runs it)` });
      continue;
    }
    lines.push({
      line: item.line,
      model: first.model.id,
      provider: first.model.provider,
      images: first.calls.reduce((sum, call) => sum + call.n, 0),
      calls: first.calls.length,
      costUsd,
      latencyMs: meanLatencyMs(first.model.latency),
    });
  }
  failing.sort((a, b) => a.line - b.line);
  return summarize(lines, failing, options);
}

function summarize(lines: PlannedLine[], failing: BadLine[], options: DryRunOptions): DryRun {
  const byModel: Record<string, ModelShare> = {};
  for (const l of lines) {
    const share = (byModel[l.model] ??= { items: 0, images: 0, costUsd: 0 });
    share.items++;
    share.images += l.images;
    share.costUsd = share.costUsd === null || l.costUsd === null ? null : round(share.costUsd + l.costUsd);
  }
  const costUsd = round(lines.reduce((sum, l) => sum + (l.costUsd ?? 0), 0));
  return {
    items: lines.length,
    images: lines.reduce((sum, l) => sum + l.images, 0),
    costUsd,
    unpriced: lines.filter((l) => l.costUsd === null).length,
    timeMs: expectedTimeMs(lines, options),
    byModel,
    failing,
    lines,
    ...(options.budgetUsd !== undefined ? { budget: { capUsd: options.budgetUsd, fits: costUsd <= options.budgetUsd + 1e-9 } } : {}),
  };
}

/**
 * Vendors work in parallel, each under its own limits (its models share them); and the batch keeps
 * at most `concurrency` items in flight over all vendors, so the work also takes at least its total
 * busy time shared among those slots.
 */
function expectedTimeMs(lines: PlannedLine[], options: DryRunOptions): number {
  const limits: Record<string, PaceLimits | undefined> = options.limits ?? PROVIDER_LIMITS;
  const byProvider = new Map<string, { calls: number; busyMs: number }>();
  for (const l of lines) {
    const entry = byProvider.get(l.provider) ?? { calls: 0, busyMs: 0 };
    entry.calls += l.calls;
    entry.busyMs += l.calls * l.latencyMs;
    byProvider.set(l.provider, entry);
  }
  const perVendor = [...byProvider].map(([provider, e]) => timeUnderLimits(e.calls, e.busyMs / e.calls, limits[provider]));
  const busyMs = lines.reduce((sum, l) => sum + l.latencyMs, 0);
  return Math.round(Math.max(0, ...perVendor, busyMs / (options.concurrency ?? DEFAULT_CONCURRENCY)));
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
