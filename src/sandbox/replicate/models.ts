/**
 * The models the sandbox runs: each with its owner/name, version id, input schema (protocols.md
 * 3.9) and how it draws. Official models run by `owner/name`; community models only by version.
 */
import { createHash } from 'node:crypto';
import { findModel } from '../../catalog/index.js';
import { FLUX_ASPECT_RATIOS, REAL_ESRGAN_VERSION, SDXL_VERSION } from '../../catalog/models/replicate.js';
import type { CatalogModel } from '../../catalog/types.js';
import type { InputSchema } from './schema.js';

export type RenderKind = 'flux' | 'sdxl' | 'upscale';

export interface SandboxModel {
  owner: string;
  name: string;
  /** Official models are addressable without a version (`POST /v1/models/{owner}/{name}/predictions`). */
  official: boolean;
  version: string;
  schema: InputSchema;
  render: RenderKind;
  /** Cog's error text when the safety checker filters every output; undefined: no safety checker. */
  nsfwError: string | undefined;
  /** The easel catalog row, for pricing and latency; undefined for models easel does not list. */
  catalog: CatalogModel | undefined;
}

const FLUX_NSFW = 'All generated images contained NSFW content. Try running it again with a different prompt.';
const SDXL_NSFW = 'NSFW content detected. Try running it again, or try a different prompt.';

const FLUX_COMMON: InputSchema = {
  prompt: { type: 'string', required: true },
  aspect_ratio: { type: 'string', enum: Object.keys(FLUX_ASPECT_RATIOS), default: '1:1' },
  num_outputs: { type: 'integer', min: 1, max: 4, default: 1 },
  seed: { type: 'integer' },
  output_format: { type: 'string', enum: ['webp', 'jpg', 'png'], default: 'webp' },
  output_quality: { type: 'integer', min: 0, max: 100, default: 80 },
  disable_safety_checker: { type: 'boolean', default: false },
  go_fast: { type: 'boolean', default: true },
  megapixels: { type: 'string', enum: ['1', '0.25'], default: '1' },
};

const SDXL_SCHEMA: InputSchema = {
  prompt: { type: 'string', default: 'An astronaut riding a rainbow unicorn' },
  negative_prompt: { type: 'string', default: '' },
  image: { type: 'uri' },
  mask: { type: 'uri' },
  width: { type: 'integer', min: 128, max: 2048, default: 1024 },
  height: { type: 'integer', min: 128, max: 2048, default: 1024 },
  num_outputs: { type: 'integer', min: 1, max: 4, default: 1 },
  scheduler: { type: 'string', enum: ['DDIM', 'DPMSolverMultistep', 'HeunDiscrete', 'KarrasDPM', 'K_EULER_ANCESTRAL', 'K_EULER', 'PNDM'], default: 'K_EULER' },
  num_inference_steps: { type: 'integer', min: 1, max: 500, default: 50 },
  guidance_scale: { type: 'number', min: 1, max: 50, default: 7.5 },
  prompt_strength: { type: 'number', min: 0, max: 1, default: 0.8 },
  seed: { type: 'integer' },
  refine: { type: 'string', enum: ['no_refiner', 'expert_ensemble_refiner', 'base_image_refiner'], default: 'no_refiner' },
  high_noise_frac: { type: 'number', min: 0, max: 1, default: 0.8 },
  refine_steps: { type: 'integer' },
  apply_watermark: { type: 'boolean', default: true },
  lora_scale: { type: 'number', min: 0, max: 1, default: 0.6 },
  replicate_weights: { type: 'string' },
  disable_safety_checker: { type: 'boolean', default: false },
};

/** Official models have versions too; the sandbox derives stable ids for them. */
function derivedVersion(ref: string): string {
  return createHash('sha256').update(`easel-sandbox:${ref}`).digest('hex');
}

export const SANDBOX_MODELS: readonly SandboxModel[] = [
  {
    owner: 'black-forest-labs',
    name: 'flux-schnell',
    official: true,
    version: derivedVersion('black-forest-labs/flux-schnell'),
    schema: { ...FLUX_COMMON, num_inference_steps: { type: 'integer', min: 1, max: 4, default: 4 } },
    render: 'flux',
    nsfwError: FLUX_NSFW,
    catalog: findModel('replicate/black-forest-labs/flux-schnell'),
  },
  {
    owner: 'black-forest-labs',
    name: 'flux-dev',
    official: true,
    version: derivedVersion('black-forest-labs/flux-dev'),
    schema: {
      ...FLUX_COMMON,
      image: { type: 'uri' },
      prompt_strength: { type: 'number', min: 0, max: 1, default: 0.8 },
      num_inference_steps: { type: 'integer', min: 1, max: 50, default: 28 },
      guidance: { type: 'number', min: 0, max: 10, default: 3 },
    },
    render: 'flux',
    nsfwError: FLUX_NSFW,
    catalog: findModel('replicate/black-forest-labs/flux-dev'),
  },
  {
    owner: 'stability-ai',
    name: 'sdxl',
    official: false,
    version: SDXL_VERSION,
    schema: SDXL_SCHEMA,
    render: 'sdxl',
    nsfwError: SDXL_NSFW,
    catalog: findModel('replicate/stability-ai/sdxl'),
  },
  {
    owner: 'nightmareai',
    name: 'real-esrgan',
    official: false,
    version: REAL_ESRGAN_VERSION,
    schema: {
      image: { type: 'uri', required: true },
      scale: { type: 'number', min: 0, max: 10, default: 4 },
      face_enhance: { type: 'boolean', default: false },
    },
    render: 'upscale',
    nsfwError: undefined,
    catalog: findModel('replicate/nightmareai/real-esrgan'),
  },
  {
    // Not in easel's catalog: lets tests and demos run a model easel only knows by its Replicate id.
    owner: 'bytedance',
    name: 'sdxl-lightning-4step',
    official: false,
    version: '5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637',
    schema: {
      ...SDXL_SCHEMA,
      prompt: { type: 'string', default: 'self-portrait of a woman, lightning in the background' },
      num_inference_steps: { type: 'integer', min: 1, max: 10, default: 4 },
      guidance_scale: { type: 'number', min: 0, max: 50, default: 0 },
    },
    render: 'sdxl',
    nsfwError: SDXL_NSFW,
    catalog: undefined,
  },
];

export type ModelLookup = { ok: true; model: SandboxModel } | { ok: false; status: 404 | 422; title: string; detail: string };

/** `POST /v1/models/{owner}/{name}/predictions`: official models only. */
export function modelByName(owner: string, name: string): ModelLookup {
  const model = SANDBOX_MODELS.find((m) => m.owner === owner && m.name === name);
  if (!model) return { ok: false, status: 404, title: 'Not Found', detail: `Model not found: ${owner}/${name}` };
  if (!model.official) {
    return {
      ok: false,
      status: 404,
      title: 'Not Found',
      detail: `${owner}/${name} is not an official model, so it cannot run without a version: POST /v1/predictions with "version": "${model.version}"`,
    };
  }
  return { ok: true, model };
}

/** `POST /v1/predictions`: `version` is a 64-hex id, `owner/name:version`, or (official models) `owner/name`. */
export function modelByVersion(version: string): ModelLookup {
  const ref = /^([\w.-]+)\/([\w.-]+)(?::([0-9a-f]{64}))?$/.exec(version);
  if (ref && ref[3] === undefined) return modelByName(ref[1]!, ref[2]!);
  const id = ref ? ref[3]! : version;
  const model = SANDBOX_MODELS.find((m) => m.version === id && (!ref || (m.owner === ref[1] && m.name === ref[2])));
  if (!model) {
    return {
      ok: false,
      status: 422,
      title: 'Invalid version or not permitted',
      detail: "The specified version does not exist (or perhaps you don't have permission to use it?)",
    };
  }
  return { ok: true, model };
}
