/**
 * One mask convention for every vendor. A user's mask marks the area to edit either with
 * transparency (OpenAI's way: transparent pixels are edited) or, when it has no transparent pixel,
 * with white (Stability's and SDXL's way: white is repainted, black kept). Before a call, easel
 * redraws the mask in the convention the chosen model reads, so the same mask edits the same area
 * whichever vendor runs it.
 */
import sharp from 'sharp';
import type { LoadedImage } from './image.js';

export type MaskConvention = 'transparent-is-edit' | 'white-is-edit';

/** 0 = keep, 255 = edit, per pixel. */
async function editWeights(mask: LoadedImage): Promise<{ weights: Uint8Array; transparent: boolean }> {
  const raw = await sharp(mask.bytes).ensureAlpha().raw().toBuffer();
  const pixels = mask.width * mask.height;
  let transparent = false;
  for (let p = 0; p < pixels; p++) {
    if (raw[p * 4 + 3]! < 255) {
      transparent = true;
      break;
    }
  }
  const weights = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    weights[p] = transparent ? 255 - raw[p * 4 + 3]! : Math.round((raw[p * 4]! + raw[p * 4 + 1]! + raw[p * 4 + 2]!) / 3);
  }
  return { weights, transparent };
}

export async function maskInConvention(mask: LoadedImage, convention: MaskConvention): Promise<LoadedImage> {
  const { weights, transparent } = await editWeights(mask);
  if ((convention === 'transparent-is-edit') === transparent && mask.format === 'png') return mask;
  const { width, height } = mask;
  let bytes: Buffer;
  if (convention === 'transparent-is-edit') {
    const rgba = Buffer.alloc(width * height * 4);
    for (let p = 0; p < width * height; p++) rgba[p * 4 + 3] = 255 - weights[p]!;
    bytes = await sharp(rgba, { raw: { width, height, channels: 4 } })
      .png()
      .toBuffer();
  } else {
    bytes = await sharp(Buffer.from(weights), { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer();
  }
  return { bytes: new Uint8Array(bytes), mediaType: 'image/png', format: 'png', width, height, hasAlpha: convention === 'transparent-is-edit' };
}
