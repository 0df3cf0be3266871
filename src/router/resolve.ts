/**
 * Turns a validated request into fully specified calls for one model: checks every field against
 * the catalog row (error, or warning + nearest value when adjustments are allowed), resolves the
 * size, and splits `n` above the model's per-call limit into several calls.
 */
import type { CatalogModel } from '../catalog/types.js';
import type { ProviderCall } from '../providers/types.js';
import { resolveDimensions } from './dimensions.js';
import { InvalidRequestError, UnsupportedCapabilityError } from '../core/errors.js';
import type { LoadedImage } from '../core/image.js';
import type { ParsedRequest } from '../core/request.js';

export type { ParsedRequest };
import type { OutputFormat, Task } from '../core/task.js';
import { characterCount } from '../core/text.js';
import type { Warning } from '../core/warnings.js';

export interface ResolvedCalls {
  calls: ProviderCall[];
  warnings: Warning[];
}

const NEEDS_PROMPT: readonly Task[] = ['generate', 'edit', 'image-to-image'];
const NEEDS_IMAGE: readonly Task[] = ['edit', 'image-to-image', 'upscale', 'variation'];

export function resolveCalls(
  request: ParsedRequest,
  task: Task,
  model: CatalogModel,
  inputs: { image: LoadedImage | undefined; mask: LoadedImage | undefined },
): ResolvedCalls {
  const warnings: Warning[] = [];
  const allowAdjustments = request.allowAdjustments === true;
  const unsupported = (field: string, allowed: readonly (string | number)[] | string, why: string) => {
    if (!allowAdjustments) {
      throw new UnsupportedCapabilityError(`${model.id} ${why}`, { model: model.id, provider: model.provider, field, allowed });
    }
    warnings.push({ kind: 'unsupported', model: model.id, field, message: `${model.id} ${why}; the field was not sent` });
  };

  if (!model.tasks.includes(task)) {
    throw new UnsupportedCapabilityError(`${model.id} cannot ${task}; it can: ${model.tasks.join(', ')}`, {
      model: model.id,
      provider: model.provider,
      field: 'task',
      allowed: model.tasks,
    });
  }
  lifecycleWarning(model, warnings);

  if (NEEDS_PROMPT.includes(task) && !request.prompt) throw new InvalidRequestError(`a ${task} request needs a prompt`, { field: 'prompt' });
  const promptLength = request.prompt ? characterCount(request.prompt) : 0;
  if (model.maxPromptLength && promptLength > model.maxPromptLength) {
    throw new UnsupportedCapabilityError(`${model.id} takes prompts of at most ${model.maxPromptLength} characters; this one has ${promptLength}`, {
      model: model.id,
      provider: model.provider,
      field: 'prompt',
      allowed: `at most ${model.maxPromptLength} characters`,
    });
  }
  if (NEEDS_IMAGE.includes(task) && !inputs.image) throw new InvalidRequestError(`a ${task} request needs an input image`, { field: 'image' });
  if (inputs.mask && inputs.image && (inputs.mask.width !== inputs.image.width || inputs.mask.height !== inputs.image.height)) {
    throw new InvalidRequestError(
      `mask is ${inputs.mask.width}x${inputs.mask.height} but image is ${inputs.image.width}x${inputs.image.height}; they must match`,
      { field: 'mask' },
    );
  }

  let negativePrompt = request.negativePrompt;
  if (negativePrompt !== undefined && !model.features.negativePrompt) {
    unsupported('negativePrompt', [], 'does not take a negative prompt');
    negativePrompt = undefined;
  }
  let seed = request.seed;
  if (seed !== undefined && !model.features.seed) {
    unsupported('seed', [], 'does not take a seed');
    seed = undefined;
  }
  let mask = inputs.mask;
  if (mask && !model.features.mask) {
    unsupported('mask', [], 'does not take a mask');
    mask = undefined;
  }
  let strength = request.strength;
  if (strength !== undefined && !model.features.strength) {
    unsupported('strength', [], 'does not take strength');
    strength = undefined;
  }
  let quality = request.quality;
  if (quality !== undefined && !(model.qualities ?? []).includes(quality)) {
    unsupported('quality', model.qualities ?? [], `does not take quality ${quality}; allowed: ${(model.qualities ?? []).join(', ') || 'none'}`);
    quality = undefined;
  }
  let style = request.style;
  if (style !== undefined && !(model.styles ?? []).includes(style)) {
    unsupported('style', model.styles ?? [], `does not take style ${style}; allowed: ${(model.styles ?? []).join(', ') || 'none'}`);
    style = undefined;
  }
  const outputFormat = resolveFormat(model, request.outputFormat, allowAdjustments, warnings);
  let scale = request.scale;
  if (scale !== undefined && model.scales && !model.scales.includes(scale)) {
    const nearest = model.scales.reduce((a, b) => (Math.abs(b - scale!) < Math.abs(a - scale!) ? b : a));
    if (!allowAdjustments) {
      throw new UnsupportedCapabilityError(`${model.id} cannot upscale by ${scale}; allowed: ${model.scales.join(', ')}`, {
        model: model.id,
        provider: model.provider,
        field: 'scale',
        allowed: model.scales,
      });
    }
    warnings.push({
      kind: 'adjusted',
      model: model.id,
      field: 'scale',
      requested: scale,
      applied: nearest,
      message: `${model.id}: scale ${scale} is not available; used ${nearest}`,
    });
    scale = nearest;
  }
  if (task === 'upscale' && scale === undefined) scale = model.scales?.includes(4) ? 4 : model.scales?.[0];

  const dims = resolveDimensions(model, { size: request.size, aspectRatio: request.aspectRatio, allowAdjustments }, warnings, inputs.image);
  const providerOptions = (request.providerOptions?.[model.provider] ?? {}) as Record<string, unknown>;
  for (const vendor of Object.keys(request.providerOptions ?? {})) {
    if (vendor !== model.provider) {
      warnings.push({
        kind: 'unsupported',
        model: model.id,
        field: `providerOptions.${vendor}`,
        message: `providerOptions.${vendor} does not apply to ${model.id}`,
      });
    }
  }

  const total = request.n ?? 1;
  const perCall = Math.max(1, model.maxImagesPerCall);
  const calls: ProviderCall[] = [];
  for (let done = 0, k = 0; done < total; k++) {
    const n = Math.min(perCall, total - done);
    calls.push({
      model,
      task,
      prompt: request.prompt,
      negativePrompt,
      width: dims.width,
      height: dims.height,
      aspectRatio: dims.aspectRatio,
      n,
      // Split calls get consecutive seeds, so a fixed seed still yields different, reproducible images.
      seed: seed === undefined ? undefined : (seed + done) % 4_294_967_295,
      quality,
      style,
      outputFormat,
      image: inputs.image,
      mask,
      strength,
      scale,
      providerOptions,
    });
    done += n;
  }
  return { calls, warnings };
}

function resolveFormat(model: CatalogModel, wanted: OutputFormat | undefined, allowAdjustments: boolean, warnings: Warning[]): OutputFormat {
  // PNG unless asked otherwise, wherever the model can write it: vendors' own defaults differ (webp, jpeg).
  if (wanted === undefined) return model.outputFormats.includes('png') ? 'png' : model.defaultOutputFormat;
  if (model.outputFormats.includes(wanted)) return wanted;
  if (!allowAdjustments) {
    throw new UnsupportedCapabilityError(`${model.id} cannot write ${wanted}; allowed: ${model.outputFormats.join(', ')}`, {
      model: model.id,
      provider: model.provider,
      field: 'outputFormat',
      allowed: model.outputFormats,
    });
  }
  warnings.push({
    kind: 'adjusted',
    model: model.id,
    field: 'outputFormat',
    requested: wanted,
    applied: model.defaultOutputFormat,
    message: `${model.id} cannot write ${wanted}; used ${model.defaultOutputFormat}`,
  });
  return model.defaultOutputFormat;
}

function lifecycleWarning(model: CatalogModel, warnings: Warning[]): void {
  const { lifecycle } = model;
  if (lifecycle.status === 'active') return;
  const when = lifecycle.shutdownDate ? ` (${lifecycle.status === 'shutdown' ? 'shut down' : 'shutting down'} ${lifecycle.shutdownDate})` : '';
  const instead = lifecycle.replacement ? `; use ${lifecycle.replacement}` : '';
  const where = lifecycle.status === 'shutdown' ? '. The vendor no longer serves it: only OpenAI-compatible hosts that still do will answer' : '';
  warnings.push({ kind: 'deprecated', model: model.id, message: `${model.id} is ${lifecycle.status}${when}${instead}${where}` });
}
