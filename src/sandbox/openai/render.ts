/**
 * Draws a job's images (placeholders from draw.ts, at exactly the answered size and format) and
 * the extra fields a model reports: DALL·E 3's `revised_prompt`, gpt-image's `usage` tokens.
 * Token counts are the sandbox's estimates: OpenAI's image-output table for 1024x1024 (low 272,
 * medium 1056, high 4160) scaled by pixels, and the vision formula (85 + 170 per 512-px tile) for inputs.
 */
import sharp from 'sharp';
import type { SandboxContext } from '../context.js';
import { drawPlaceholder, inpaint, transform } from '../draw.js';
import type { JobInputs } from './inputs.js';
import { freeSizeProblem } from './models.js';
import type { ImageJob } from './validate.js';

export interface RenderedJob {
  images: Buffer[];
  mediaType: string;
  width: number;
  height: number;
  revisedPrompt: string | undefined;
}

const MEDIA = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const GPT_SIZES: readonly [number, number][] = [
  [1024, 1024],
  [1536, 1024],
  [1024, 1536],
];

/** `drawing`: the sandbox's placeholder noise and its seed for requests that give none (OpenAI takes no seed). */
export async function renderJob(job: ImageJob, inputs: JobInputs | undefined, drawing: Pick<SandboxContext, 'grain' | 'pickSeed'>): Promise<RenderedJob> {
  const { width, height } = outputSize(job, inputs);
  const revisedPrompt = job.spec.family === 'dall-e-3' ? revise(job.prompt ?? '', job.style) : undefined;
  const format = job.outputFormat;
  const model = job.spec.name;
  const prompt = revisedPrompt ?? job.prompt ?? 'variation';
  const images: Buffer[] = [];
  for (let i = 0; i < job.n; i++) {
    // OpenAI takes no seed: every image is a fresh draw.
    const seed = drawing.pickSeed();
    const { grain } = drawing;
    let bytes: Buffer;
    if (!inputs) bytes = await drawPlaceholder({ width, height, format, model, prompt, seed, grain });
    else if (job.endpoint === 'variations')
      bytes = await transform({ image: inputs.images[0]!.bytes, strength: 0.5, width, height, format, model, prompt, seed, grain });
    else bytes = await renderEdit(job, inputs, { width, height, seed, prompt, grain });
    images.push(job.background === 'transparent' ? await cutOut(bytes, width, height, format) : bytes);
  }
  return { images, mediaType: MEDIA[format], width, height, revisedPrompt };
}

async function renderEdit(
  job: ImageJob,
  inputs: JobInputs,
  o: { width: number; height: number; seed: number; prompt: string; grain: number },
): Promise<Buffer> {
  const first = inputs.images[0]!;
  const base = { format: job.outputFormat, model: job.spec.name, prompt: o.prompt, seed: o.seed, grain: o.grain };
  // gpt-image without a mask reworks the whole picture; with one (or DALL·E 2's own alpha) only the transparent area.
  const edited =
    !inputs.mask && job.spec.family === 'gpt-image'
      ? await transform({ ...base, image: first.bytes, strength: 0.6, width: first.width, height: first.height })
      : await inpaint({ ...base, image: first.bytes, mask: inputs.mask?.bytes, maskConvention: 'transparent-is-edit' });
  if (first.width === o.width && first.height === o.height) return edited;
  const resized = sharp(edited).resize(o.width, o.height, { fit: 'fill' });
  return job.outputFormat === 'jpeg'
    ? resized.jpeg({ quality: 88 }).toBuffer()
    : job.outputFormat === 'webp'
      ? resized.webp({ quality: 85 }).toBuffer()
      : resized.png().toBuffer();
}

/** `background: transparent`: everything outside a centred ellipse becomes transparent. */
async function cutOut(bytes: Buffer, width: number, height: number, format: ImageJob['outputFormat']): Promise<Buffer> {
  const shape = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><ellipse cx="${width / 2}" cy="${height / 2}" rx="${width * 0.45}" ry="${height * 0.45}" fill="#fff"/></svg>`,
  );
  const pipeline = sharp(bytes)
    .ensureAlpha()
    .composite([{ input: shape, blend: 'dest-in' }]);
  return format === 'webp' ? pipeline.webp({ quality: 85 }).toBuffer() : pipeline.png().toBuffer();
}

function outputSize(job: ImageJob, inputs: JobInputs | undefined): { width: number; height: number } {
  if (job.size) return job.size;
  const first = inputs?.images[0];
  if (!first) return { width: 1024, height: 1024 };
  if (job.spec.sizes === 'free') {
    // `auto` on gpt-image-2 keeps the input's size, snapped to the 16-px grid, when that is allowed.
    const snapped = { width: Math.max(16, Math.round(first.width / 16) * 16), height: Math.max(16, Math.round(first.height / 16) * 16) };
    if (!freeSizeProblem(snapped.width, snapped.height)) return snapped;
  }
  const ratio = first.width / first.height;
  const [w, h] = GPT_SIZES.reduce((best, s) => (Math.abs(Math.log(s[0] / s[1] / ratio)) < Math.abs(Math.log(best[0] / best[1] / ratio)) ? s : best));
  return { width: w, height: h };
}

/** DALL·E 3 rewrites every prompt; the sandbox's rewrite is deterministic and keeps the original words. */
export function revise(prompt: string, style: ImageJob['style']): string {
  const look = style === 'natural' ? 'natural, true-to-life look' : 'vivid, hyper-real and dramatic look';
  return `${prompt.trim().replace(/[.\s]+$/, '')}. The image has a ${look}, with balanced composition and clear detail.`;
}

export interface Usage {
  input_tokens: number;
  input_tokens_details: { text_tokens: number; image_tokens: number };
  output_tokens: number;
  output_tokens_details: { image_tokens: number; text_tokens: number };
  total_tokens: number;
}

const OUTPUT_TOKENS_1MP: Record<string, number> = { low: 272, medium: 1056, high: 4160 };

export function usageOf(job: ImageJob, inputs: JobInputs | undefined, width: number, height: number): Usage {
  const text = Math.ceil((job.prompt ?? '').length / 4);
  const image =
    (inputs?.images ?? []).reduce((sum, i) => sum + visionTokens(i.width, i.height), 0) +
    (inputs?.mask ? visionTokens(inputs.mask.width, inputs.mask.height) : 0);
  const perImage = Math.round((OUTPUT_TOKENS_1MP[job.quality] ?? OUTPUT_TOKENS_1MP.medium!) * ((width * height) / (1024 * 1024)));
  const output = perImage * job.n;
  return {
    input_tokens: text + image,
    input_tokens_details: { text_tokens: text, image_tokens: image },
    output_tokens: output,
    output_tokens_details: { image_tokens: output, text_tokens: 0 },
    total_tokens: text + image + output,
  };
}

function visionTokens(width: number, height: number): number {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const shrink = Math.min(1, 768 / (Math.min(width, height) * fit));
  const tiles = Math.ceil((width * fit * shrink) / 512) * Math.ceil((height * fit * shrink) / 512);
  return 85 + 170 * tiles;
}
