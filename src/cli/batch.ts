/** `easel batch FILE --out DIR`: a durable, resumable, budgeted job with a progress bar. */
import { basename } from 'node:path';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { readWorkload } from '../batch/input.js';
import type { BatchProgress } from '../batch/engine.js';
import { InvalidRequestError } from '../core/errors.js';
import { dryRunFile, printDryRun } from './dry-run.js';
import { intFlag, numberFlag } from './parse.js';
import { addRoutingOptions, policyFromFlags, type RoutingFlags } from './routing-options.js';
import { withEasel } from './run-command.js';

interface BatchFlags extends RoutingFlags {
  out: string;
  model?: string;
  budget?: number;
  concurrency?: number;
  dryRun?: boolean;
  allowUnpriced?: boolean;
  state?: string;
  config?: string;
  json?: boolean;
  webhookUrl?: string;
  webhookPort?: number;
}

export function batchCommand(): Command {
  const command = new Command('batch')
    .description('generate a whole workload as one durable job: resumable, paced per vendor, budgeted')
    .argument('<file>', 'workload: .txt (a prompt a line), .jsonl or .csv (full requests)')
    .requiredOption('-o, --out <dir>', 'output folder (images + manifest.jsonl); running again resumes its unfinished job')
    .option('-m, --model <id>', 'model for every item (default: auto, the router chooses per item)')
    .addOption(new Option('--budget <usd>', 'spend cap: never passed, also under concurrency').argParser(numberFlag('--budget', 0, 1_000_000)))
    .addOption(new Option('--concurrency <n>', 'most items in flight at once').argParser(intFlag('--concurrency', 1, 10_000)))
    .option('--dry-run', 'print the estimate and stop')
    .option('--allow-unpriced', 'let models with an unknown price run under a budget')
    .option('--state <dir>', 'state folder for the job store and cache (default .easel)')
    .option('--config <file>', 'config file (default ./easel.config.json)')
    .option('--json', 'print the final summary (or the dry run) as JSON')
    .option('--webhook-url <url>', 'public URL that reaches --webhook-port: Replicate and FAL call it when a job ends, instead of being polled')
    .addOption(new Option('--webhook-port <n>', 'port of the webhook receiver this run starts (with --webhook-url)').argParser(intFlag('--webhook-port', 1, 65_535)))
    .addHelpText('after', '\nExamples:\n  easel batch prompts.txt --out ./images --budget 5\n  easel batch jobs.jsonl --out ./assets --model fal/flux/schnell --concurrency 20\n  easel batch prompts.txt --out ./images --dry-run');
  addRoutingOptions(command, { task: false });
  return command.action(async (file: string, flags: BatchFlags) => {
    await withEasel(
      flags.config,
      async (easel) => {
        if (flags.webhookUrl) {
          try {
            if (!/^https?:$/.test(new URL(flags.webhookUrl).protocol)) throw new Error();
          } catch {
            throw new InvalidRequestError(`--webhook-url must be an http(s) URL that vendors can reach, not ${JSON.stringify(flags.webhookUrl)}`, { field: 'webhook-url' });
          }
          if (!flags.webhookPort) throw new InvalidRequestError('--webhook-url needs --webhook-port: the port the URL reaches on this machine', { field: 'webhook-port' });
        }
        const policy = policyFromFlags(flags);
        if (flags.dryRun) {
          const planned = await dryRunFile(easel, file, flags, policy);
          if (flags.json) console.log(JSON.stringify(planned, null, 2));
          else printDryRun(planned);
          return;
        }
        const items = readWorkload(file);
        const run = easel.batch(items, {
          outDir: flags.out,
          source: resolve(file),
          model: flags.model,
          budgetUsd: flags.budget,
          concurrency: flags.concurrency,
          allowUnpriced: flags.allowUnpriced,
          policy,
          ...(flags.webhookUrl || flags.webhookPort ? { webhooks: { publicUrl: flags.webhookUrl, port: flags.webhookPort, host: flags.webhookUrl ? '0.0.0.0' : undefined } } : {}),
        });
        const counts = easel.jobStore().counts(run.job.id);
        process.stderr.write(`${run.resumed ? 'resuming' : 'started'} job ${run.job.id} (${basename(file)} → ${run.job.outDir}): ${counts.succeeded}/${counts.total} already done\n`);
        const stop = showProgress(run.onProgress.bind(run), counts.total, counts.succeeded + counts.failed + counts.skipped);
        const final = await run.done;
        stop();
        printSummary(run.job.id, final, flags.json === true);
        if (final.failed > 0) process.exitCode = 1;
      },
      flags.state,
    );
  });
}

function showProgress(onProgress: (fn: (p: BatchProgress) => void) => () => void, total: number, start: number): () => void {
  if (!process.stderr.isTTY) return onProgress(() => undefined);
  const bar = new SingleBar({ format: '{bar} {value}/{total} done | {failed} failed | {skipped} skipped | ${cost} | ETA {etaText}', hideCursor: true, stream: process.stderr });
  bar.start(total, start, { failed: 0, skipped: 0, cost: '0.0000', etaText: '…' });
  const off = onProgress((p) =>
    bar.update(p.succeeded + p.failed + p.skipped, { failed: p.failed, skipped: p.skipped, cost: p.spentUsd.toFixed(4), etaText: p.etaMs === undefined ? '…' : `${Math.ceil(p.etaMs / 1000)}s` }),
  );
  return () => {
    off();
    bar.stop();
  };
}

function printSummary(jobId: string, p: BatchProgress, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ job: jobId, ...p }, null, 2));
    return;
  }
  console.log(`job ${jobId}: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped for budget, of ${p.total}; spent $${p.spentUsd.toFixed(4)}`);
  if (p.pending + p.submitted > 0) console.log(`${p.pending + p.submitted} items left: run the same command again, or \`easel jobs resume ${jobId}\``);
  if (p.failed > 0) console.log(`retry the failed items with \`easel jobs retry-failed ${jobId}\``);
}

export { printSummary, showProgress };
