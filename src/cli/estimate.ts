/**
 * `easel estimate`: what the run of a workload will cost and how long it will take — each line
 * planned exactly as `easel batch` would, failing lines listed — beside every model that could
 * serve it all ("always model X").
 */
import { Command, Option } from 'commander';
import type { DryRun } from '../batch/dry-run.js';
import { readWorkloadLines, type WorkloadLines } from '../batch/input.js';
import { CATALOG } from '../catalog/index.js';
import { applyOverrides } from '../catalog/overrides.js';
import { loadConfigFile } from '../config/load.js';
import { parseRequest } from '../easel.js';
import { estimateWorkload, type ModelEstimate, type WorkloadEstimate } from '../router/estimate.js';
import { dryRunItems, printDryRun } from './dry-run.js';
import { intFlag, numberFlag } from './parse.js';
import { withEasel } from './run-command.js';
import { addRoutingOptions, policyFromFlags, type RoutingFlags } from './routing-options.js';

interface EstimateFlags extends RoutingFlags {
  config?: string;
  prompts?: string;
  count?: number;
  prompt?: string;
  model?: string;
  budget?: number;
  concurrency?: number;
  compare?: string[];
  json?: boolean;
}

export function estimateCommand(): Command {
  const command = new Command('estimate')
    .description('estimate cost and time of a workload as `easel batch` would run it, and on each model')
    .option('--prompts <file>', 'workload file: .txt (a prompt a line), .jsonl or .csv')
    .addOption(new Option('--count <n>', 'a workload of N copies of --prompt').argParser(intFlag('--count', 1, 10_000_000)))
    .option('--prompt <text>', 'the prompt for --count', 'a product photo on a white background')
    .option('-m, --model <id>', 'model for every item that names none (as `easel batch --model`; default auto)')
    .addOption(new Option('--budget <usd>', 'say whether the run fits this spend cap').argParser(numberFlag('--budget', 0, 1_000_000)))
    .addOption(new Option('--concurrency <n>', 'most items in flight at once (as `easel batch --concurrency`)').argParser(intFlag('--concurrency', 1, 10_000)))
    .option('--compare <model...>', 'baselines to print beside the run', ['openai/dall-e-3'])
    .option('--json', 'print the estimate as JSON')
    .option('--config <file>', 'config file (its catalog overrides, policy and limits apply)')
    .addHelpText(
      'after',
      '\nExamples:\n  easel estimate --prompts examples/workloads/mixed-1000.txt\n  easel estimate --prompts jobs.jsonl --model fal/flux/dev --budget 5\n  easel estimate --count 500 --prompt "mountain landscape" --objective fastest',
    );
  addRoutingOptions(command);
  return command.action(async (flags: EstimateFlags) => {
    await withEasel(flags.config, async (easel) => {
      if (!flags.prompts && !flags.count) throw new Error('give --prompts FILE or --count N');
      const workload: WorkloadLines = flags.prompts
        ? readWorkloadLines(flags.prompts)
        : { items: Array.from({ length: flags.count! }, (_, i) => ({ line: i + 1, request: { prompt: flags.prompt } })), bad: [] };
      const policy = policyFromFlags(flags);
      const run = await dryRunItems(easel, workload.items, flags, policy, workload.bad);
      // The comparison takes the lines that will run, each as "always model X" would.
      const runs = new Set(run.lines.map((l) => l.line));
      const requests = workload.items.filter((i) => runs.has(i.line)).map((i) => parseRequest(i.request));
      const catalog = applyOverrides(CATALOG, loadConfigFile(flags.config).catalog);
      const comparison = estimateWorkload(requests, flags.task ?? 'generate', policy, catalog);
      if (flags.json) {
        console.log(JSON.stringify({ run, perModel: comparison.perModel, cheapest: comparison.cheapest }, null, 2));
        return;
      }
      printEstimate(run, comparison, flags.compare ?? []);
    });
  });
}

function printEstimate(run: DryRun, estimate: WorkloadEstimate, compare: string[]): void {
  const usd = (v: number | null) => (v === null ? 'unknown' : `$${v.toFixed(2)}`);
  const time = (ms: number) =>
    ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(0)} s`;
  console.log(`${'always this model'.padEnd(44)}${'cost'.padStart(12)}${'time'.padStart(11)}  fit`);
  const row = (m: ModelEstimate) =>
    console.log(
      `${m.model.padEnd(44)}${usd(m.costUsd).padStart(12)}${time(m.timeMs).padStart(11)}  ${m.unmet === 0 ? 'all' : `${m.fits}/${m.fits + m.unmet} (${m.unmetExample})`}${m.lifecycle === 'active' ? '' : ` [${m.lifecycle}]`}`,
    );
  estimate.perModel.forEach(row);
  console.log('\nthe run');
  printDryRun(run, (line) => console.log(`  ${line}`));
  for (const id of compare) {
    const m = estimate.perModel.find((p) => p.model === id);
    if (m)
      console.log(
        `  always ${id.padEnd(26)}${usd(m.costUsd).padStart(10)}  ${time(m.timeMs)}  ${m.unmet ? `${m.unmet} requests unmet` : 'all requirements met'}${m.lifecycle === 'active' ? '' : ` (${m.lifecycle})`}`,
      );
  }
  const c = estimate.cheapest;
  if (c)
    console.log(
      `  always the cheapest (${c.model})`.padEnd(34) +
        `${usd(c.costUsd).padStart(10)}  ${time(c.timeMs)}  ${c.unmet ? `${c.unmet} requests unmet (${c.unmetExample})` : 'all requirements met'}`,
    );
}
