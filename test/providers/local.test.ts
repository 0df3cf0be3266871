import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findModel } from '../../src/catalog/index.js';
import { costOf } from '../../src/catalog/pricing.js';
import { AbortedError, InvalidRequestError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import type { LoadedImage } from '../../src/core/image.js';
import { inspectImage } from '../../src/core/image-input.js';
import { ESRGAN_SCALES, esrganTf } from '../../src/providers/local/esrgan-runtime.js';
import { localProvider } from '../../src/providers/local/index.js';
import { localRuntime } from '../../src/providers/local/runtime.js';
import type { ProviderCall } from '../../src/providers/types.js';
import { drawPlaceholder } from '../../src/sandbox/draw.js';
import { makeCall } from '../helpers/runtime.js';

async function photo(width: number, height: number): Promise<LoadedImage> {
  const png = await drawPlaceholder({ width, height, format: 'png', model: 'test', prompt: 'a red sneaker on a white table', seed: 7, grain: 0 });
  return inspectImage(png, { field: 'image' });
}

function upscaleCall(modelId: string, image: LoadedImage, overrides: Partial<ProviderCall> = {}): ProviderCall {
  return makeCall(modelId, { task: 'upscale', prompt: undefined, image, scale: 4, outputFormat: 'png', ...overrides });
}

async function rawRgb(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).removeAlpha().raw().toBuffer();
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('local/lanczos', () => {
  it('upscales 64x48 by 4 to 256x192 in the requested format', async () => {
    const image = await photo(64, 48);
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const result = await localProvider.run(upscaleCall('local/lanczos', image, { outputFormat: format }), localRuntime());
      expect(result).toMatchObject({ requestId: undefined, usage: {}, warnings: [] });
      expect(result.images).toHaveLength(1);
      const meta = await sharp(result.images[0]!.bytes).metadata();
      expect({ width: meta.width, height: meta.height, format: meta.format }).toEqual({ width: 256, height: 192, format: format });
      expect(result.images[0]!.mediaType).toBe(`image/${format}`);
    }
  });

  it('refuses a scale outside 1-8 with the allowed factors', async () => {
    const call = upscaleCall('local/lanczos', await photo(16, 16), { scale: 9 });
    const error = await localProvider.run(call, localRuntime()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    expect(error).toMatchObject({ field: 'scale', allowed: [1, 2, 3, 4, 5, 6, 7, 8], model: 'local/lanczos' });
    expect((error as Error).message).toBe('local/lanczos cannot upscale by 9; allowed: 1, 2, 3, 4, 5, 6, 7, 8');
  });

  it('rejects other tasks, unknown providerOptions, and warns about fields it ignores', async () => {
    const image = await photo(16, 16);
    await expect(localProvider.run(upscaleCall('local/lanczos', image, { task: 'generate' }), localRuntime())).rejects.toMatchObject({ field: 'task' });
    const withOption = upscaleCall('local/lanczos', image, { providerOptions: { patchSize: 64 } });
    await expect(localProvider.run(withOption, localRuntime())).rejects.toThrow(InvalidRequestError);
    const result = await localProvider.run(upscaleCall('local/lanczos', image, { prompt: 'sharper please' }), localRuntime());
    expect(result.warnings).toEqual([expect.objectContaining({ kind: 'unsupported', model: 'local/lanczos', field: 'prompt' })]);
  });
});

describe('local/esrgan', () => {
  it('upscales 48x32 by 4 to 192x128 with a network, not a resize', async () => {
    const image = await photo(48, 32);
    const esrgan = await localProvider.run(upscaleCall('local/esrgan', image), localRuntime());
    expect(esrgan).toMatchObject({ requestId: undefined, usage: {}, warnings: [] });
    const meta = await sharp(esrgan.images[0]!.bytes).metadata();
    expect({ width: meta.width, height: meta.height, format: meta.format }).toEqual({ width: 192, height: 128, format: 'png' });

    const lanczos = await localProvider.run(upscaleCall('local/lanczos', image), localRuntime());
    const fromNetwork = await rawRgb(esrgan.images[0]!.bytes);
    // Different pixels from a plain resample...
    expect(meanAbsDiff(fromNetwork, await rawRgb(lanczos.images[0]!.bytes))).toBeGreaterThan(3);
    // ...yet the same picture: shrunk back, it matches the input closely.
    const shrunk = await sharp(esrgan.images[0]!.bytes).resize(48, 32, { kernel: 'lanczos3' }).removeAlpha().raw().toBuffer();
    expect(meanAbsDiff(shrunk, await rawRgb(image.bytes))).toBeLessThan(12);
  });

  it('keeps transparency, encodes JPEG, and leaks no tensors', async () => {
    const cutout = await sharp({ create: { width: 24, height: 16, channels: 4, background: { r: 20, g: 120, b: 200, alpha: 0.4 } } })
      .png()
      .toBuffer();
    const image = await inspectImage(cutout, { field: 'image' });
    await localProvider.run(upscaleCall('local/esrgan', image, { scale: 2 }), localRuntime()); // loads the x2 model
    const tf = await esrganTf();
    const tensorsBefore = tf.memory().numTensors;

    const png = await localProvider.run(upscaleCall('local/esrgan', image, { scale: 2 }), localRuntime());
    const meta = await sharp(png.images[0]!.bytes).metadata();
    expect({ width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha }).toEqual({ width: 48, height: 32, hasAlpha: true });
    const alpha = await sharp(png.images[0]!.bytes).extractChannel(3).raw().toBuffer();
    expect(Math.abs(alpha[alpha.length >> 1]! - 102)).toBeLessThanOrEqual(2);

    const jpeg = await localProvider.run(upscaleCall('local/esrgan', image, { scale: 2, outputFormat: 'jpeg' }), localRuntime());
    expect((await sharp(jpeg.images[0]!.bytes).metadata()).format).toBe('jpeg');
    expect(jpeg.images[0]!.mediaType).toBe('image/jpeg');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses a factor the slim weights do not ship, naming the ones they do', async () => {
    const error = await localProvider.run(upscaleCall('local/esrgan', await photo(16, 16), { scale: 5 }), localRuntime()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    expect((error as Error).message).toBe('local/esrgan cannot upscale by 5; allowed: 2, 3, 4, 8');
  });

  it('refuses an output too large for memory before loading anything', async () => {
    const big = await inspectImage(
      await sharp({ create: { width: 1100, height: 1000, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
      { field: 'image' },
    );
    const error = await localProvider.run(upscaleCall('local/esrgan', big), localRuntime()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('4400x4000, above its 12582912-pixel limit');
  });

  it('stops with AbortedError when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort(new AbortedError('the request was aborted'));
    await expect(localProvider.run(upscaleCall('local/esrgan', await photo(16, 16)), localRuntime(controller.signal))).rejects.toThrow(AbortedError);
  });
});

describe('local catalog rows', () => {
  it('offer what the adapter runs, at a real $0', () => {
    expect(findModel('local/esrgan')?.scales).toEqual([...ESRGAN_SCALES]);
    for (const id of ['local/lanczos', 'local/esrgan']) {
      const model = findModel(id)!;
      expect(model).toMatchObject({ provider: 'local', tasks: ['upscale'], dimensions: { kind: 'from-input' } });
      expect(costOf(model, { images: 1, width: 1024, height: 768 }).usd).toBe(0);
    }
  });
});
