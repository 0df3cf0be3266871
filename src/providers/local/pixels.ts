/**
 * Decoding and encoding for the local upscalers. Inputs are auto-oriented first: encoders drop the
 * EXIF orientation tag, so a phone photo upscaled without it would come back lying on its side.
 */
import sharp, { type Sharp } from 'sharp';
import type { OutputFormat } from '../../core/task.js';

export interface DecodedPixels {
  /** Interleaved 8-bit RGB, row-major. */
  rgb: Buffer;
  /** 8-bit alpha, one byte per pixel, when the input has transparency. */
  alpha: Buffer | undefined;
  width: number;
  height: number;
}

/** Upright pixel size of an image (EXIF orientations 5–8 swap width and height). */
export async function uprightSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  const meta = await sharp(bytes).metadata();
  return { width: meta.autoOrient.width, height: meta.autoOrient.height };
}

export async function decodePixels(bytes: Uint8Array, hasAlpha: boolean): Promise<DecodedPixels> {
  const upright = sharp(bytes).autoOrient().toColourspace('srgb');
  const { data, info } = await upright.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const alpha = hasAlpha ? await upright.clone().extractChannel(3).raw().toBuffer() : undefined;
  return { rgb: data, alpha, width: info.width, height: info.height };
}

export function encodeAs(pipeline: Sharp, format: OutputFormat): Promise<Buffer> {
  // JPEG has no alpha: flatten onto white, the usual product-photo background, instead of black.
  if (format === 'jpeg') return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 92, mozjpeg: true }).toBuffer();
  if (format === 'webp') return pipeline.webp({ quality: 90 }).toBuffer();
  return pipeline.png({ compressionLevel: 6 }).toBuffer();
}
