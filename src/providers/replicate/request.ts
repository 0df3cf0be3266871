/**
 * ProviderCall → Replicate create-prediction request (pure). Official models (`owner/name`) go to
 * `POST /models/{owner}/{name}/predictions`; versioned ones to `POST /predictions` with `version`.
 * Each known model gets its own input mapping; any other model gets Replicate's common input
 * names. `providerOptions.replicate.input` is merged last, so raw input always wins.
 */
import type { ProviderCall } from '../types.js';
import type { Warning } from '../../core/warnings.js';
import { dataUri } from '../../core/image.js';
import type { ReplicateOptions } from './options.js';
import { withoutTrailingSlash } from '../../core/url.js';

export interface ModelRef {
  owner: string;
  name: string;
  /** 64-hex version id, for community models. */
  version: string | undefined;
}

export interface CreateRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  warnings: Warning[];
}

export function parseModelRef(vendorModel: string): ModelRef {
  const m = /^([^/]+)\/([^/:]+)(?::(.+))?$/.exec(vendorModel);
  if (!m) throw new Error(`not a Replicate model reference: ${vendorModel}`);
  return { owner: m[1]!, name: m[2]!, version: m[3] };
}

export function buildCreateRequest(call: ProviderCall, baseUrl: string, options: ReplicateOptions, waitSeconds: number | undefined): CreateRequest {
  const ref = parseModelRef(call.model.vendorModel);
  const { input, warnings } = buildInput(call, ref, options);
  const base = withoutTrailingSlash(baseUrl);
  const body: Record<string, unknown> = ref.version ? { version: ref.version, input } : { input };
  if (options.webhook) body.webhook = options.webhook;
  if (options.webhook_events_filter) body.webhook_events_filter = options.webhook_events_filter;
  return {
    url: ref.version ? `${base}/predictions` : `${base}/models/${ref.owner}/${ref.name}/predictions`,
    headers: waitSeconds === undefined ? {} : { prefer: `wait=${waitSeconds}` },
    body,
    warnings,
  };
}

export function buildInput(call: ProviderCall, ref: ModelRef, options: ReplicateOptions): { input: Record<string, unknown>; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const warn = (field: string, message: string) => warnings.push({ kind: 'unsupported', model: call.model.id, field, message: `${call.model.id} ${message}` });
  const mapper = MAPPERS[`${ref.owner}/${ref.name}`] ?? genericInput;
  const mapped = mapper(call, warn);
  if (mapper === genericInput) {
    const names = Object.keys(dropUndefined(mapped)).join(', ');
    warnings.push({
      kind: 'other',
      model: call.model.id,
      message: `${call.model.id} is not in easel's catalog: the request went out under Replicate's common input names (${names}); the model ignores any it does not take. Check its schema and pass its own fields in providerOptions.replicate.input`,
    });
  }
  const raw = options.input ?? {};
  for (const [key, value] of Object.entries(raw)) {
    if (key in mapped && JSON.stringify(mapped[key]) !== JSON.stringify(value)) {
      warnings.push({
        kind: 'adjusted',
        model: call.model.id,
        field: `providerOptions.replicate.input.${key}`,
        requested: mapped[key],
        applied: value,
        message: `providerOptions.replicate.input.${key} replaces the value easel mapped from the request`,
      });
    }
  }
  return { input: dropUndefined({ ...mapped, ...raw }), warnings };
}

type Warn = (field: string, message: string) => void;
type Mapper = (call: ProviderCall, warn: Warn) => Record<string, unknown>;

const FLUX_OUTPUT: Record<ProviderCall['outputFormat'], string> = { webp: 'webp', jpeg: 'jpg', png: 'png' };

const fluxInput: Mapper = (call, warn) => {
  const img2img = call.image !== undefined;
  if (img2img && call.aspectRatio && call.model.dimensions.kind === 'aspect-ratios' && call.aspectRatio !== call.model.dimensions.default) {
    warn('aspectRatio', `ignores aspect_ratio in image-to-image: the output follows the input image's aspect`);
  }
  return {
    prompt: call.prompt,
    aspect_ratio: call.aspectRatio,
    num_outputs: call.n,
    seed: call.seed,
    output_format: FLUX_OUTPUT[call.outputFormat],
    image: img2img ? dataUri(call.image!) : undefined,
    prompt_strength: img2img ? call.strength : undefined,
  };
};

const sdxlInput: Mapper = (call, warn) => {
  const fromImage = call.image !== undefined;
  if (fromImage && call.model.dimensions.kind === 'free' && `${call.width}x${call.height}` !== call.model.dimensions.default) {
    warn('size', "ignores width/height when given an input image: the output has the input image's size");
  }
  return {
    prompt: call.prompt,
    negative_prompt: call.negativePrompt,
    width: fromImage ? undefined : call.width,
    height: fromImage ? undefined : call.height,
    num_outputs: call.n,
    seed: call.seed,
    image: fromImage ? dataUri(call.image!) : undefined,
    // SDXL's mask convention: white is repainted, black kept.
    mask: call.mask ? dataUri(call.mask) : undefined,
    prompt_strength: call.strength,
  };
};

const realEsrganInput: Mapper = (call, warn) => {
  if (call.prompt !== undefined) warn('prompt', 'takes no prompt; it was not sent');
  return { image: call.image ? dataUri(call.image) : undefined, scale: call.scale };
};

/** A model outside the catalog: Replicate's most common input names; the model ignores what it does not know. */
const genericInput: Mapper = (call) => ({
  prompt: call.prompt,
  negative_prompt: call.negativePrompt,
  width: call.width,
  height: call.height,
  aspect_ratio: call.aspectRatio,
  num_outputs: call.n > 1 ? call.n : undefined,
  seed: call.seed,
  image: call.image ? dataUri(call.image) : undefined,
  mask: call.mask ? dataUri(call.mask) : undefined,
  prompt_strength: call.strength,
  scale: call.scale,
});

const MAPPERS: Record<string, Mapper> = {
  'black-forest-labs/flux-schnell': fluxInput,
  'black-forest-labs/flux-dev': fluxInput,
  'stability-ai/sdxl': sdxlInput,
  'nightmareai/real-esrgan': realEsrganInput,
};

export function isMappedModel(ref: ModelRef): boolean {
  return `${ref.owner}/${ref.name}` in MAPPERS;
}

function dropUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}
