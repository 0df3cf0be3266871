/**
 * Procedural placeholder images: deterministic for (model, prompt, seed), at exactly the requested
 * size and format, and plainly marked as sandbox placeholders. Edits change only the masked area;
 * upscales really resample the input.
 */
import sharp, { type Sharp } from 'sharp';
import type { OutputFormat } from '../core/task.js';
import { CONTROL, characterCount, LONE_SURROGATE } from '../core/text.js';
import { hashSeed, seededRandom } from './random.js';

export interface DrawSpec {
  width: number;
  height: number;
  format: OutputFormat;
  model: string;
  prompt: string;
  seed: number;
  /**
   * Seeded noise (0–255; 0 = none) drawn over the placeholder so it compresses like a photo (a 4K
   * photo is megabytes, a flat placeholder a few hundred kilobytes): benchmarks of memory use need
   * realistic sizes. Each sandbox passes its own `grain` option.
   */
  grain: number;
}

/**
 * Recently drawn images: the drawing is deterministic, so a repeated request costs nothing to redraw.
 * Shared by every sandbox in the process on purpose: the key is the whole spec (grain included), so
 * one sandbox can only ever be served the very bytes it would have drawn itself.
 */
const recent = new Map<string, Promise<Buffer>>();
const RECENT_MAX = 32;

export function drawPlaceholder(spec: DrawSpec): Promise<Buffer> {
  const key = JSON.stringify([spec.width, spec.height, spec.format, spec.model, spec.prompt, spec.seed, spec.grain]);
  let drawn = recent.get(key);
  if (!drawn) {
    drawn = render(spec);
    drawn.catch(() => recent.delete(key));
    recent.set(key, drawn);
    if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!);
  }
  return drawn;
}

async function render(spec: DrawSpec): Promise<Buffer> {
  const svg = placeholderSvg(spec);
  const drawn = sharp(Buffer.from(svg)).resize(spec.width, spec.height, { fit: 'fill' });
  if (spec.grain <= 0) return encode(drawn, spec.format);
  const raw = await drawn.removeAlpha().raw().toBuffer();
  const rand = seededRandom(hashSeed('grain', spec.prompt, spec.seed));
  const amplitude = spec.grain;
  for (let i = 0; i < raw.length; i++) raw[i] = Math.max(0, Math.min(255, raw[i]! + Math.round((rand() - 0.5) * amplitude)));
  return encode(sharp(raw, { raw: { width: spec.width, height: spec.height, channels: 3 } }), spec.format);
}

function placeholderSvg({ width, height, model, prompt, seed }: DrawSpec): string {
  const rand = seededRandom(hashSeed(model, prompt, seed));
  const hue = Math.floor(rand() * 360);
  const colour = (shift: number, l: number) => `hsl(${(hue + shift) % 360},${55 + Math.floor(rand() * 30)}%,${l}%)`;
  const shapes: string[] = [];
  const count = 6 + Math.floor(rand() * 8);
  for (let i = 0; i < count; i++) {
    const x = Math.round(rand() * width);
    const y = Math.round(rand() * height);
    const r = Math.round((0.05 + rand() * 0.2) * Math.min(width, height));
    const fill = colour(Math.floor(rand() * 180), 35 + Math.floor(rand() * 40));
    shapes.push(
      rand() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}" fill-opacity="0.75"/>`
        : `<rect x="${x - r}" y="${y - r}" width="${r * 2}" height="${Math.round(r * 1.3)}" rx="${Math.round(r / 6)}" fill="${fill}" fill-opacity="0.7" transform="rotate(${Math.round(rand() * 90)} ${x} ${y})"/>`,
    );
  }
  const banner = Math.max(12, Math.round(Math.min(width, height) * 0.05));
  const small = Math.max(8, Math.round(banner * 0.45));
  const caption = escapeXml(characterCount(prompt) > 90 ? `${Array.from(prompt).slice(0, 87).join('')}…` : prompt);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colour(0, 82)}"/><stop offset="1" stop-color="${colour(140, 30)}"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/>
${shapes.join('\n')}
<rect x="0" y="0" width="${width}" height="${Math.round(banner * 1.6 + small * 1.8)}" fill="black" fill-opacity="0.55"/>
<text x="${Math.round(banner * 0.4)}" y="${Math.round(banner * 1.15)}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${banner}" fill="white">SANDBOX PLACEHOLDER</text>
<text x="${Math.round(banner * 0.4)}" y="${Math.round(banner * 1.2 + small * 1.5)}" font-family="DejaVu Sans, sans-serif" font-size="${small}" fill="white">${escapeXml(model)} · seed ${seed} · ${width}x${height} · ${caption}</text>
</svg>`;
}

/** Where a mask says "edit here": OpenAI uses transparent pixels, Stability uses white. */
export type MaskConvention = 'transparent-is-edit' | 'white-is-edit';

export interface EditSpec extends Omit<DrawSpec, 'width' | 'height'> {
  image: Uint8Array;
  /** Absent: the image's own alpha channel is the mask (transparent = edit). */
  mask?: Uint8Array;
  maskConvention: MaskConvention;
}

/** Replaces only the masked area of `image` with newly drawn content. */
export async function inpaint(spec: EditSpec): Promise<Buffer> {
  const source = sharp(spec.image).ensureAlpha();
  const { width, height } = await source.metadata().then((m) => ({ width: m.width!, height: m.height! }));
  const original = await source.raw().toBuffer();
  const fresh = await sharp(await drawPlaceholder({ ...spec, width, height, format: 'png' }))
    .ensureAlpha()
    .raw()
    .toBuffer();
  const weights = await maskWeights(spec.mask ?? spec.image, spec.mask ? spec.maskConvention : 'transparent-is-edit', width, height);
  const out = Buffer.alloc(original.length);
  for (let p = 0; p < width * height; p++) {
    const w = weights[p]! / 255;
    for (let c = 0; c < 3; c++) out[p * 4 + c] = Math.round(original[p * 4 + c]! * (1 - w) + fresh[p * 4 + c]! * w);
    out[p * 4 + 3] = 255;
  }
  return encode(sharp(out, { raw: { width, height, channels: 4 } }), spec.format);
}

/** 0 = keep, 255 = replace, per pixel, at the image's size. */
async function maskWeights(mask: Uint8Array, convention: MaskConvention, width: number, height: number): Promise<Uint8Array> {
  const resized = sharp(mask).resize(width, height, { fit: 'fill' }).ensureAlpha();
  const raw = await resized.raw().toBuffer();
  const weights = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    if (convention === 'transparent-is-edit') weights[p] = 255 - raw[p * 4 + 3]!;
    else weights[p] = Math.round((raw[p * 4]! + raw[p * 4 + 1]! + raw[p * 4 + 2]!) / 3);
  }
  return weights;
}

export interface TransformSpec extends Omit<DrawSpec, 'width' | 'height'> {
  image: Uint8Array;
  /** 0 keeps the input, 1 ignores it. */
  strength: number;
  width?: number;
  height?: number;
}

/** image-to-image: the input blended with new content by `strength`. */
export async function transform(spec: TransformSpec): Promise<Buffer> {
  const meta = await sharp(spec.image).metadata();
  const width = spec.width ?? meta.width!;
  const height = spec.height ?? meta.height!;
  const base = await sharp(spec.image).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const fresh = await sharp(await drawPlaceholder({ ...spec, width, height, format: 'png' }))
    .removeAlpha()
    .raw()
    .toBuffer();
  const out = Buffer.alloc(base.length);
  for (let i = 0; i < base.length; i++) out[i] = Math.round(base[i]! * (1 - spec.strength) + fresh[i]! * spec.strength);
  return encode(sharp(out, { raw: { width, height, channels: 3 } }), spec.format);
}

/** A real resample (Lanczos) of the input by `scale`, or to an exact target size. */
export async function upscale(image: Uint8Array, target: { scale?: number; width?: number; height?: number }, format: OutputFormat): Promise<Buffer> {
  const meta = await sharp(image).metadata();
  const width = target.width ?? Math.round(meta.width! * (target.scale ?? 4));
  const height = target.height ?? Math.round(meta.height! * (target.scale ?? 4));
  return encode(sharp(image).resize(width, height, { kernel: 'lanczos3', fit: 'fill' }), format);
}

function encode(pipeline: Sharp, format: OutputFormat): Promise<Buffer> {
  if (format === 'jpeg') return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 88 }).toBuffer();
  if (format === 'webp') return pipeline.webp({ quality: 85 }).toBuffer();
  return pipeline.png({ compressionLevel: 6 }).toBuffer();
}

/**
 * Text for the SVG caption. Characters XML 1.0 cannot carry (NUL and the other C0 controls but tab,
 * LF and CR; unpaired surrogates; U+FFFE/U+FFFF) are dropped: a vendor that accepts such a prompt
 * still draws an image, where leaving them in made the SVG parser fail and the sandbox answer 500.
 */
const NOT_IN_XML = new RegExp(`${CONTROL.source}|[\\uFFFE\\uFFFF]|${LONE_SURROGATE.source}`, 'g');

function escapeXml(text: string): string {
  return text.replace(NOT_IN_XML, '').replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

export async function imageSize(bytes: Uint8Array): Promise<{ width: number; height: number; format: string | undefined }> {
  const meta = await sharp(bytes).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format };
}
