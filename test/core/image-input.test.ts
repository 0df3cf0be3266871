import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.js';
import { loadImage } from '../../src/core/image-input.js';

const png = await sharp({ create: { width: 64, height: 32, channels: 4, background: '#336699' } })
  .png()
  .toBuffer();

describe('loadImage', () => {
  it('reads bytes, files and data URLs, measuring size and alpha', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-'));
    writeFileSync(join(dir, 'a.png'), png);
    for (const input of [png, join(dir, 'a.png'), `data:image/png;base64,${png.toString('base64')}`]) {
      const image = await loadImage(input, { field: 'image' });
      expect(image).toMatchObject({ width: 64, height: 32, mediaType: 'image/png', hasAlpha: true });
    }
  });

  it('names the field and the problem', async () => {
    await expect(loadImage('/no/such/file.png', { field: 'mask' })).rejects.toThrow(/mask: cannot read file/);
    await expect(loadImage(Buffer.from('not an image'), { field: 'image' })).rejects.toThrow(/image is not a readable image/);
    await expect(loadImage(png, { field: 'image', maxPixels: 1000 })).rejects.toThrow(InvalidRequestError);
    await expect(loadImage(new Uint8Array(), { field: 'image' })).rejects.toThrow(/image is empty/);
  });
});
