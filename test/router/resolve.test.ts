import { describe, expect, it } from 'vitest';
import { InvalidRequestError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import { resolveCalls } from '../../src/router/resolve.js';
import { parseRequest } from '../../src/easel.js';
import { freeModel, ratioModel, testModel } from '../helpers/models.js';

const none = { image: undefined, mask: undefined };
const resolve = (fields: Parameters<typeof parseRequest>[0], model = testModel()) => resolveCalls(parseRequest(fields), 'generate', model, none);

describe('resolveCalls', () => {
  it('uses the model default size when none is asked for', () => {
    const { calls, warnings } = resolve({ prompt: 'p' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ width: 1024, height: 1024, n: 1, outputFormat: 'png' });
    expect(warnings).toEqual([]);
  });

  it('fails loudly on a size the model cannot make, naming model, field and what is allowed', () => {
    const error = (() => {
      try {
        resolve({ prompt: 'p', size: '1536x1024' });
      } catch (e) {
        return e;
      }
    })() as UnsupportedCapabilityError;
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    expect(error.model).toBe('test/sized');
    expect(error.field).toBe('size');
    expect(error.message).toContain('1792x1024');
    expect(error.allowed).toEqual(['1024x1024', '1792x1024', '1024x1792']);
  });

  it('adjusts to the nearest size with a warning when allowed', () => {
    const { calls, warnings } = resolve({ prompt: 'p', size: '1536x1024', allowAdjustments: true });
    expect(calls[0]).toMatchObject({ width: 1792, height: 1024 });
    expect(warnings).toEqual([expect.objectContaining({ kind: 'adjusted', field: 'size', requested: '1536x1024', applied: '1792x1024' })]);
  });

  it('maps an aspect ratio onto the nearest listed size, warning when the shape is off', () => {
    const { calls, warnings } = resolve({ prompt: 'p', aspectRatio: '16:9' });
    expect(calls[0]).toMatchObject({ width: 1792, height: 1024 });
    expect(warnings[0]).toMatchObject({ kind: 'adjusted', field: 'aspectRatio' });
    expect(() => resolve({ prompt: 'p', aspectRatio: '4:3' })).toThrow(UnsupportedCapabilityError);
  });

  it('resolves ratio-based models to a ratio label and its pixel size', () => {
    const { calls } = resolve({ prompt: 'p', aspectRatio: '16:9' }, ratioModel);
    expect(calls[0]).toMatchObject({ aspectRatio: '16:9', width: 1344, height: 768 });
    expect(resolve({ prompt: 'p', size: '768x1344' }, ratioModel).calls[0]).toMatchObject({ aspectRatio: '9:16' });
    expect(() => resolve({ prompt: 'p', size: '1024x576' }, ratioModel)).toThrow(/16:9/);
  });

  it('snaps free sizes to the model grid only with permission', () => {
    expect(resolve({ prompt: 'p', size: '1024x576' }, freeModel).calls[0]).toMatchObject({ width: 1024, height: 576 });
    expect(() => resolve({ prompt: 'p', size: '1000x570' }, freeModel)).toThrow(/multiples of 16/);
    const { calls, warnings } = resolve({ prompt: 'p', size: '1000x570', allowAdjustments: true }, freeModel);
    expect(calls[0]).toMatchObject({ width: 1008, height: 576 });
    expect(warnings[0]).toMatchObject({ field: 'size', applied: '1008x576' });
  });

  it('keeps an input image’s size on free-size models unless another is asked for', () => {
    const image = { bytes: new Uint8Array(), mediaType: 'image/png', format: 'png' as const, width: 800, height: 600, hasAlpha: false };
    const edit = { ...freeModel, tasks: ['image-to-image' as const] };
    expect(resolveCalls(parseRequest({ prompt: 'p' }), 'image-to-image', edit, { image, mask: undefined }).calls[0]).toMatchObject({ width: 800, height: 608 });
    expect(resolveCalls(parseRequest({ prompt: 'p', size: '512x512' }), 'image-to-image', edit, { image, mask: undefined }).calls[0]).toMatchObject({
      width: 512,
      height: 512,
    });
  });

  it('splits n above the per-call limit into parallel calls with consecutive seeds', () => {
    const { calls } = resolve({ prompt: 'p', n: 10, seed: 7 }, freeModel);
    expect(calls.map((c) => c.n)).toEqual([4, 4, 2]);
    expect(calls.map((c) => c.seed)).toEqual([7, 11, 15]);
  });

  it('refuses fields the model cannot honour, or drops them with a warning', () => {
    expect(() => resolve({ prompt: 'p', negativePrompt: 'blur' })).toThrow(/negative prompt/);
    expect(() => resolve({ prompt: 'p', seed: 1 })).toThrow(UnsupportedCapabilityError);
    const { calls, warnings } = resolve({ prompt: 'p', seed: 1, negativePrompt: 'blur', allowAdjustments: true });
    expect(calls[0]!.seed).toBeUndefined();
    expect(calls[0]!.negativePrompt).toBeUndefined();
    expect(warnings.map((w) => [w.kind, w.field])).toEqual([
      ['unsupported', 'negativePrompt'],
      ['unsupported', 'seed'],
    ]);
  });

  it('checks quality, format and task against the catalog row', () => {
    expect(resolve({ prompt: 'p', quality: 'hd' }).calls[0]!.quality).toBe('hd');
    expect(() => resolve({ prompt: 'p', quality: 'low' })).toThrow(/allowed: standard, hd/);
    expect(() => resolve({ prompt: 'p', outputFormat: 'webp' })).toThrow(/allowed: png/);
    expect(() => resolveCalls(parseRequest({ prompt: 'p' }), 'edit', testModel(), none)).toThrow(/cannot edit; it can: generate/);
  });

  it('warns about retired models', () => {
    const retired = testModel({ lifecycle: { status: 'shutdown', shutdownDate: '2026-05-12', replacement: 'openai/gpt-image-1' } });
    const { warnings } = resolve({ prompt: 'p' }, retired);
    expect(warnings[0]).toMatchObject({ kind: 'deprecated' });
    expect(warnings[0]!.message).toContain('2026-05-12');
  });

  it('needs a prompt to generate and an image to transform', () => {
    expect(() => resolve({})).toThrow(InvalidRequestError);
    expect(() => resolveCalls(parseRequest({ prompt: 'p' }), 'image-to-image', ratioModel, none)).toThrow(/needs an input image/);
  });
});

describe('parseRequest', () => {
  it('names the field and what is allowed', () => {
    expect(() => parseRequest({ prompt: 'p', size: 'big' })).toThrow(/size: size must look like WIDTHxHEIGHT/);
    expect(() => parseRequest({ prompt: 'p', n: 0 })).toThrow(/n:/);
    expect(() => parseRequest({ prompt: 'p', colour: 'red' } as never)).toThrow(/unknown field colour/);
    expect(() => parseRequest({ prompt: 'p', size: '1024x1024', aspectRatio: '1:1' })).toThrow(/not both/);
  });
});
