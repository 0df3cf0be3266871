/**
 * The library's front door: `createEasel()` returns one typed API over every vendor.
 *
 * Each call reads top to bottom: validate the request → find the model → load input images →
 * resolve fields against the catalog (split `n`) → pick the endpoint (vendor, or sandbox when no
 * key) → run → result with images, cost, latency, attempts and warnings.
 */
import { lookupModel } from './catalog/index.js';
import type { CatalogModel } from './catalog/types.js';
import { configuredEndpoint, sandboxEndpoint, type VendorEndpoint } from './config/endpoints.js';
import { loadConfigFile, parseConfig } from './config/load.js';
import type { EaselConfig } from './config/schema.js';
import { InvalidRequestError } from './core/errors.js';
import type { LoadedImage } from './core/image.js';
import { loadImage } from './core/image-input.js';
import { type ImageRequest, ImageRequestSchema } from './core/request.js';
import { type ParsedRequest, resolveCalls } from './core/resolve.js';
import type { ImageResult } from './core/result.js';
import type { Task } from './core/task.js';
import { VENDOR_KEY_ENV, type RemoteProviderId } from './providers/registry.js';
import { executeModel } from './router/execute.js';
import { InProcessSandbox } from './sandbox/in-process.js';

export interface EaselOptions {
  /** Configuration (same shape as easel.config.json); merged over `configFile`. */
  config?: EaselConfig;
  /** Path of a JSON config file; default $EASEL_CONFIG, else ./easel.config.json when present. */
  configFile?: string;
  /** Environment to read keys from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Injected fetch for every vendor call. */
  fetch?: typeof fetch;
  /** Where one-line notices go (default stderr), e.g. "using the built-in sandbox". */
  onNotice?: (line: string) => void;
}

/** Task-specific request types: the method fixes the task. */
export type GenerateRequest = Omit<ImageRequest, 'task' | 'image' | 'mask' | 'strength' | 'scale'>;
export type EditRequest = Omit<ImageRequest, 'task' | 'scale'> & Required<Pick<ImageRequest, 'image' | 'prompt'>>;
export type ImageToImageRequest = Omit<ImageRequest, 'task' | 'mask' | 'scale'> & Required<Pick<ImageRequest, 'image' | 'prompt'>>;
export type UpscaleRequest = Omit<ImageRequest, 'task' | 'mask' | 'strength' | 'size' | 'aspectRatio'> & Required<Pick<ImageRequest, 'image'>>;
export type VariationRequest = Omit<ImageRequest, 'task' | 'mask' | 'strength' | 'scale' | 'prompt'> & Required<Pick<ImageRequest, 'image'>>;

export interface Easel {
  generate(request: GenerateRequest): Promise<ImageResult>;
  edit(request: EditRequest): Promise<ImageResult>;
  imageToImage(request: ImageToImageRequest): Promise<ImageResult>;
  upscale(request: UpscaleRequest): Promise<ImageResult>;
  variation(request: VariationRequest): Promise<ImageResult>;
  /** Any task, as a plain request (`task` defaults to generate). */
  run(request: ImageRequest): Promise<ImageResult>;
  /** Where a vendor's calls go now (starts the in-process sandbox if that vendor has no key). */
  endpoint(provider: RemoteProviderId): Promise<VendorEndpoint>;
  /** Stops the in-process sandbox, if one was started. */
  close(): Promise<void>;
}

/** The model used when a request names none, per task. */
export const DEFAULT_MODELS: Record<Task, string> = {
  generate: 'openai/gpt-image-1',
  edit: 'openai/gpt-image-1',
  'image-to-image': 'stability/sd3.5-large',
  upscale: 'stability/upscale-fast',
  variation: 'openai/dall-e-2',
};

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_INTERVAL_MS = 1_000;

export function createEasel(options: EaselOptions = {}): Easel {
  const env = options.env ?? process.env;
  const config: EaselConfig = { ...loadConfigFile(options.configFile, env), ...parseConfig(options.config ?? {}) };
  const notice = options.onNotice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sandbox = new InProcessSandbox(config.sandbox?.timeScale);
  const announced = new Set<RemoteProviderId>();

  async function endpoint(provider: RemoteProviderId): Promise<VendorEndpoint> {
    const configured = configuredEndpoint(provider, config, env);
    if (configured) return configured;
    const running = await sandbox.get();
    if (!announced.has(provider)) {
      announced.add(provider);
      notice(`easel: no ${VENDOR_KEY_ENV[provider]} set, so ${provider} calls go to the built-in sandbox at ${running.url} (images are placeholders).`);
    }
    return sandboxEndpoint(provider, running.url);
  }

  async function run(request: ImageRequest): Promise<ImageResult> {
    const parsed = parseRequest(request);
    const task = parsed.task ?? 'generate';
    const model = findModelOrThrow(parsed.model ?? config.defaultModel ?? DEFAULT_MODELS[task]);
    if (model.provider === 'local') throw new InvalidRequestError(`${model.id} runs through \`easel upscale\` and the batch pipeline`, { field: 'model' });
    const inputs = await loadInputs(parsed, options.fetch, request.signal);
    const { calls, warnings } = resolveCalls(parsed, task, model, inputs);
    const target = await endpoint(model.provider as RemoteProviderId);
    if (target.target === 'sandbox') {
      warnings.push({ kind: 'sandbox', model: model.id, message: 'generated by the easel sandbox: the images are placeholders, and the cost is what the vendor would have charged' });
    }
    return executeModel(model, calls, warnings, {
      endpoint: target,
      fetch: options.fetch ?? globalThis.fetch,
      signal: request.signal,
      timeoutMs: parsed.timeoutMs ?? config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      pollIntervalMs: config.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    });
  }

  const withTask = (task: Task) => (request: Omit<ImageRequest, 'task'>) => run({ ...request, task });
  return {
    generate: withTask('generate'),
    edit: withTask('edit'),
    imageToImage: withTask('image-to-image'),
    upscale: withTask('upscale'),
    variation: withTask('variation'),
    run,
    endpoint,
    close: () => sandbox.close(),
  };
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

export function findModelOrThrow(id: string): CatalogModel {
  const model = lookupModel(id);
  if (!model) {
    throw new InvalidRequestError(
      `unknown model ${JSON.stringify(id)}: use a catalog id such as openai/gpt-image-1, stability/core, replicate/black-forest-labs/flux-schnell or fal/flux/dev (\`easel models\` lists them), or any replicate/<owner>/<name> or fal/<owner>/<app>`,
      { field: 'model' },
    );
  }
  return model;
}

async function loadInputs(request: ParsedRequest, fetchImpl: typeof fetch | undefined, signal: AbortSignal | undefined): Promise<{ image: LoadedImage | undefined; mask: LoadedImage | undefined }> {
  const [image, mask] = await Promise.all([
    request.image === undefined ? undefined : loadImage(request.image, { field: 'image', fetch: fetchImpl, signal }),
    request.mask === undefined ? undefined : loadImage(request.mask, { field: 'mask', fetch: fetchImpl, signal }),
  ]);
  return { image, mask };
}
