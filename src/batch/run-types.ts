/** What a batch run is given (`BatchOptions`) and what it gives back: item results, progress, the run. */
import type { Clock } from '../core/clock.js';
import type { ImageReader } from '../core/image-input.js';
import type { RoutingPolicy } from '../core/policy.js';
import type { PaceLimits } from '../router/pacer.js';
import type { WebhookCompletions } from '../webhooks/completions.js';
import type { WorkloadItem } from './input.js';
import type { BatchRunner, Job, JobCounts, JobStore } from './types.js';

export interface BatchOptions {
  easel: BatchRunner;
  store: JobStore;
  outDir: string;
  /** Where the items came from (a file path), for `easel jobs`. */
  source?: string;
  /** Items of a new job; not needed to resume. */
  items?: readonly WorkloadItem[];
  /** Resume this job instead of the output folder's unfinished one. */
  jobId?: string;
  /**
   * The id of the job this run starts, when it starts one (default: a fresh one). Lets a caller tie
   * something durable to the job before it exists (the gateway ties the key's hold to it).
   */
  newJobId?: string;
  model?: string;
  budgetUsd?: number;
  /** Most items in flight at once, over all vendors. Default 64. */
  concurrency?: number;
  allowUnpriced?: boolean;
  policy?: RoutingPolicy;
  /** Per-vendor pacing; default the catalog's (the guide's table). */
  limits?: Record<string, PaceLimits | undefined>;
  /**
   * Webhook completion (Replicate, FAL): the vendor calls `<publicUrl>/v1/webhooks/<vendor>` when a
   * job ends, and the item stops polling (a slow safety-net poll stays). Deliveries are verified.
   * Without `completions` a receiver is started in this process on `port` (default: any free port,
   * and then `publicUrl` defaults to its loopback address, which only a local sandbox can reach);
   * it records deliveries against replays in the SQLite file `replayPath` (default: in memory).
   */
  webhooks?: { publicUrl?: string; port?: number; host?: string; completions?: WebhookCompletions; replayPath?: string };
  /** Aborts everything at once: calls in flight are cut off (their items resume next run). */
  signal?: AbortSignal;
  /**
   * Stops submitting: no new vendor call starts, calls in flight finish and are stored (the caller
   * aborts `signal` after a grace period). Items not yet at a vendor stay pending for the next run.
   */
  stop?: AbortSignal;
  /** Start a new job even though the folder's unfinished job came from other items. */
  newJob?: boolean;
  /** Writes an image file (tests inject a full disk here). Default: temp file + rename. */
  writeFile?: (path: string, bytes: Uint8Array) => Promise<string>;
  /**
   * How items' `image` and `mask` given as text become bytes (see RunHooks.readImage). Default: paths
   * are read and URLs fetched. Not stored with the job: whoever resumes it passes it again.
   */
  readImage?: ImageReader;
  /** The clock the pacer and the items' waits run on (default the real one; `easel.batch` passes the easel's). */
  clock?: Clock;
}

export interface BatchItemResult {
  index: number;
  line: number;
  status: 'succeeded' | 'failed' | 'skipped';
  model?: string;
  files: string[];
  costUsd: number;
  error?: { code: string; message: string };
}

export interface BatchProgress extends JobCounts {
  running: number;
  /** Milliseconds left at the current pace; undefined until an item finishes. */
  etaMs: number | undefined;
  rateLimited: number;
  /**
   * Why the run paused before every item had an outcome (the output folder cannot be written, a vendor
   * job could not be reached); the items it concerns are kept and resume next run without a new charge.
   */
  paused?: string;
  /** The run was stopped (`stop`, `signal` or `easel jobs cancel`) before every item had an outcome. */
  interrupted: boolean;
}

export interface BatchRun extends AsyncIterable<BatchItemResult> {
  job: Job;
  /** True when this run picked up a job started earlier. */
  resumed: boolean;
  /** Items of a new job whose images an earlier job in the folder had already bought (same request). */
  reused: number;
  /** A resumed job given another budget: the cap it had and the one it has now. */
  budgetChange?: { from: number | undefined; to: number };
  onProgress(fn: (progress: BatchProgress) => void): () => void;
  /** Resolves with the final counts once every item has an outcome (or the run was cancelled). */
  done: Promise<BatchProgress>;
}
