import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspectImage } from '../../src/core/image-input.js';
import { maskInConvention } from '../../src/core/mask.js';

const SIZE = 32;
/** A mask whose centre 16x16 square is the area to edit, drawn either way. */
async function mask(style: 'transparent' | 'white') {
  const raw = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const edit = x >= 8 && x < 24 && y >= 8 && y < 24;
      const i = (y * SIZE + x) * 4;
      if (style === 'transparent') raw[i + 3] = edit ? 0 : 255;
      else (raw.fill(edit ? 255 : 0, i, i + 3), (raw[i + 3] = 255));
    }
  return inspectImage(
    await sharp(raw, { raw: { width: SIZE, height: SIZE, channels: 4 } })
      .png()
      .toBuffer(),
    { field: 'mask' },
  );
}

async function editedArea(bytes: Uint8Array, convention: 'transparent-is-edit' | 'white-is-edit'): Promise<number> {
  const raw = await sharp(bytes).ensureAlpha().raw().toBuffer();
  let count = 0;
  for (let p = 0; p < SIZE * SIZE; p++) if (convention === 'transparent-is-edit' ? raw[p * 4 + 3] === 0 : raw[p * 4] === 255) count++;
  return count;
}

describe('maskInConvention', () => {
  it.each([
    ['transparent', 'white-is-edit'],
    ['white', 'transparent-is-edit'],
    ['white', 'white-is-edit'],
    ['transparent', 'transparent-is-edit'],
  ] as const)('a %s mask marks the same 16x16 area for a %s vendor', async (style, convention) => {
    const converted = await maskInConvention(await mask(style), convention);
    expect(await editedArea(converted.bytes, convention)).toBe(256);
  });
});
