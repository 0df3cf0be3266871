/** `easel jobs`: list batch jobs, show one, resume, cancel, retry the failed items. */
import { Command, Option } from 'commander';
import { InvalidRequestError } from '../core/errors.js';
import type { Easel } from '../easel.js';
import { followRun, shellCommand } from './batch.js';
import { DEFAULT_GRACE_S, handleInterrupts } from './interrupt.js';
import { intFlag, numberFlag } from './parse.js';
import { withEasel } from './run-command.js';

interface JobsFlags {
  state?: string;
  config?: string;
  json?: boolean;
  budget?: number;
  grace?: number;
}

export function jobsCommand(): Command {
  const jobs = new Command('jobs')
    .description('list and manage batch jobs')
    .option('--state <dir>', 'state folder (default .easel)')
    .option('--config <file>', 'config file')
    .option('--json', 'print JSON');
  jobs.action(async (flags: JobsFlags) =>
    withEasel(
      flags.config,
      async (easel) => {
        const list = await easel.jobStore().listJobs();
        if (flags.json) return void console.log(JSON.stringify(list, null, 2));
        if (list.length === 0) return void console.log('no batch jobs yet: start one with `easel batch FILE --out DIR`');
        for (const job of list) {
          const c = job.counts;
          console.log(
            `${job.id}  ${job.status.padEnd(8)} ${`${c.succeeded}/${c.total}`.padStart(11)} done  ${String(c.failed).padStart(4)} failed  $${c.spentUsd.toFixed(4).padStart(9)}  ${job.outDir}`,
          );
        }
      },
      flags.state,
    ),
  );
  const sub = (name: string, description: string, body: (easel: Easel, id: string, flags: JobsFlags) => Promise<void>) =>
    jobs
      .command(name)
      .description(description)
      .argument('<id>', 'job id (see `easel jobs`)')
      .action(async (id: string, _flags: unknown, command: Command) => {
        const flags = command.optsWithGlobals() as JobsFlags;
        await withEasel(
          flags.config,
          async (easel) => {
            if (!(await easel.jobStore().getJob(id))) throw new InvalidRequestError(`no batch job ${id}; \`easel jobs\` lists them`, { field: 'id' });
            return body(easel, id, flags);
          },
          flags.state,
        );
      });

  sub('show', 'show a job, its failed items and those that may have been charged twice', async (easel, id, flags) => {
    const store = easel.jobStore();
    const job = (await store.getJob(id))!;
    const failed = await store.items(id, ['failed', 'skipped']);
    const doubled = (await store.items(id)).filter((i) => i.possibleDuplicates > 0);
    const counts = await store.counts(id);
    if (flags.json)
      return void console.log(
        JSON.stringify(
          {
            ...job,
            counts,
            failed,
            possibleDuplicates: doubled.map(({ line, index, possibleDuplicates, costUsd }) => ({ line, index, possibleDuplicates, costUsd })),
          },
          null,
          2,
        ),
      );
    console.log(`job ${job.id} (${job.status}) from ${job.source} → ${job.outDir}`);
    console.log(
      `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.pending + counts.submitted} left, of ${counts.total}; spent $${counts.spentUsd.toFixed(4)}${job.options.budgetUsd !== undefined ? ` of a $${job.options.budgetUsd} budget` : ''}`,
    );
    for (const item of failed.slice(0, 20)) console.log(`  line ${item.line}: ${item.status}: ${item.error?.message ?? ''}`);
    if (failed.length > 20) console.log(`  … and ${failed.length - 20} more`);
    if (doubled.length > 0) {
      console.log(
        `${doubled.length} items may have been charged twice (a crash cut off a call on a vendor whose jobs cannot be found again; the worst case is counted in the spend):`,
      );
      for (const item of doubled.slice(0, 20))
        console.log(`  line ${item.line}: ${item.possibleDuplicates} call${item.possibleDuplicates === 1 ? '' : 's'} cut off`);
      if (doubled.length > 20) console.log(`  … and ${doubled.length - 20} more`);
    }
    if (job.status !== 'done' && counts.pending + counts.submitted > 0) console.log(`resume with \`easel jobs resume ${id}${stateFlag(flags)}\``);
  });
  sub('resume', 'finish an unfinished job (items already submitted are polled, not paid again)', async (easel, id, flags) => resume(easel, id, flags))
    .addOption(new Option('--budget <usd>', "raise or lower the job's spend cap").argParser(numberFlag('--budget', 0, 1_000_000)))
    .addOption(
      new Option('--grace <seconds>', 'after Ctrl+C, how long calls in flight may finish and be saved')
        .argParser(intFlag('--grace', 0, 3600))
        .default(DEFAULT_GRACE_S),
    );
  sub(
    'cancel',
    'stop a job: a running `easel batch` notices within a second and stops submitting; calls in flight finish and are kept',
    async (easel, id, flags) => {
      await easel.jobStore().setStatus(id, 'canceled');
      console.log(
        `job ${id} canceled. Finished items and vendor jobs already paid for are kept: resume it later with \`easel jobs resume ${id}${stateFlag(flags)}\` (or the same \`easel batch\` command).`,
      );
    },
  );
  sub('retry-failed', 'put failed and skipped items back and run them', async (easel, id, flags) => {
    const count = await easel.jobStore().resetFailed(id);
    console.log(`${count} items back in the queue`);
    if (count > 0) await resume(easel, id, flags);
  });
  return jobs;
}

async function resume(easel: Easel, id: string, flags: JobsFlags): Promise<void> {
  const job = (await easel.jobStore().getJob(id))!;
  let inFlight = 0;
  const interrupts = handleInterrupts(flags.grace ?? DEFAULT_GRACE_S, () => inFlight);
  try {
    const run = await easel.batch([], { outDir: job.outDir, jobId: id, budgetUsd: flags.budget, stop: interrupts.stop, signal: interrupts.signal });
    await followRun(easel, run, {
      what: `${job.source} → ${job.outDir}`,
      json: flags.json === true,
      resumeWith: `easel jobs resume ${id}${stateFlag(flags)}`,
      interrupts,
      onRunning: (n) => (inFlight = n),
    });
  } finally {
    interrupts.dispose();
  }
}

function stateFlag(flags: JobsFlags): string {
  return flags.state ? ` --state ${shellCommand([flags.state])}` : '';
}
