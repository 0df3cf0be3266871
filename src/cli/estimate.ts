/** `easel estimate`: cost and time of a workload on every candidate model, and what the router would do. */
import { Command, Option } from 'commander';
import { readWorkload } from '../batch/input.js';
import { CATALOG } from '../catalog/index.js';
import { applyOverrides } from '../catalog/overrides.js';
import { loadConfigFile } from '../config/load.js';
import { parseRequest } from '../easel.js';
import { estimateWorkload, type ModelEstimate } from '../router/estimate.js';
import { intFlag } from './parse.js';
import { reportError } from './run-command.js';
import { addRoutingOptions, policyFromFlags, type RoutingFlags } from './routing-options.js';

interface EstimateFlags extends RoutingFlags {
  config?: string;
  prompts?: string;
  count?: number;
  prompt?: string;
  compare?: string[];
  json?: boolean;
}

export function estimateCommand(): Command {
  const command = new Command('estimate')
    .description('estimate cost and time of a workload on each model, and with the router')
    .option('--prompts <file>', 'workload file: .txt (a prompt a line), .jsonl or .csv')
    .addOption(new Option('--count <n>', 'a workload of N copies of --prompt').argParser(intFlag('--count', 1, 10_000_000)))
    .option('--prompt <text>', 'the prompt for --count', 'a product photo on a white background')
    .option('--compare <model...>', 'baselines to print beside the router', ['openai/dall-e-3'])
    .option('--json', 'print the estimate as JSON')
    .option('--config <file>', 'config file (its catalog overrides apply)')
    .addHelpText('after', '\nExamples:\n  easel estimate --prompts examples/workloads/mixed-1000.txt\n  easel estimate --count 500 --prompt "mountain landscape" --objective fastest');
  addRoutingOptions(command);
  return command.action((flags: EstimateFlags) => {
    try {
      if (!flags.prompts && !flags.count) throw new Error('give --prompts FILE or --count N');
      const requests = flags.prompts
        ? readWorkload(flags.prompts).map((item) => parseRequest(item.request))
        : Array.from({ length: flags.count! }, () => parseRequest({ prompt: flags.prompt }));
      const policy = policyFromFlags(flags);
      const catalog = applyOverrides(CATALOG, loadConfigFile(flags.config).catalog);
      const estimate = estimateWorkload(requests, flags.task ?? 'generate', policy, catalog);
      if (flags.json) {
        console.log(JSON.stringify(estimate, null, 2));
        return;
      }
      printEstimate(estimate, flags.compare ?? []);
    } catch (error) {
      reportError(error);
    }
  });
}

function printEstimate(estimate: ReturnType<typeof estimateWorkload>, compare: string[]): void {
  const usd = (v: number | null) => (v === null ? 'unknown' : `$${v.toFixed(2)}`);
  const time = (ms: number) => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(0)} s`);
  console.log(`workload: ${estimate.items} requests, ${estimate.images} images\n`);
  console.log(`${'model'.padEnd(44)}${'cost'.padStart(12)}${'time'.padStart(11)}  fit`);
  const row = (m: ModelEstimate) =>
    console.log(
      `${m.model.padEnd(44)}${usd(m.costUsd).padStart(12)}${time(m.timeMs).padStart(11)}  ${m.unmet === 0 ? 'all' : `${m.fits}/${m.fits + m.unmet} (${m.unmetExample})`}${m.lifecycle === 'active' ? '' : ` [${m.lifecycle}]`}`,
    );
  estimate.perModel.forEach(row);
  const routedModels = Object.entries(estimate.routed.byModel)
    .sort((a, b) => b[1] - a[1])
    .map(([model, n]) => `${model} ×${n}`)
    .join(', ');
  console.log('\nsummary');
  console.log(`  router (every requirement met)   ${usd(estimate.routed.costUsd).padStart(10)}  ${time(estimate.routed.timeMs)}  ${routedModels}${estimate.routed.unroutable ? `; ${estimate.routed.unroutable} requests no model can serve` : ''}`);
  for (const id of compare) {
    const m = estimate.perModel.find((p) => p.model === id);
    if (m) console.log(`  always ${id.padEnd(26)}${usd(m.costUsd).padStart(10)}  ${time(m.timeMs)}  ${m.unmet ? `${m.unmet} requests unmet` : 'all requirements met'}${m.lifecycle === 'active' ? '' : ` (${m.lifecycle})`}`);
  }
  const c = estimate.cheapest;
  if (c) console.log(`  always the cheapest (${c.model})`.padEnd(34) + `${usd(c.costUsd).padStart(10)}  ${time(c.timeMs)}  ${c.unmet ? `${c.unmet} requests unmet (${c.unmetExample})` : 'all requirements met'}`);
}
