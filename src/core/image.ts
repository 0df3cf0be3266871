/** An image easel holds in memory: an input it loaded, or an output a vendor returned. */
import type { OutputFormat } from './task.js';

export interface LoadedImage {
  bytes: Uint8Array;
  mediaType: string;
  format: OutputFormat | 'gif' | 'tiff' | 'avif' | 'heif' | 'svg';
  width: number;
  height: number;
  /** Whether the image has an alpha channel (OpenAI masks need one). */
  hasAlpha: boolean;
}

/** The image as a `data:` URI: how vendors that take file inputs as URLs (Replicate, FAL) accept bytes inline. */
export function dataUri(image: Pick<LoadedImage, 'bytes' | 'mediaType'>): string {
  return `data:${image.mediaType};base64,${Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64')}`;
}
