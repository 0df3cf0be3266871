/**
 * `local/esrgan`: a real ESRGAN network (UpscalerJS's esrgan-slim weights) run in-process on
 * TensorFlow.js's wasm backend. The network sees RGB only; an alpha channel is resampled with
 * Lanczos and put back, so cut-out product shots keep their transparency.
 */
import sharp from 'sharp';
import { errorFromSignal } from '../../core/abort.js';
import { InvalidRequestError } from '../../core/errors.js';
import type { OutputFormat } from '../../core/task.js';
import { type EsrganScale, esrganTf, esrganUpscaler } from './esrgan-runtime.js';
import { decodePixels, encodeAs } from './pixels.js';

/**
 * Patches bound memory: the network's 64-channel feature maps for a whole large photo would not
 * fit. 256 px patches cost nothing on the small images product pipelines feed in (one patch),
 * and 16 px of overlap hides the seams between patches.
 */
const PATCH_SIZE = 256;
const PATCH_PADDING = 16;
/**
 * The finished image is one float32 tensor in wasm memory before it becomes bytes, built by
 * concatenating the patches (more copies), and the wasm heap never shrinks. Measured here:
 * 1024x768 x4 -> 4096x3072 peaked at 1.1 GB resident and took 36 s; the cap is that output size.
 */
export const ESRGAN_MAX_OUTPUT_PIXELS = 4096 * 3072;

export async function upscaleEsrgan(bytes: Uint8Array, hasAlpha: boolean, scale: EsrganScale, format: OutputFormat, signal: AbortSignal): Promise<Buffer> {
  const pixels = await decodePixels(bytes, hasAlpha);
  const width = pixels.width * scale;
  const height = pixels.height * scale;
  if (width * height > ESRGAN_MAX_OUTPUT_PIXELS) {
    throw new InvalidRequestError(
      `local/esrgan: ${pixels.width}x${pixels.height} upscaled x${scale} would be ${width}x${height}, above its ${ESRGAN_MAX_OUTPUT_PIXELS}-pixel limit; use a smaller scale, a smaller image, or local/lanczos`,
      { model: 'local/esrgan', provider: 'local', field: 'image' },
    );
  }
  const rgb = await runNetwork(pixels.rgb, pixels.width, pixels.height, scale, signal);
  let upscaled = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (pixels.alpha) {
    const alpha = await sharp(pixels.alpha, { raw: { width: pixels.width, height: pixels.height, channels: 1 } })
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
      .raw()
      .toBuffer();
    upscaled = upscaled.joinChannel(alpha, { raw: { width, height, channels: 1 } });
  }
  return encodeAs(upscaled, format);
}

/** RGB bytes in, RGB bytes `scale` times larger out; every tensor is disposed, also on abort. */
async function runNetwork(rgb: Buffer, width: number, height: number, scale: EsrganScale, signal: AbortSignal): Promise<Buffer> {
  if (signal.aborted) throw errorFromSignal(signal, { model: 'local/esrgan', provider: 'local' });
  const [tf, upscaler] = await Promise.all([esrganTf(), esrganUpscaler(scale)]);
  const input = tf.tensor3d(Float32Array.from(rgb), [height, width, 3], 'float32');
  try {
    const output = await upscaler.upscale(input, { output: 'tensor', patchSize: PATCH_SIZE, padding: PATCH_PADDING, awaitNextFrame: true, signal });
    try {
      // Uint8ClampedArray rounds and clamps the network's float output to 0–255 in one step.
      const clamped = Uint8ClampedArray.from(await output.data());
      return Buffer.from(clamped.buffer, clamped.byteOffset, clamped.byteLength);
    } finally {
      output.dispose();
    }
  } catch (error) {
    if (signal.aborted) throw errorFromSignal(signal, { model: 'local/esrgan', provider: 'local' });
    throw error;
  } finally {
    input.dispose();
  }
}
