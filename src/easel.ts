/**
 * The library's front door: `createEasel()` returns one typed API over every vendor.
 *
 * Each call reads top to bottom: validate the request → load input images → plan the route
 * (one named model, or the router's ranked candidates) → run it with retries, breakers, fallback
 * and optional hedging → result with images, cost, latency, attempts, warnings and the decision.
 */
import { join } from 'node:path';
import { CATALOG } from './catalog/index.js';
import { PROVIDER_LIMITS } from './catalog/limits.js';
import { applyOverrides } from './catalog/overrides.js';
import { cacheKey, isCacheable } from './cache/fingerprint.js';
import { ResultCache } from './cache/store.js';
import type { EaselConfig } from './config/schema.js';
import { configuredEndpoint, sandboxEndpoint, type VendorEndpoint } from './config/endpoints.js';
import { loadConfigFile, parseConfig } from './config/load.js';
import { type Clock, realClock } from './core/clock.js';
import { InvalidRequestError } from './core/errors.js';
import type { LoadedImage } from './core/image.js';
import { type ImageReader, type LoadOptions, loadImage } from './core/image-input.js';
import { type ImageRequest, ImageRequestSchema } from './core/request.js';
import type { ParsedRequest } from './core/request.js';
import type { ImageResult } from './core/result.js';
import type { Task } from './core/task.js';
import { undiciTransport } from './providers/transport.js';
import { type RemoteProviderId, VENDOR_KEY_ENV } from './providers/registry.js';
import { type RoutePlan, planRoute } from './router/plan.js';
import { type ParsedPolicy, RoutingPolicySchema } from './core/policy.js';
import { ProviderHealth } from './router/resilience.js';
import { costOfAttempts } from './router/reservation.js';

export type { AttemptReservation, Reservation, ReserveHook } from './router/reservation.js';
import { paceLimits, processPacer } from './router/pacing.js';
import { pollingFor } from './router/polling.js';
import { runRequest } from './router/run-request.js';
import type { RunHooks } from './router/hooks.js';
import { type DefaultSandboxKind, defaultSandbox } from './sandbox/default.js';
import { startBatch } from './batch/engine.js';
import type { BatchOptions, BatchRun } from './batch/run-types.js';
import { SqliteJobStore } from './batch/sqlite-store.js';
import type { JobStore } from './batch/types.js';

export interface EaselOptions {
  /** Configuration (same shape as easel.config.json); merged over `configFile`. */
  config?: EaselConfig;
  /** Path of a JSON config file; default $EASEL_CONFIG, else ./easel.config.json when present. */
  configFile?: string;
  /** Lowest-precedence settings (the CLI sets `stateDir: '.easel'` here). */
  defaults?: EaselConfig;
  /** Environment to read keys from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Injected fetch for every vendor call. */
  fetch?: typeof fetch;
  /** Where one-line notices go (default stderr), e.g. "using the built-in sandbox". */
  onNotice?: (line: string) => void;
  /** Breakers and backoff (tests inject a fake sleep here). */
  health?: ProviderHealth;
  /** Multiplies catalog latencies when timing hedges (set to the sandbox time scale). */
  latencyScale?: number;
  /** Today, for models' shutdown dates (tests fix it; default the clock's `now`). */
  now?: () => number;
  /**
   * The clock every deadline, hedge timer, backoff, pacer wait, poll and batch wait runs on (default
   * the real one). Tests pass a clock they advance themselves.
   */
  clock?: Clock;
  /**
   * Where calls go for a vendor with no key and no sandbox URL: a sandbox in this process (default),
   * or one in the background under `stateDir` whose vendor jobs and ledger outlive this process (the CLI's).
   */
  sandbox?: DefaultSandboxKind;
}

/** Task-specific request types: the method fixes the task. */
export type GenerateRequest = Omit<ImageRequest, 'task' | 'image' | 'mask' | 'strength' | 'scale'>;
export type EditRequest = Omit<ImageRequest, 'task' | 'scale'> & Required<Pick<ImageRequest, 'image' | 'prompt'>>;
export type ImageToImageRequest = Omit<ImageRequest, 'task' | 'mask' | 'scale'> & Required<Pick<ImageRequest, 'image' | 'prompt'>>;
export type UpscaleRequest = Omit<ImageRequest, 'task' | 'mask' | 'strength' | 'size' | 'aspectRatio'> & Required<Pick<ImageRequest, 'image'>>;
export type VariationRequest = Omit<ImageRequest, 'task' | 'mask' | 'strength' | 'scale' | 'prompt'> & Required<Pick<ImageRequest, 'image'>>;

export type { RunHooks };

export interface Easel {
  generate(request: GenerateRequest): Promise<ImageResult>;
  edit(request: EditRequest): Promise<ImageResult>;
  imageToImage(request: ImageToImageRequest): Promise<ImageResult>;
  upscale(request: UpscaleRequest): Promise<ImageResult>;
  variation(request: VariationRequest): Promise<ImageResult>;
  /** Any task, as a plain request (`task` defaults to generate); `hooks` are for durable batch items. */
  run(request: ImageRequest, hooks?: RunHooks): Promise<ImageResult>;
  /**
   * Runs many requests as one durable job (resumable after a crash, paced per vendor, budgeted).
   * Resolves once the job is open (the job store is asynchronous); iterate the run for item results,
   * `onProgress` for counts, cost and ETA.
   */
  batch(
    items: readonly (ImageRequest | { line: number; request: ImageRequest })[],
    options: Omit<BatchOptions, 'easel' | 'store' | 'items' | 'clock'> & { store?: JobStore },
  ): Promise<BatchRun>;
  /** The embedded job store under the state folder (`stateDir`, default `.easel`). */
  jobStore(): JobStore;
  /** The routing decision for a request, without running it (input images are loaded with `hooks.readImage`). */
  route(request: ImageRequest, hooks?: Pick<RunHooks, 'readImage'>): Promise<RoutePlan>;
  /** Where a vendor's calls go now (starts the in-process sandbox if that vendor has no key). */
  endpoint(provider: RemoteProviderId): Promise<VendorEndpoint>;
  readonly health: ProviderHealth;
  /**
   * Waits for a slot with `provider` from the process's pacer (the one every call without a
   * `hooks.acquire` goes through); returns the release. For calls made outside `run` (the gateway's forwarding).
   */
  acquire(provider: string, signal?: AbortSignal): Promise<() => void>;
  /** The per-attempt timeout (config `timeoutMs`, default 120 s); a request's own `timeoutMs` wins. */
  readonly timeoutMs: number;
  /** Stops the in-process sandbox, if one was started (a background sandbox keeps running). */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const REMOTE: readonly RemoteProviderId[] = ['openai', 'stability', 'replicate', 'fal'];

export function createEasel(options: EaselOptions = {}): Easel {
  const env = options.env ?? process.env;
  const config: EaselConfig = { ...parseConfig(options.defaults ?? {}), ...loadConfigFile(options.configFile, env), ...parseConfig(options.config ?? {}) };
  const notice = options.onNotice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sandbox = defaultSandbox(options.sandbox ?? 'in-process', { stateDir: config.stateDir ?? '.easel', ...config.sandbox });
  const clock = options.clock ?? realClock;
  const health = options.health ?? new ProviderHealth({ ...config.resilience, clock });
  const announced = new Set<RemoteProviderId>();
  const catalog = applyOverrides(CATALOG, config.catalog);
  // With at least one vendor configured, auto routing stays among configured vendors: a user with a
  // real key must never get placeholders from a sandbox for another vendor. With none, all go to the sandbox.
  const configured = REMOTE.filter((p) => configuredEndpoint(p, config, env) !== undefined);

  async function endpoint(provider: RemoteProviderId): Promise<VendorEndpoint> {
    const found = configuredEndpoint(provider, config, env);
    if (found) return found;
    const running = await sandbox.get();
    if (!announced.has(provider)) {
      const note = announced.size === 0 && running.note ? ` ${running.note}` : '';
      announced.add(provider);
      notice(`easel: no ${VENDOR_KEY_ENV[provider]} set, so ${provider} calls go to the built-in sandbox at ${running.url} (images are placeholders).${note}`);
    }
    return sandboxEndpoint(provider, running.url);
  }

  let cache: ResultCache | undefined;
  let jobs: JobStore | undefined;
  const jobStore = () => (jobs ??= new SqliteJobStore(join(config.stateDir ?? '.easel', 'jobs.db')));
  const resultCache = () => (config.stateDir ? (cache ??= new ResultCache(join(config.stateDir, 'cache'))) : undefined);
  // Part of every cache key: where each vendor's calls go, so sandbox placeholders never answer for a real vendor.
  const backends = REMOTE.map((p) => `${p}=${configuredEndpoint(p, config, env)?.baseUrl ?? 'in-process-sandbox'}`).join(',');

  // Most requests carry no policy of their own: the configured one is parsed once, not per request.
  // (Frozen: every request shares it.)
  let configuredPolicy: ParsedPolicy | undefined;
  const policyFor = (own: ParsedRequest['policy']): ParsedPolicy =>
    own === undefined
      ? (configuredPolicy ??= Object.freeze(RoutingPolicySchema.parse({ ...config.policy })))
      : RoutingPolicySchema.parse({ ...config.policy, ...own });

  async function prepare(request: ImageRequest, readImage: ImageReader | undefined) {
    const parsed = parseRequest(request);
    const task: Task = parsed.task ?? 'generate';
    const policy = policyFor(parsed.policy);
    const inputs = await loadInputs(parsed, { fetch: options.fetch, signal: request.signal, read: readImage });
    return { parsed, task, policy, inputs };
  }

  function plan({ parsed, task, policy, inputs }: Awaited<ReturnType<typeof prepare>>): RoutePlan {
    return planRoute({
      request: parsed,
      task,
      model: parsed.model ?? config.defaultModel,
      policy,
      inputs,
      isOpen: (provider) => health.isOpen(provider),
      catalog,
      now: (options.now ?? clock.now)(),
      // Custom hosts and the sandbox may still serve a retired model someone names; the vendor does not.
      servesRetired: (provider) => provider !== 'local' && configuredEndpoint(provider as RemoteProviderId, config, env)?.target !== 'vendor',
      unavailable: (provider) =>
        provider !== 'local' && configured.length > 0 && !configured.includes(provider as RemoteProviderId)
          ? `no ${VENDOR_KEY_ENV[provider as RemoteProviderId]} set (auto routing uses only configured vendors)`
          : undefined,
    });
  }

  const latencyScale = options.latencyScale ?? 1;
  // An injected fetch carries every vendor call (tests, custom runtimes); otherwise undici's request.
  const vendorHttp = options.fetch ? { fetch: options.fetch } : { fetch: globalThis.fetch, transport: undiciTransport };

  // One pacer per process for each vendor (the vendor's limits are the account's, whoever calls):
  // split calls and concurrent requests queue for the same slots, as a batch's items do.
  const pacer = () => processPacer(paceLimits({ ...PROVIDER_LIMITS, ...config.limits }, latencyScale), clock);

  async function run(request: ImageRequest, hooks: RunHooks = {}): Promise<ImageResult> {
    // A resumed item must finish on the model its vendor jobs belong to.
    const prepared = await prepare(hooks.resume ? { ...request, model: hooks.resume.model } : request, hooks.readImage);
    const { parsed, policy } = prepared;
    const store = isCacheable(parsed) ? resultCache() : undefined;
    const key = store ? `${cacheKey(parsed, prepared.task, prepared.inputs)}:${backends}` : undefined;
    const hit = key ? store!.get(key) : undefined;
    if (hit) return hit;
    const routed = plan(prepared);
    const outcome = await runRequest(routed.ranked, {
      policy,
      health,
      signal: request.signal,
      latencyScale: options.latencyScale,
      endpoint,
      http: vendorHttp,
      timeoutMs: parsed.timeoutMs ?? config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      polling: (model) => pollingFor(model.latency.p50Ms * latencyScale, config.pollIntervalMs, latencyScale),
      hooks,
      pacer,
      clock,
    });
    const result: ImageResult = {
      ...outcome.result,
      route: {
        objective: routed.objective,
        requirements: routed.requirements,
        candidates: routed.candidates,
        chosen: outcome.result.model,
        tried: outcome.tried,
        cancelled: outcome.cancelled,
        totalCostUsd: costOfAttempts(outcome.attempts),
      },
    };
    // The images are paid for: a cache that cannot take them (disk full, index locked) costs a later
    // cache hit, never this result.
    if (key)
      await store!
        .put(key, result)
        .catch((error: unknown) => notice(`easel: the result cache could not store this result: ${error instanceof Error ? error.message : String(error)}`));
    return result;
  }

  const withTask = (task: Task) => (request: Omit<ImageRequest, 'task'>) => run({ ...request, task });

  const api: Easel = {
    generate: withTask('generate'),
    edit: withTask('edit'),
    imageToImage: withTask('image-to-image'),
    upscale: withTask('upscale'),
    variation: withTask('variation'),
    run,
    route: async (request, hooks) => plan(await prepare(request, hooks?.readImage)),
    async batch(items, batchOptions) {
      const workload = items.map((item, i) => ('request' in item && 'line' in item ? item : { line: i + 1, request: item as ImageRequest }));
      const limits = batchOptions.limits ?? { ...PROVIDER_LIMITS, ...config.limits };
      return startBatch({ ...batchOptions, limits, clock, easel: api, store: batchOptions.store ?? jobStore(), items: workload });
    },
    jobStore,
    endpoint,
    health,
    acquire: (provider, signal) => pacer().acquire(provider, signal),
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    close: async () => {
      cache?.close();
      cache = undefined;
      const closing = jobs;
      jobs = undefined;
      await closing?.close();
      await sandbox.close();
    },
  };
  return api;
}

export function parseRequest(request: ImageRequest): ParsedRequest {
  const { signal: _signal, ...fields } = request;
  const parsed = ImageRequestSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(request)';
    const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
    throw new InvalidRequestError(`invalid request: ${field}: ${message}`, { field });
  }
  return parsed.data;
}

const NO_INPUTS = { image: undefined, mask: undefined } as const;

async function loadInputs(request: ParsedRequest, how: Omit<LoadOptions, 'field'>): Promise<{ image: LoadedImage | undefined; mask: LoadedImage | undefined }> {
  if (request.image === undefined && request.mask === undefined) return NO_INPUTS;
  const [image, mask] = await Promise.all([
    request.image === undefined ? undefined : loadImage(request.image, { ...how, field: 'image' }),
    request.mask === undefined ? undefined : loadImage(request.mask, { ...how, field: 'mask' }),
  ]);
  return { image, mask };
}
