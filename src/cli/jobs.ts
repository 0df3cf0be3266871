/** `easel jobs`: list batch jobs, show one, resume, cancel, retry the failed items. */
import { Command } from 'commander';
import { InvalidRequestError } from '../core/errors.js';
import type { Easel } from '../easel.js';
import { printSummary, showProgress } from './batch.js';
import { withEasel } from './run-command.js';

interface JobsFlags {
  state?: string;
  config?: string;
  json?: boolean;
}

export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('list and manage batch jobs').option('--state <dir>', 'state folder (default .easel)').option('--config <file>', 'config file').option('--json', 'print JSON');
  jobs.action(async (flags: JobsFlags) =>
    withEasel(flags.config, async (easel) => {
      const list = easel.jobStore().listJobs();
      if (flags.json) return void console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return void console.log('no batch jobs yet: start one with `easel batch FILE --out DIR`');
      for (const job of list) {
        const c = job.counts;
        console.log(`${job.id}  ${job.status.padEnd(8)} ${`${c.succeeded}/${c.total}`.padStart(11)} done  ${String(c.failed).padStart(4)} failed  $${c.spentUsd.toFixed(4).padStart(9)}  ${job.outDir}`);
      }
    }, flags.state),
  );
  const sub = (name: string, description: string, body: (easel: Easel, id: string, flags: JobsFlags) => Promise<void>) =>
    jobs
      .command(name)
      .description(description)
      .argument('<id>', 'job id (see `easel jobs`)')
      .action(async (id: string, _flags: unknown, command: Command) => {
        const flags = command.optsWithGlobals() as JobsFlags;
        await withEasel(flags.config, (easel) => {
          if (!easel.jobStore().getJob(id)) throw new InvalidRequestError(`no batch job ${id}; \`easel jobs\` lists them`, { field: 'id' });
          return body(easel, id, flags);
        }, flags.state);
      });

  sub('show', 'show a job and its failed items', async (easel, id, flags) => {
    const store = easel.jobStore();
    const job = store.getJob(id)!;
    const failed = store.items(id, ['failed', 'skipped']);
    if (flags.json) return void console.log(JSON.stringify({ ...job, counts: store.counts(id), failed }, null, 2));
    console.log(`job ${job.id} (${job.status}) from ${job.source} → ${job.outDir}`);
    console.log(JSON.stringify(store.counts(id)));
    for (const item of failed.slice(0, 20)) console.log(`  line ${item.line}: ${item.status}: ${item.error?.message ?? ''}`);
    if (failed.length > 20) console.log(`  … and ${failed.length - 20} more`);
  });
  sub('resume', 'finish an unfinished job (items already submitted are polled, not paid again)', async (easel, id, flags) => resume(easel, id, flags));
  sub('cancel', 'stop a job: a running `easel batch` notices within a second and cancels its vendor jobs', async (easel, id) => {
    easel.jobStore().setStatus(id, 'canceled');
    console.log(`job ${id} canceled`);
  });
  sub('retry-failed', 'put failed and skipped items back and run them', async (easel, id, flags) => {
    const count = easel.jobStore().resetFailed(id);
    console.log(`${count} items back in the queue`);
    if (count > 0) await resume(easel, id, flags);
  });
  return jobs;
}

async function resume(easel: Easel, id: string, flags: JobsFlags): Promise<void> {
  const store = easel.jobStore();
  const job = store.getJob(id)!;
  if (job.status === 'canceled') store.setStatus(id, 'running');
  const run = easel.batch([], { outDir: job.outDir, jobId: id });
  const counts = store.counts(id);
  const stop = showProgress(run.onProgress.bind(run), counts.total, counts.succeeded + counts.failed + counts.skipped);
  const final = await run.done;
  stop();
  printSummary(id, final, flags.json === true);
  if (final.failed > 0) process.exitCode = 1;
}
