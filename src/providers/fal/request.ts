/** ProviderCall → FAL app input and URLs (pure). */
import { dataUri } from '../../core/image.js';
import type { Warning } from '../../core/warnings.js';
import type { ProviderCall } from '../types.js';
import type { FalOptions } from './options.js';
import { joinUrl } from '../../core/url.js';

export interface FalSubmit {
  url: string;
  body: Record<string, unknown>;
  warnings: Warning[];
}

/** `owner/app` of an app id: status, result and cancel live under it, without the subpath. */
export function appBase(appId: string): string {
  return appId.split('/').slice(0, 2).join('/');
}

export function buildInput(call: ProviderCall, options: FalOptions): { input: Record<string, unknown>; warnings: Warning[] } {
  if (call.task === 'edit') return buildFillInput(call, options);
  const presets = call.model.dimensions.kind === 'free' ? (call.model.dimensions.presets ?? {}) : {};
  const preset = Object.entries(presets).find(([, [w, h]]) => w === call.width && h === call.height)?.[0];
  const input: Record<string, unknown> = {
    prompt: call.prompt,
    ...(call.width && call.height ? { image_size: preset ?? { width: call.width, height: call.height } } : {}),
    num_images: call.n,
    ...(call.seed !== undefined ? { seed: call.seed } : {}),
    ...(call.outputFormat === 'png' || call.outputFormat === 'jpeg' ? { output_format: call.outputFormat } : {}),
    enable_safety_checker: options.enable_safety_checker ?? true,
    ...(options.num_inference_steps !== undefined ? { num_inference_steps: options.num_inference_steps } : {}),
    ...(options.guidance_scale !== undefined ? { guidance_scale: options.guidance_scale } : {}),
    ...(options.acceleration !== undefined ? { acceleration: options.acceleration } : {}),
    ...(options.sync_mode !== undefined ? { sync_mode: options.sync_mode } : {}),
    ...options.input,
  };
  return { input, warnings: webpNotSent(call) };
}

/**
 * Inpainting apps (FLUX.1 [pro] Fill): the image and its mask go as data URIs, which FAL accepts for
 * any file input; the output takes the image's size, so no `image_size` is sent.
 */
function buildFillInput(call: ProviderCall, options: FalOptions): { input: Record<string, unknown>; warnings: Warning[] } {
  const input: Record<string, unknown> = {
    prompt: call.prompt,
    ...(call.image ? { image_url: dataUri(call.image) } : {}),
    ...(call.mask ? { mask_url: dataUri(call.mask) } : {}),
    num_images: call.n,
    ...(call.seed !== undefined ? { seed: call.seed } : {}),
    ...(call.outputFormat === 'png' || call.outputFormat === 'jpeg' ? { output_format: call.outputFormat } : {}),
    ...(options.sync_mode !== undefined ? { sync_mode: options.sync_mode } : {}),
    ...options.input,
  };
  return { input, warnings: webpNotSent(call) };
}

export function buildSubmit(call: ProviderCall, queueUrl: string, runUrl: string | undefined, options: FalOptions): FalSubmit {
  const { input, warnings } = buildInput(call, options);
  const app = call.model.vendorModel;
  const root = options.sync ? (runUrl ?? queueUrl) : queueUrl;
  const webhook = !options.sync && options.webhookUrl ? `?fal_webhook=${encodeURIComponent(options.webhookUrl)}` : '';
  return { url: `${joinUrl(root, app)}${webhook}`, body: input, warnings };
}

/** FAL's FLUX apps write jpeg or png: a webp request is sent without its format, and says so. */
function webpNotSent(call: ProviderCall): Warning[] {
  if (call.outputFormat !== 'webp') return [];
  return [
    { kind: 'unsupported', model: call.model.id, field: 'outputFormat', requested: 'webp', message: `${call.model.id} writes jpeg or png; webp was not sent` },
  ];
}
