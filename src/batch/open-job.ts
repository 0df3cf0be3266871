/**
 * Which job a batch run works on. Running the same command again resumes the folder's unfinished job
 * (also a canceled one); a workload that changed under an unfinished job is an error that names the
 * two ways on, never a silent new job; and a new job takes the images of items that were already
 * done in the folder with the same request instead of buying them again.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { sha256 } from '../cache/fingerprint.js';
import { InvalidRequestError } from '../core/errors.js';
import type { ImageRequest } from '../core/request.js';
import type { WorkloadItem } from './input.js';
import { outputName } from './manifest.js';
import type { Item, Job, JobOptions, JobStore } from './types.js';

export interface JobChoice {
  store: JobStore;
  source?: string;
  items?: readonly WorkloadItem[];
  jobId?: string;
  /** The id of the job this run starts, when it starts one (default: a fresh one, see `newJobId`). */
  newJobId?: string;
  /** Start a new job even though the folder's unfinished one came from other items. */
  newJob?: boolean;
  model?: string;
  budgetUsd?: number;
  concurrency?: number;
  allowUnpriced?: boolean;
  policy?: unknown;
}

export interface OpenedJob {
  job: Job;
  /** True when this run picked up a job started earlier. */
  resumed: boolean;
  /** Items of a new job taken from earlier jobs in the folder (same request, files still there). */
  reused: number;
  /** A resumed job given another budget: the cap it had and the one it has now. */
  budgetChange?: { from: number | undefined; to: number };
}

export async function openJob(choice: JobChoice, outDir: string): Promise<OpenedJob> {
  const { store } = choice;
  if (choice.jobId) {
    const job = await store.getJob(choice.jobId);
    if (!job) throw new InvalidRequestError(`no batch job ${choice.jobId}; \`easel jobs\` lists them`, { field: 'job' });
    return resumeJob(store, job, choice);
  }
  const unfinished = await store.findUnfinished(outDir);
  if (unfinished && !(choice.newJob && choice.items)) {
    // Run again without --model, the job keeps the model it was started with.
    const known = unfinished.options.itemsHash;
    if (choice.items && known && known !== workloadHash(choice.items, choice.model ?? unfinished.options.model))
      throw await workloadChanged(store, unfinished, choice);
    return resumeJob(store, unfinished, choice);
  }
  const itemsHash = choice.items ? workloadHash(choice.items, choice.model) : undefined;
  if (!choice.items) throw new InvalidRequestError(`no unfinished job for ${outDir} and no items to start one`, { field: 'items' });
  // The same workload into the same folder again: that job is finished, there is nothing to pay for.
  const latest = await store.findLatest(outDir);
  if (!choice.newJob && latest?.status === 'done' && latest.options.itemsHash === workloadHash(choice.items, choice.model ?? latest.options.model))
    return resumeJob(store, latest, choice);
  if (unfinished) await store.setStatus(unfinished.id, 'replaced');
  const job = await store.createJob(
    {
      id: choice.newJobId ?? newJobId(),
      outDir,
      source: choice.source ?? 'library',
      options: {
        model: choice.model,
        budgetUsd: choice.budgetUsd,
        concurrency: choice.concurrency,
        allowUnpriced: choice.allowUnpriced,
        policy: choice.policy,
        itemsHash,
      },
    },
    choice.items.map((i) => ({ line: i.line, request: i.request })),
  );
  return { job, resumed: false, reused: await reuseFinished(store, job, outDir) };
}

/** A fresh job id: `job_` and the time, with a few random letters so two jobs started at once differ. */
export function newJobId(): string {
  return `job_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** sha256 of a workload's lines and requests, and the model every item runs on. */
export function workloadHash(items: readonly WorkloadItem[], model: string | undefined): string {
  return sha256(JSON.stringify([items.map((i) => [i.line, i.request]), model ?? null]));
}

async function resumeJob(store: JobStore, job: Job, choice: JobChoice): Promise<OpenedJob> {
  if (job.status === 'canceled') await store.setStatus(job.id, 'running');
  let budgetChange: OpenedJob['budgetChange'];
  if (choice.budgetUsd !== undefined && choice.budgetUsd !== job.options.budgetUsd) {
    budgetChange = { from: job.options.budgetUsd, to: choice.budgetUsd };
    const options: JobOptions = { ...job.options, budgetUsd: choice.budgetUsd };
    await store.setOptions(job.id, options);
    // More money: the items the old cap skipped get their chance (also on a job that had ended).
    if (budgetChange.from !== undefined && budgetChange.to > budgetChange.from) await store.resetSkipped(job.id);
    job = { ...job, options };
  }
  return { job: (await store.getJob(job.id)) ?? job, resumed: true, reused: 0, budgetChange };
}

async function workloadChanged(store: JobStore, job: Job, choice: JobChoice): Promise<InvalidRequestError> {
  const counts = await store.counts(job.id);
  const what = choice.model !== undefined && job.options.model !== choice.model ? `the items or --model changed` : 'the items changed';
  return new InvalidRequestError(
    `${job.outDir} has an unfinished job ${job.id} (${counts.succeeded}/${counts.total} done) from ${job.source}, and ${what} since it started. ` +
      `Either finish the old job as it was: \`easel jobs resume ${job.id}\`, ` +
      `or start a new job from the items as they are now: run the same command with --new (items already done in this folder with the same request are kept, not bought again).`,
    { field: 'items' },
  );
}

/** What makes two items the same purchase: the request, on the model it runs on. */
function requestFingerprint(request: ImageRequest, jobModel: string | undefined): string {
  return sha256(JSON.stringify({ ...request, model: request.model ?? jobModel ?? 'auto' }));
}

/**
 * Gives a new job's items the images an earlier job in the folder already bought for the same request
 * (files still present): copied to the new item's file name, booked at no cost.
 */
async function reuseFinished(store: JobStore, job: Job, outDir: string): Promise<number> {
  const earlier = new Map<string, Item>();
  const jobs = new Map<string, Job | undefined>();
  for (const item of await store.succeededIn(outDir)) {
    if (item.jobId === job.id || !item.output) continue;
    if (!jobs.has(item.jobId)) jobs.set(item.jobId, await store.getJob(item.jobId));
    const key = requestFingerprint(item.request, jobs.get(item.jobId)?.options.model);
    if (!earlier.has(key) && item.output.files.every((f) => existsSync(join(outDir, f)))) earlier.set(key, item);
  }
  if (earlier.size === 0) return 0;
  const items = await store.items(job.id);
  const lineWidth = String(Math.max(...items.map((i) => i.line), 1)).length;
  let reused = 0;
  for (const item of items) {
    const found = earlier.get(requestFingerprint(item.request, job.options.model));
    if (!found?.output) continue;
    const count = found.output.files.length;
    const files = found.output.files.map((file, k) => {
      const name = item.request.task === 'upscale' ? file : outputName(item.line, lineWidth, item.request.prompt, k, count, extname(file).slice(1));
      if (name !== file) copyFileSync(join(outDir, file), join(outDir, name));
      return name;
    });
    await store.succeed(job.id, item.index, { ...found.output, files, costUsd: 0, cached: true }, 0);
    reused++;
  }
  return reused;
}
