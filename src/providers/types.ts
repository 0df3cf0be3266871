/**
 * The contract between the orchestration layer and a vendor adapter.
 *
 * What reaches an adapter is fully specified: every field is present (explicit `undefined` where
 * the user gave nothing and the model has no default), sizes are already resolved against the
 * catalog, images are loaded and checked. The adapter decides, field by field, how to put it on
 * the wire, and reports anything the vendor ignores as a warning.
 */
import type { Transport } from './transport.js';
import type { CatalogModel } from '../catalog/types.js';
import type { LoadedImage } from '../core/image.js';
import type { OutputFormat, ProviderId, Quality, Task } from '../core/task.js';
import type { Warning } from '../core/warnings.js';
import type { VendorUsage } from '../core/result.js';

export type { VendorUsage };

/** How an async vendor job's end is awaited when the vendor can call back (see completion.ts). */
export interface WebhookCompletion {
  /** Where the vendor should deliver (`…/v1/webhooks/replicate`, `…/v1/webhooks/fal`). */
  url: string;
  /** Resolves when a verified delivery for this vendor job arrives (at once if it already has). */
  wait(vendorRequestId: string, signal: AbortSignal): Promise<void>;
}

export interface ProviderCall {
  model: CatalogModel;
  task: Task;
  prompt: string | undefined;
  negativePrompt: string | undefined;
  /** Resolved output size (from the catalog's size list / ratio table), or undefined for `from-input` / `auto`. */
  width: number | undefined;
  height: number | undefined;
  /** Resolved aspect-ratio label for ratio-based models (`16:9`), else undefined. */
  aspectRatio: string | undefined;
  /** Images for this one call; never above `model.maxImagesPerCall`. */
  n: number;
  seed: number | undefined;
  quality: Quality | undefined;
  style: string | undefined;
  outputFormat: OutputFormat;
  image: LoadedImage | undefined;
  mask: LoadedImage | undefined;
  strength: number | undefined;
  scale: number | undefined;
  /** `providerOptions[model.provider]`, or `{}`. */
  providerOptions: Record<string, unknown>;
}

/** Everything an adapter needs from its surroundings; injectable so tests run on a fake clock. */
export interface ProviderRuntime {
  /** Base URL of the vendor API (real or sandbox). Every URL an adapter builds starts from it. */
  baseUrl: string;
  /**
   * Further named base URLs a vendor needs (FAL: `run` for the synchronous host beside the queue
   * host, `platform` for the Platform API that lists requests).
   */
  urls: Readonly<Record<string, string>>;
  /** Reads the key lazily; throws AuthenticationError naming the option and the env variable. */
  apiKey: () => string;
  fetch: typeof fetch;
  /** When set, plain (non-multipart) calls go through it instead of `fetch` (easel's default: undici). */
  transport?: Transport;
  /** Aborts on user abort *and* on the per-attempt timeout. */
  signal: AbortSignal;
  /** Sleeps, rejecting with AbortedError/TimeoutError when `signal` fires. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  /** Interval between status polls (ms). */
  pollIntervalMs: number;
  /**
   * How long to wait before the first status poll (ms): most of the model's typical latency, since
   * asking sooner only loads the vendor. Undefined: poll at `pollIntervalMs` from the start.
   */
  firstPollDelayMs?: number;
  /**
   * When the per-attempt timeout fires, on the `now()` clock (ms), when known. Adapters that hold a
   * synchronous wait (Replicate `Prefer: wait`) keep it shorter, so the vendor's job id comes back
   * (and can be cancelled or resumed) before the deadline.
   */
  deadlineAt?: number;
  /**
   * Called with the vendor's job id as soon as one exists, before any waiting: batch stores persist
   * it so a crash resumes by polling instead of paying twice.
   */
  onSubmitted?: (vendorRequestId: string) => void | Promise<void>;
  /**
   * Called when the vendor has finished computing (its concurrency slot is free again) and only
   * fetching the result remains: the pacer gives the slot to the next call instead of idling it
   * through the download. Synchronous vendors never call it.
   */
  onVendorDone?: () => void;
  /**
   * Webhook completion, when a public URL is configured: adapters of vendors that call back
   * (Replicate, FAL) ask for a delivery to `url` and wait for it instead of polling.
   */
  completion?: WebhookCompletion;
  /**
   * On the attempt's timeout, leave the vendor job running (the next attempt resumes it) rather than
   * cancel it; set by the router while it still has resumes left for this model.
   */
  keepOnTimeout?: boolean;
  /**
   * Transient failures (5xx, 429, a reset connection, a read that timed out) tolerated in a row on
   * one read of a vendor job that exists — a status poll, status stream, result or output download —
   * before the adapter gives up with `jobAlive`. Default 8; 0 gives up on the first failure.
   */
  readRetries?: number;
  /** How long one such read may take before it counts as a transient failure (ms). Default 60000. */
  readTimeoutMs?: number;
  /** Set by easel so adapters can say "sandbox" in warnings; adapters otherwise ignore it. */
  sandbox: boolean;
}

export interface ProviderImage {
  bytes: Uint8Array;
  mediaType: string;
  /** Seed the vendor reports for this image (or the one that was sent), when known. */
  seed?: number;
  revisedPrompt?: string;
}

export interface ProviderResult {
  images: ProviderImage[];
  /** Vendor's id for the request: `x-request-id`, prediction id, FAL request id. */
  requestId: string | undefined;
  usage: VendorUsage;
  warnings: Warning[];
}

/**
 * What a cancel found: `completed` means the vendor had already finished the job (and bills it: the
 * cancel came too late); `canceled` that it stopped; `unknown` when the vendor did not say.
 */
export type CancelOutcome = 'canceled' | 'completed' | 'unknown';

export interface ImageProvider {
  readonly id: ProviderId;
  /** Run one call (≤ maxImagesPerCall images), through the vendor's async flow if it has one. */
  run(call: ProviderCall, runtime: ProviderRuntime): Promise<ProviderResult>;
  /**
   * Async vendors only: pick up a job submitted earlier (its id came through `onSubmitted`) and
   * wait for its result without submitting again.
   */
  resume?(call: ProviderCall, vendorRequestId: string, runtime: ProviderRuntime): Promise<ProviderResult>;
  /**
   * Async vendors that can list their jobs: the id of a job for this call submitted at or after
   * `sinceMs` whose answer never arrived (the process died mid-request), skipping ids in `taken`.
   */
  findSubmitted?(call: ProviderCall, sinceMs: number, taken: ReadonlySet<string>, runtime: ProviderRuntime): Promise<string | undefined>;
  /** Async vendors with a cancel endpoint: stop a job nobody will wait for any more (best effort). */
  cancel?(call: ProviderCall, vendorRequestId: string, runtime: ProviderRuntime): Promise<CancelOutcome>;
}
