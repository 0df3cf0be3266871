/** Batch jobs and items, as every job store keeps them. */
import type { VendorEndpoint } from '../config/endpoints.js';
import type { ImageRequest } from '../core/request.js';
import type { ImageResult } from '../core/result.js';
import type { RemoteProviderId } from '../providers/registry.js';
import type { RunHooks } from '../router/hooks.js';
import type { RoutePlan } from '../router/plan.js';

/** `replaced`: the folder's workload changed and a new job took over (`--new`); it is never resumed by folder. */
export type JobStatus = 'running' | 'done' | 'canceled' | 'replaced';
/** pending → submitted (vendor id stored before waiting) → succeeded | failed | skipped (budget). */
export type ItemStatus = 'pending' | 'submitted' | 'succeeded' | 'failed' | 'skipped';

export interface JobOptions {
  model?: string;
  budgetUsd?: number;
  concurrency?: number;
  /** Allow items whose price is unknown to run under a budget. */
  allowUnpriced?: boolean;
  policy?: unknown;
  /** sha256 of the items: a finished job re-run with the same items is already done. */
  itemsHash?: string;
}

export interface Job {
  id: string;
  /** Absolute output folder; one unfinished job per folder. */
  outDir: string;
  /** The workload file the job came from. */
  source: string;
  options: JobOptions;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
}

/** One vendor job started for an item (one per call when `n` was split). */
export interface Submission {
  call: number;
  model: string;
  vendorRequestId: string;
}

export interface ItemOutput {
  files: string[];
  model: string;
  seeds: (number | undefined)[];
  sha256: string[];
  costUsd: number | null;
  latencyMs: number;
  requestIds: string[];
  cached: boolean;
}

export interface Item {
  jobId: string;
  index: number;
  /** Line (or record) in the workload file. */
  line: number;
  request: ImageRequest;
  status: ItemStatus;
  /** Model the item is committed to once a vendor job exists (resume must use the same one). */
  model?: string;
  submissions: Submission[];
  output?: ItemOutput;
  error?: { code: string; message: string };
  /** USD charged for this item so far (failed attempts included). */
  costUsd: number;
  /** Write-ahead: a vendor call was being submitted on `model` at `at` (ms); its answer may never have arrived. */
  intent?: { model: string; at: number };
  /**
   * Calls a crash cut off on a vendor whose jobs cannot be found again (a synchronous API): each may
   * have been charged without its images arriving, so the item may have been paid for more than once.
   * Their worst-case cost is in `costUsd`.
   */
  possibleDuplicates: number;
  /** Images received but not yet written (the output folder could not be written): kept in the store. */
  parked: boolean;
  updatedAt: string;
}

export interface JobCounts {
  pending: number;
  submitted: number;
  succeeded: number;
  failed: number;
  skipped: number;
  total: number;
  spentUsd: number;
  /** Items that may have been charged more than once (see Item.possibleDuplicates). */
  possibleDuplicates: number;
}

/**
 * Where jobs live. SQLite is the embedded default; a networked store (Redis, Postgres) lets many
 * workers share one queue, which is why every method returns a Promise. A write is durable when its
 * Promise resolves: the engine awaits `markSubmitting` before a request leaves and `addSubmission`
 * before anything waits on the vendor job. Each method is one atomic change (concurrent calls on the
 * same item never lose one another's writes); test/batch/job-store-cases.ts is the contract every
 * implementation passes.
 */
export interface JobStore {
  createJob(job: Omit<Job, 'createdAt' | 'updatedAt' | 'status'>, items: { line: number; request: ImageRequest }[]): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  /** The newest job for an output folder that is not done (running, or canceled and not replaced), if any. */
  findUnfinished(outDir: string): Promise<Job | undefined>;
  /** Succeeded items of every job for an output folder, newest first (reused when a new job asks the same). */
  succeededIn(outDir: string): Promise<Item[]>;
  item(jobId: string, index: number): Promise<Item | undefined>;
  setOptions(jobId: string, options: JobOptions): Promise<void>;
  /** The newest job for an output folder, whatever its status. */
  findLatest(outDir: string): Promise<Job | undefined>;
  listJobs(): Promise<(Job & { counts: JobCounts })[]>;
  counts(jobId: string): Promise<JobCounts>;
  items(jobId: string, statuses?: readonly ItemStatus[]): Promise<Item[]>;
  /** Records that a call is about to be submitted (before the request leaves). */
  markSubmitting(jobId: string, index: number, model: string, at: number): Promise<void>;
  /** Stores a vendor job id before anything waits on it. */
  addSubmission(jobId: string, index: number, submission: Submission): Promise<void>;
  succeed(jobId: string, index: number, output: ItemOutput, costUsd: number): Promise<void>;
  fail(jobId: string, index: number, error: { code: string; message: string }, costUsd: number): Promise<void>;
  /** Skipped for budget, after attempts that cost `costUsd`. */
  skip(jobId: string, index: number, reason: string, costUsd?: number): Promise<void>;
  /** Books what an interrupted item's attempts cost (it stays where it was). */
  addCost(jobId: string, index: number, costUsd: number): Promise<void>;
  /** The vendor reported this job failed, canceled or expired: it is not resumed again. */
  dropSubmission(jobId: string, index: number, vendorRequestId: string): Promise<void>;
  /** The call in flight (the write-ahead intent) was answered with a refusal the vendor does not charge. */
  clearIntent(jobId: string, index: number): Promise<void>;
  /** A crash cut off a call that cannot be found again: count it as possibly paid, at `worstUsd`. */
  markPossibleDuplicate(jobId: string, index: number, worstUsd: number): Promise<void>;
  /** Keeps received images in the store when the output folder cannot be written (charged `costUsd`). */
  park(jobId: string, index: number, output: ItemOutput, images: Uint8Array[], costUsd: number): Promise<void>;
  parkedImages(jobId: string, index: number): Promise<Uint8Array[]>;
  /** Writes an item's parked images' outcome: succeeded, the images dropped from the store. */
  unpark(jobId: string, index: number, output: ItemOutput): Promise<void>;
  /** Items skipped for budget go back to pending (the cap was raised); the job runs again. */
  resetSkipped(jobId: string): Promise<number>;
  /** Failed and skipped items go back to pending (`retry-failed`). */
  resetFailed(jobId: string): Promise<number>;
  setStatus(jobId: string, status: JobStatus): Promise<void>;
  close(): Promise<void>;
}

/**
 * The part of easel a batch runs on: one request at a time (with the durability hooks), its route
 * (for dry runs and for pricing calls a crash cut off), and where each vendor's calls go (for the
 * webhook receiver). Narrow on purpose: the batch engine never sees the rest of `createEasel`.
 */
export interface BatchRunner {
  run(request: ImageRequest, hooks?: RunHooks): Promise<ImageResult>;
  route(request: ImageRequest, hooks?: Pick<RunHooks, 'readImage'>): Promise<RoutePlan>;
  endpoint(provider: RemoteProviderId): Promise<VendorEndpoint>;
}
