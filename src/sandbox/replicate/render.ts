/**
 * What each model draws, from its validated input: FLUX at its aspect-ratio table (or following
 * an img2img input), SDXL at any size with img2img and inpainting (white = repaint), Real-ESRGAN
 * as a real resample of its input. Problems a model's own code would hit become `RenderError`s,
 * which fail the prediction (not the HTTP request), as on Replicate.
 */
import { FLUX_ASPECT_RATIOS } from '../../catalog/models/replicate.js';
import type { OutputFormat } from '../../core/task.js';
import { drawPlaceholder, imageSize, inpaint, transform, upscale } from '../draw.js';
import type { SandboxModel } from './models.js';

export class RenderError extends Error {}

export interface RenderedImage {
  bytes: Uint8Array;
  mediaType: string;
  width: number;
  height: number;
}

export interface RenderInput {
  model: SandboxModel;
  input: Record<string, unknown>;
  seed: number;
  /** The sandbox's placeholder noise (DrawSpec.grain). */
  grain: number;
  /** Reads a file input (URL or data URI) to bytes. */
  readFile: (value: string, field: string) => Promise<Uint8Array>;
}

const MEDIA: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
/** Output cap for the upscaler: past this a real GPU runs out of memory. */
const MAX_UPSCALE_PIXELS = 64 * 1024 * 1024;

export async function render(r: RenderInput): Promise<RenderedImage[]> {
  if (r.model.render === 'upscale') return [await renderUpscale(r)];
  const count = Number(r.input.num_outputs ?? 1);
  const out: RenderedImage[] = [];
  // Each output of a batch differs; seed + i keeps them reproducible.
  for (let i = 0; i < count; i++) out.push(r.model.render === 'flux' ? await renderFlux(r, r.seed + i) : await renderSdxl(r, r.seed + i));
  return out;
}

async function renderFlux(r: RenderInput, seed: number): Promise<RenderedImage> {
  const format: OutputFormat = r.input.output_format === 'jpg' ? 'jpeg' : (r.input.output_format as OutputFormat);
  const prompt = String(r.input.prompt);
  const modelRef = `${r.model.owner}/${r.model.name}`;
  const shrink = r.input.megapixels === '0.25' ? 2 : 1;
  if (typeof r.input.image === 'string') {
    const image = await r.readFile(r.input.image, 'image');
    const { width: w, height: h } = await safeSize(image, 'image');
    // img2img keeps the input's aspect at about 1 MP, in multiples of 16.
    const k = Math.sqrt((1024 * 1024) / (w * h)) / shrink;
    const width = Math.max(16, Math.round((w * k) / 16) * 16);
    const height = Math.max(16, Math.round((h * k) / 16) * 16);
    const bytes = await transform({ image, strength: Number(r.input.prompt_strength), width, height, format, model: modelRef, prompt, seed, grain: r.grain });
    return { bytes, mediaType: MEDIA[format], width, height };
  }
  const [w, h] = FLUX_ASPECT_RATIOS[String(r.input.aspect_ratio)]!;
  const width = w / shrink;
  const height = h / shrink;
  return { bytes: await drawPlaceholder({ width, height, format, model: modelRef, prompt, seed, grain: r.grain }), mediaType: MEDIA[format], width, height };
}

async function renderSdxl(r: RenderInput, seed: number): Promise<RenderedImage> {
  const modelRef = `${r.model.owner}/${r.model.name}`;
  const prompt = String(r.input.prompt);
  const base = { format: 'png' as const, model: modelRef, prompt, seed, grain: r.grain };
  if (typeof r.input.image === 'string') {
    const image = await r.readFile(r.input.image, 'image');
    const size = await safeSize(image, 'image');
    if (typeof r.input.mask === 'string') {
      const mask = await r.readFile(r.input.mask, 'mask');
      await safeSize(mask, 'mask');
      const bytes = await inpaint({ ...base, image, mask, maskConvention: 'white-is-edit' });
      return { bytes, mediaType: 'image/png', ...size };
    }
    const bytes = await transform({ ...base, image, strength: Number(r.input.prompt_strength) });
    return { bytes, mediaType: 'image/png', ...size };
  }
  const width = Number(r.input.width);
  const height = Number(r.input.height);
  if (width % 8 !== 0 || height % 8 !== 0) {
    // diffusers' own message, which is what a Replicate SDXL prediction fails with.
    throw new RenderError(`\`height\` and \`width\` have to be divisible by 8 but are ${height} and ${width}.`);
  }
  return { bytes: await drawPlaceholder({ ...base, width, height }), mediaType: 'image/png', width, height };
}

async function renderUpscale(r: RenderInput): Promise<RenderedImage> {
  const image = await r.readFile(String(r.input.image), 'image');
  const { width: w, height: h } = await safeSize(image, 'image');
  const scale = Number(r.input.scale);
  const width = Math.round(w * scale);
  const height = Math.round(h * scale);
  if (width < 1 || height < 1) throw new RenderError(`scale ${scale} gives an empty image; use a scale above 0`);
  if (width * height > MAX_UPSCALE_PIXELS) {
    throw new RenderError(`CUDA out of memory: a ${w}x${h} input at scale ${scale} would be ${width}x${height}; try a smaller scale or input`);
  }
  return { bytes: await upscale(image, { width, height }, 'png'), mediaType: 'image/png', width, height };
}

async function safeSize(bytes: Uint8Array, field: string): Promise<{ width: number; height: number }> {
  try {
    const { width, height } = await imageSize(bytes);
    if (width > 0 && height > 0) return { width, height };
  } catch {
    /* falls through */
  }
  throw new RenderError(`cannot identify image file given as ${field}`);
}
