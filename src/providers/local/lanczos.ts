/** `local/lanczos`: a plain Lanczos-3 resample with sharp — fast, any factor, no new detail. */
import sharp from 'sharp';
import type { OutputFormat } from '../../core/task.js';
import { encodeAs, uprightSize } from './pixels.js';

export async function upscaleLanczos(bytes: Uint8Array, scale: number, format: OutputFormat): Promise<Buffer> {
  const { width, height } = await uprightSize(bytes);
  const resized = sharp(bytes)
    .autoOrient()
    .resize(width * scale, height * scale, { kernel: 'lanczos3', fit: 'fill' });
  return encodeAs(resized, format);
}
