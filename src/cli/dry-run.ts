/** The run's own plan for each line of a workload file, printed before anything is paid for (`batch --dry-run`, `estimate`). */
import { PROVIDER_LIMITS } from '../catalog/limits.js';
import { loadConfigFile } from '../config/load.js';
import type { Task } from '../core/task.js';
import type { Easel } from '../easel.js';
import { type DryRun, dryRun } from '../batch/dry-run.js';
import { readWorkloadLines, type WorkloadItem } from '../batch/input.js';
import type { ParsedPolicy } from '../core/policy.js';

export interface DryRunFlags {
  model?: string;
  budget?: number;
  concurrency?: number;
  allowUnpriced?: boolean;
  config?: string;
  /** Task of the items that name none (`easel estimate --task`; a batch item's own task otherwise). */
  task?: Task;
}

/** Reads every line of `file` (listing the unreadable ones) and plans each as the batch would. */
export function dryRunFile(easel: Easel, file: string, flags: DryRunFlags, policy: ParsedPolicy): Promise<DryRun> {
  const { items, bad } = readWorkloadLines(file);
  return dryRunItems(easel, items, flags, policy, bad);
}

export function dryRunItems(
  easel: Easel,
  items: readonly WorkloadItem[],
  flags: DryRunFlags,
  policy: ParsedPolicy,
  unreadable: DryRun['failing'] = [],
): Promise<DryRun> {
  const task = flags.task;
  return dryRun(easel, task ? items.map((i) => ({ ...i, request: { task, ...i.request } })) : items, {
    model: flags.model,
    policy,
    budgetUsd: flags.budget,
    allowUnpriced: flags.allowUnpriced,
    concurrency: flags.concurrency,
    // The pacing the batch will use: the catalog's table under the config's own limits.
    limits: { ...PROVIDER_LIMITS, ...loadConfigFile(flags.config).limits },
    unreadable,
  });
}

export function printDryRun(run: DryRun, out: (line: string) => void = console.log): void {
  const lines = run.items + run.failing.length;
  out(`dry run: ${lines} lines: ${run.items} will run (${run.images} images)${run.failing.length ? `, ${run.failing.length} will fail` : ''}`);
  out(
    `estimated cost ${usd(run.costUsd)}${run.unpriced ? ` + ${run.unpriced} items at an unknown price` : ''}, time ≈ ${duration(run.timeMs)} under the vendors' limits`,
  );
  const models = Object.entries(run.byModel).sort((a, b) => b[1].items - a[1].items);
  if (models.length) out(`models: ${models.map(([model, m]) => `${model} ×${m.items} (${m.costUsd === null ? 'price unknown' : usd(m.costUsd)})`).join(', ')}`);
  if (run.failing.length) {
    out(`will fail (not in the estimate):`);
    for (const bad of run.failing) out(`  line ${bad.line}: ${bad.reason}`);
  }
  if (run.budget) {
    const { capUsd, fits } = run.budget;
    out(fits ? `within the $${capUsd} budget` : `budget $${capUsd} is below the estimate of ${usd(run.costUsd)}: items past it will be skipped`);
  }
}

function usd(v: number): string {
  return `$${v.toFixed(4)}`;
}

function duration(ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${Math.max(1, Math.round(ms / 1000))} s`;
}
