/**
 * ProviderCall → Stability HTTP call (pure): which endpoint a catalog row uses, and its multipart
 * fields (v2beta) or JSON body (v1 SDXL).
 */
import type { Warning } from '../../core/warnings.js';
import type { ProviderCall } from '../types.js';
import type { StabilityOptions } from './options.js';
import { withoutTrailingSlash } from '../../core/url.js';

export type StabilityRequest =
  | {
      kind: 'multipart';
      url: string;
      fields: Record<string, string>;
      files: Record<string, { bytes: Uint8Array; mediaType: string }>;
      async: boolean;
      warnings: Warning[];
    }
  | { kind: 'json'; url: string; body: Record<string, unknown>; warnings: Warning[] };

const SD3 = /^sd3/;

export function buildRequest(call: ProviderCall, baseUrl: string, options: StabilityOptions): StabilityRequest {
  const root = withoutTrailingSlash(baseUrl);
  const vendor = call.model.vendorModel;
  const warnings: Warning[] = [];
  if (!vendor.includes('/') && !SD3.test(vendor) && vendor !== 'ultra' && vendor !== 'core' && vendor !== 'inpaint') return sdxl(call, root, options, warnings);

  const fields: Record<string, string> = {};
  const files: Record<string, { bytes: Uint8Array; mediaType: string }> = {};
  const set = (name: string, value: string | number | undefined) => {
    if (value !== undefined) fields[name] = String(value);
  };
  set('prompt', call.prompt);
  set('negative_prompt', call.negativePrompt);
  set('seed', call.seed);
  set('output_format', call.outputFormat);
  set('style_preset', call.style ?? options.style_preset);
  set('cfg_scale', options.cfg_scale);
  set('creativity', options.creativity);
  set('grow_mask', options.grow_mask);
  let path: string;
  if (SD3.test(vendor)) {
    path = 'generate/sd3';
    set('model', vendor);
    if (call.task === 'image-to-image') {
      set('mode', 'image-to-image');
      set('strength', call.strength ?? 0.5);
    } else set('aspect_ratio', call.aspectRatio);
  } else if (vendor === 'ultra' || vendor === 'core') {
    path = `generate/${vendor}`;
    if (call.task === 'image-to-image') set('strength', call.strength ?? 0.5);
    else set('aspect_ratio', call.aspectRatio);
  } else if (vendor === 'inpaint') {
    path = 'edit/inpaint';
  } else {
    path = vendor; // upscale/fast | upscale/conservative | upscale/creative
  }
  if (call.image) files.image = { bytes: call.image.bytes, mediaType: call.image.mediaType };
  if (call.mask) files.mask = { bytes: call.mask.bytes, mediaType: call.mask.mediaType };
  return { kind: 'multipart', url: `${root}/v2beta/stable-image/${path}`, fields, files, async: vendor === 'upscale/creative', warnings };
}

function sdxl(call: ProviderCall, root: string, options: StabilityOptions, warnings: Warning[]): StabilityRequest {
  const text_prompts: { text: string; weight: number }[] = [{ text: call.prompt ?? '', weight: 1 }];
  // v1 takes the negative prompt as a prompt with negative weight.
  if (call.negativePrompt) text_prompts.push({ text: call.negativePrompt, weight: -1 });
  const body: Record<string, unknown> = {
    text_prompts,
    width: call.width,
    height: call.height,
    samples: call.n,
    ...(call.seed !== undefined ? { seed: call.seed } : {}),
    ...((call.style ?? options.style_preset) ? { style_preset: call.style ?? options.style_preset } : {}),
    ...(options.cfg_scale !== undefined ? { cfg_scale: options.cfg_scale } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.sampler !== undefined ? { sampler: options.sampler } : {}),
    ...(options.clip_guidance_preset !== undefined ? { clip_guidance_preset: options.clip_guidance_preset } : {}),
  };
  return { kind: 'json', url: `${root}/v1/generation/${call.model.vendorModel}/text-to-image`, body, warnings };
}
