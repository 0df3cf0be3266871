/**
 * The `local` provider: upscalers that run on this machine, need no API key and cost nothing.
 * `local/lanczos` resamples; `local/esrgan` runs a super-resolution network (see esrgan.ts).
 */
import { InvalidRequestError, UnsupportedCapabilityError } from '../../core/errors.js';
import type { LoadedImage } from '../../core/image.js';
import { MEDIA_TYPES, type OutputFormat } from '../../core/task.js';
import type { Warning } from '../../core/warnings.js';
import type { ImageProvider, ProviderCall, ProviderResult, ProviderRuntime } from '../types.js';
import { upscaleEsrgan } from './esrgan.js';
import { ESRGAN_SCALES, type EsrganScale } from './esrgan-runtime.js';
import { upscaleLanczos } from './lanczos.js';

interface LocalUpscaler {
  scales: readonly number[];
  run(image: LoadedImage, scale: number, format: OutputFormat, signal: AbortSignal): Promise<Buffer>;
}

/** By vendor model (the part of the catalog id after `local/`). */
const UPSCALERS: Readonly<Record<string, LocalUpscaler>> = {
  lanczos: { scales: [1, 2, 3, 4, 5, 6, 7, 8], run: (image, scale, format) => upscaleLanczos(image.bytes, scale, format) },
  esrgan: {
    scales: ESRGAN_SCALES,
    run: (image, scale, format, signal) => upscaleEsrgan(image.bytes, image.hasAlpha, scale as EsrganScale, format, signal),
  },
};

/** Fields an upscale request may carry that no local model reads. */
const IGNORED_FIELDS = ['prompt', 'negativePrompt', 'seed', 'quality', 'style', 'mask', 'strength'] as const;

export const localProvider: ImageProvider = {
  id: 'local',
  async run(call: ProviderCall, runtime: ProviderRuntime): Promise<ProviderResult> {
    const model = call.model.id;
    const upscaler = UPSCALERS[call.model.vendorModel];
    if (!upscaler) {
      throw new InvalidRequestError(
        `local: no local model ${model}; local models are ${Object.keys(UPSCALERS)
          .map((m) => `local/${m}`)
          .join(', ')}`,
        { model, provider: 'local', field: 'model' },
      );
    }
    if (call.task !== 'upscale') {
      throw new UnsupportedCapabilityError(`${model} only upscales; it cannot ${call.task}`, { model, provider: 'local', field: 'task', allowed: ['upscale'] });
    }
    if (!call.image) throw new InvalidRequestError(`${model}: upscale needs an input image`, { model, provider: 'local', field: 'image' });
    const option = Object.keys(call.providerOptions)[0];
    if (option !== undefined) {
      throw new InvalidRequestError(`local: unknown providerOptions.local option ${option}; local models take no options`, {
        model,
        provider: 'local',
        field: `providerOptions.local.${option}`,
      });
    }
    if (call.scale === undefined || !upscaler.scales.includes(call.scale)) {
      throw new UnsupportedCapabilityError(`${model} cannot upscale by ${call.scale ?? '(no scale given)'}; allowed: ${upscaler.scales.join(', ')}`, {
        model,
        provider: 'local',
        field: 'scale',
        allowed: upscaler.scales,
      });
    }
    const bytes = await upscaler.run(call.image, call.scale, call.outputFormat, runtime.signal);
    return { images: [{ bytes, mediaType: MEDIA_TYPES[call.outputFormat] }], requestId: undefined, usage: {}, warnings: ignoredFieldWarnings(call) };
  },
};

function ignoredFieldWarnings(call: ProviderCall): Warning[] {
  return IGNORED_FIELDS.filter((field) => call[field] !== undefined).map((field) => ({
    kind: 'unsupported',
    model: call.model.id,
    field,
    message: `${call.model.id} ignores ${field}: it only enlarges the pixels it is given`,
  }));
}
