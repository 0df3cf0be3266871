/**
 * Checks the uploaded files of edits and variations the way the API does: DALL·E 2 takes one square
 * PNG under 4 MB; gpt-image models up to 16 png/webp/jpeg files under 50 MB; a mask is a PNG with
 * an alpha channel, the size of the (first) image. Without a mask, DALL·E 2 edits the image's own
 * transparent pixels, so that image needs an alpha channel.
 */
import type { Context } from 'hono';
import sharp from 'sharp';
import type { SandboxEnv } from '../context.js';
import { openaiError } from './errors.js';
import type { ImageJob } from './validate.js';

export interface InputImage {
  bytes: Uint8Array;
  format: string;
  width: number;
  height: number;
  hasAlpha: boolean;
}

export interface JobInputs {
  images: InputImage[];
  mask: InputImage | undefined;
}

const MB = 1024 * 1024;

export async function checkInputs(c: Context<SandboxEnv>, job: ImageJob, files: File[], maskFile: File | undefined): Promise<JobInputs | Response> {
  const bad = (message: string, param = 'image') => openaiError(c, 400, { message, param, code: 'invalid_image' });
  if (files.length === 0) return openaiError(c, 400, { message: "Missing required parameter: 'image'.", param: 'image', code: 'missing_required_parameter' });
  const dalle = job.spec.family === 'dall-e-2';
  if (dalle && files.length > 1) return bad(`${job.spec.name} takes exactly one image; got ${files.length}.`);
  if (files.length > 16) return bad(`Too many images: at most 16, got ${files.length}.`);

  const images: InputImage[] = [];
  for (const [i, file] of files.entries()) {
    const limit = dalle ? 4 * MB : 50 * MB;
    if (file.size > limit) return bad(`Image ${i + 1} is ${(file.size / MB).toFixed(1)} MB; the limit is ${limit / MB} MB.`);
    const image = await inspect(file);
    const allowed = dalle ? ['png'] : ['png', 'jpeg', 'webp'];
    if (!image || !allowed.includes(image.format)) {
      return bad(`Invalid image file or mode for image ${i + 1}: ${dalle ? 'uploaded image must be a PNG' : 'supported formats are png, jpeg and webp'}.`);
    }
    if (dalle && image.width !== image.height) return bad(`Uploaded image must be square; image ${i + 1} is ${image.width}x${image.height}.`);
    images.push(image);
  }

  let mask: InputImage | undefined;
  if (maskFile) {
    if (maskFile.size > 4 * MB) return bad('The mask must be less than 4 MB.', 'mask');
    mask = await inspect(maskFile);
    if (!mask || mask.format !== 'png') return bad('Invalid mask image format - the mask must be a PNG.', 'mask');
    if (!mask.hasAlpha) return bad("Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.", 'mask');
    const first = images[0]!;
    if (mask.width !== first.width || mask.height !== first.height) return bad('Invalid mask image format - mask size does not match image size', 'mask');
  } else if (dalle && job.endpoint === 'edits' && !images[0]!.hasAlpha) {
    // No mask: the image's transparent pixels are the area to edit, so it must have some.
    return bad("Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.");
  }
  return { images, mask };
}

async function inspect(file: File): Promise<InputImage | undefined> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height || !meta.format) return undefined;
    return { bytes, format: meta.format, width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha === true };
  } catch {
    return undefined;
  }
}
