/** `easel batch FILE --out DIR`: a durable, resumable, budgeted job with a progress bar. */
import { basename, join } from 'node:path';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { readWorkload } from '../batch/input.js';
import type { BatchProgress, BatchRun } from '../batch/run-types.js';
import type { Easel } from '../easel.js';
import { InvalidRequestError } from '../core/errors.js';
import { dryRunFile, printDryRun } from './dry-run.js';
import { intFlag, numberFlag } from './parse.js';
import { addRoutingOptions, policyFromFlags, type RoutingFlags } from './routing-options.js';
import { DEFAULT_GRACE_S, handleInterrupts, type Interrupts, signalExitCode } from './interrupt.js';
import { loadConfigFile } from '../config/load.js';
import { CLI_STATE_DIR, withEasel } from './run-command.js';

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
  new?: boolean;
  grace?: number;
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
    .addOption(
      new Option('--webhook-port <n>', 'port of the webhook receiver this run starts (with --webhook-url)').argParser(intFlag('--webhook-port', 1, 65_535)),
    )
    .option(
      '--new',
      "start a new job even though the folder's unfinished job came from other items (items already done there with the same request are kept, not bought again)",
    )
    .addOption(
      new Option('--grace <seconds>', 'after Ctrl+C, how long calls in flight may finish and be saved')
        .argParser(intFlag('--grace', 0, 3600))
        .default(DEFAULT_GRACE_S),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  easel batch prompts.txt --out ./images --budget 5\n  easel batch jobs.jsonl --out ./assets --model fal/flux/schnell --concurrency 20\n  easel batch prompts.txt --out ./images --dry-run',
    );
  addRoutingOptions(command, { task: false });
  return command.action(async (file: string, flags: BatchFlags) => {
    await withEasel(
      flags.config,
      async (easel) => {
        if (flags.webhookUrl) {
          try {
            if (!/^https?:$/.test(new URL(flags.webhookUrl).protocol)) throw new Error();
          } catch {
            throw new InvalidRequestError(`--webhook-url must be an http(s) URL that vendors can reach, not ${JSON.stringify(flags.webhookUrl)}`, {
              field: 'webhook-url',
            });
          }
          if (!flags.webhookPort)
            throw new InvalidRequestError('--webhook-url needs --webhook-port: the port the URL reaches on this machine', { field: 'webhook-port' });
        }
        const policy = policyFromFlags(flags);
        if (flags.dryRun) {
          const planned = await dryRunFile(easel, file, flags, policy);
          if (flags.json) console.log(JSON.stringify(planned, null, 2));
          else printDryRun(planned);
          return;
        }
        const items = readWorkload(file);
        let inFlight = 0;
        const interrupts = handleInterrupts(flags.grace ?? DEFAULT_GRACE_S, () => inFlight);
        try {
          const run = await easel.batch(items, {
            outDir: flags.out,
            source: resolve(file),
            model: flags.model,
            budgetUsd: flags.budget,
            concurrency: flags.concurrency,
            allowUnpriced: flags.allowUnpriced,
            policy,
            newJob: flags.new === true,
            stop: interrupts.stop,
            signal: interrupts.signal,
            ...(flags.webhookUrl || flags.webhookPort
              ? {
                  webhooks: {
                    publicUrl: flags.webhookUrl,
                    port: flags.webhookPort,
                    host: flags.webhookUrl ? '0.0.0.0' : undefined,
                    replayPath: webhookReplayPath(flags),
                  },
                }
              : {}),
          });
          // The user's own command is the one that resumes: the same file, folder and model.
          const again = ['easel', ...withoutFlags(process.argv.slice(2), { '--new': 0, '--budget': 1, '--grace': 1 })];
          await followRun(easel, run, {
            what: `${basename(file)} → ${run.job.outDir}`,
            json: flags.json === true,
            resumeWith: shellCommand(again),
            interrupts,
            onRunning: (n) => (inFlight = n),
          });
        } finally {
          interrupts.dispose();
        }
      },
      flags.state,
    );
  });
}

/** Beside the job store (the state folder as easel resolves it): deliveries stay refused as replays when the run resumes. */
function webhookReplayPath(flags: BatchFlags): string {
  return join(flags.state ?? loadConfigFile(flags.config).stateDir ?? CLI_STATE_DIR, 'webhook-replays.db');
}

export interface FollowOptions {
  what: string;
  json: boolean;
  /** The command that resumes this job without paying again. */
  resumeWith: string;
  interrupts?: Interrupts;
  onRunning?: (running: number) => void;
}

/** Prints how a batch run starts, its progress and how it ended, with the next command to run. */
export async function followRun(easel: Easel, run: BatchRun, options: FollowOptions): Promise<BatchProgress> {
  const { job } = run;
  const counts = await easel.jobStore().counts(job.id);
  if (run.budgetChange) {
    const { from, to } = run.budgetChange;
    process.stderr.write(
      `budget of job ${job.id}: ${from === undefined ? 'none' : `$${from}`} → $${to} (${from !== undefined && to < from ? 'lowered' : 'raised'}; $${counts.spentUsd.toFixed(4)} spent so far)\n`,
    );
  }
  const reused = run.reused > 0 ? `, ${run.reused} of them done earlier in this folder with the same request (not bought again)` : '';
  process.stderr.write(`${run.resumed ? 'resuming' : 'started'} job ${job.id} (${options.what}): ${counts.succeeded}/${counts.total} already done${reused}\n`);
  const stop = showProgress(run.onProgress.bind(run), counts.total, counts.succeeded + counts.failed + counts.skipped);
  const offRunning = options.onRunning ? run.onProgress((p) => options.onRunning!(p.running)) : undefined;
  const final = await run.done;
  offRunning?.();
  stop();
  printSummary(job.id, final, options.json, options.resumeWith);
  const signal = options.interrupts?.received;
  if (signal) process.exitCode = signalExitCode(signal);
  // Failed items, a pause or a cancel: the job is not done, and a script must not think it is.
  else if (final.failed > 0 || final.paused || final.interrupted) process.exitCode = 1;
  return final;
}

/** Command-line words without the given flags (each with its number of values, or as `--flag=value`). */
export function withoutFlags(words: readonly string[], flags: Record<string, number>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const name = word.split('=')[0]!;
    if (name in flags) {
      if (!word.includes('=')) i += flags[name]!;
      continue;
    }
    kept.push(word);
  }
  return kept;
}

/** Words joined as a POSIX shell would read them back. */
export function shellCommand(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function showProgress(onProgress: (fn: (p: BatchProgress) => void) => () => void, total: number, start: number): () => void {
  if (!process.stderr.isTTY) return onProgress(() => undefined);
  const bar = new SingleBar({
    format: '{bar} {value}/{total} done | {failed} failed | {skipped} skipped | ${cost} | ETA {etaText}',
    hideCursor: true,
    stream: process.stderr,
  });
  bar.start(total, start, { failed: 0, skipped: 0, cost: '0.0000', etaText: '…' });
  const off = onProgress((p) =>
    bar.update(p.succeeded + p.failed + p.skipped, {
      failed: p.failed,
      skipped: p.skipped,
      cost: p.spentUsd.toFixed(4),
      etaText: p.etaMs === undefined ? '…' : `${Math.ceil(p.etaMs / 1000)}s`,
    }),
  );
  return () => {
    off();
    bar.stop();
  };
}

function printSummary(jobId: string, p: BatchProgress, json: boolean, resumeWith = `easel jobs resume ${jobId}`): void {
  if (json) {
    console.log(JSON.stringify({ job: jobId, ...p, ...(p.pending + p.submitted > 0 ? { resumeWith } : {}) }, null, 2));
    return;
  }
  console.log(`job ${jobId}: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped for budget, of ${p.total}; spent $${p.spentUsd.toFixed(4)}`);
  if (p.possibleDuplicates > 0) {
    console.log(
      `${p.possibleDuplicates} item${p.possibleDuplicates === 1 ? '' : 's'} may have been charged twice: a crash cut off a call on a vendor whose jobs cannot be found again (their worst case is in the spend); \`easel jobs show ${jobId}\` lists them`,
    );
  }
  if (p.paused) console.log(`paused: ${p.paused}`);
  const left = p.pending + p.submitted;
  if (left > 0) {
    const why = p.paused ? 'once that is fixed, ' : p.interrupted ? 'stopped; ' : '';
    console.log(`${left} items left: ${why}resume with \`${resumeWith}\` (nothing finished or already at a vendor is bought again)`);
  }
  if (p.skipped > 0) console.log(`${p.skipped} items skipped for budget: raise it with \`${resumeWith} --budget USD\` (the items already done are kept)`);
  if (p.failed > 0) console.log(`retry the failed items with \`easel jobs retry-failed ${jobId}\``);
}

export { printSummary, showProgress };
