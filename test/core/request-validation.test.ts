/**
 * Sizes, counts and text are refused at the request schema with a message naming the field and
 * what is allowed, so nothing malformed reaches the size arithmetic or a vendor.
 */
import { describe, expect, it } from 'vitest';
import { lookupModel } from '../../src/catalog/index.js';
import { resolveDimensions } from '../../src/router/dimensions.js';
import { InvalidRequestError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import { resolveCalls } from '../../src/router/resolve.js';
import { characterCount, textProblem } from '../../src/core/text.js';
import { parseRequest } from '../../src/easel.js';
import { planRoute } from '../../src/router/plan.js';
import { freeModel, ratioModel, testModel } from '../helpers/models.js';

function refusal(fields: Parameters<typeof parseRequest>[0]): InvalidRequestError {
  try {
    parseRequest(fields);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error(`accepted ${JSON.stringify(fields)}`);
}

describe('request schema', () => {
  it.each(['0x0', '512x0', '0x512', '00000x00000', '0512x512', ' 512x512', '512x512 ', '512 x 512', '-1x5', '512X512', '1e3x1e3', '512x512x1', ''])(
    'refuses size %j, saying what a size looks like',
    (size) => {
      const error = refusal({ prompt: 'p', size });
      expect(error.field).toBe('size');
      expect(error.message).toMatch(/size/);
    },
  );

  it('refuses absurd sizes, naming the bound', () => {
    expect(refusal({ prompt: 'p', size: '16385x1' }).message).toContain('at most 16384 px');
    expect(refusal({ prompt: 'p', size: '99999x99999' }).message).toContain('16384');
    expect(refusal({ prompt: 'p', size: '16384x16384' }).message).toContain('at most 67108864 pixels (8192x8192)');
    expect(parseRequest({ prompt: 'p', size: '16384x4096' }).size).toBe('16384x4096');
    expect(parseRequest({ prompt: 'p', size: '1x1' }).size).toBe('1x1');
  });

  it.each(['0:0', '16:0', '0:9', '0.0:1'])('refuses aspect ratio %j with a zero side', (aspectRatio) => {
    expect(refusal({ prompt: 'p', aspectRatio }).message).toContain('above 0');
  });

  it.each([0, -1, 65, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses n = %s', (n) => {
    expect(refusal({ prompt: 'p', n }).field).toBe('n');
  });

  it.each([-1, 4_294_967_295, 0.5, Number.NaN])('refuses seed = %s (allowed: whole numbers 0–4294967294)', (seed) => {
    expect(refusal({ prompt: 'p', seed }).field).toBe('seed');
  });

  it('refuses a NUL in the prompt or negative prompt with a message naming it and where it is', () => {
    const error = refusal({ prompt: 'a fox\u0000 in snow' });
    expect(error.field).toBe('prompt');
    expect(error.message).toBe(
      'invalid request: prompt: prompt contains a NUL character (U+0000) at position 5; remove it (tab, line feed and carriage return are the only control characters allowed)',
    );
    expect(refusal({ prompt: 'p', negativePrompt: '\u0000' }).field).toBe('negativePrompt');
  });

  it('refuses other C0 controls but keeps tab, line feed and carriage return', () => {
    expect(refusal({ prompt: 'bell\u0007' }).message).toContain('the control character U+0007 at position 4');
    expect(refusal({ prompt: 'escape \u001b[31m' }).message).toContain('U+001B');
    expect(parseRequest({ prompt: 'two\nlines\r\nand\ta tab' }).prompt).toBe('two\nlines\r\nand\ta tab');
  });

  it('refuses unpaired surrogates; accepts emoji, combining marks, right-to-left text and zero-width joiners', () => {
    expect(refusal({ prompt: 'half \ud83e' }).message).toContain('not valid Unicode: an unpaired surrogate (U+D83E) at position 5');
    expect(refusal({ prompt: '\udd8a tail' }).message).toContain('unpaired surrogate (U+DD8A)');
    for (const prompt of ['🦊 fox', 'e\u0301', 'مرحبا \u202e', '👩\u200d🚀', '\ufeffbom']) expect(parseRequest({ prompt }).prompt).toBe(prompt);
  });

  it('applies the text rules to model and style too', () => {
    expect(refusal({ prompt: 'p', model: 'openai/gpt-image-1\u0000' }).field).toBe('model');
    expect(refusal({ prompt: 'p', model: 'x'.repeat(257) }).message).toContain('at most 256 characters');
    expect(refusal({ prompt: 'p', style: 'vivid\u0001' }).field).toBe('style');
  });

  it('refuses a timeout Node.js cannot set (it would fire at once)', () => {
    expect(refusal({ prompt: 'p', timeoutMs: 2 ** 31 }).message).toContain('at most 2147483647');
  });
});

describe('text rules', () => {
  it('counts characters as code points: an emoji is one', () => {
    expect(characterCount('🦊🦊')).toBe(2);
    expect('🦊🦊'.length).toBe(4);
    expect(textProblem('fine\ttext', 'prompt')).toBeUndefined();
  });
});

describe('resolveDimensions without the schema', () => {
  const ask = (size: string) => ({ size, allowAdjustments: false });
  it.each([
    ['a size list', testModel()],
    ['a ratio table', ratioModel],
    ['a free range', freeModel],
  ])('turns an unreadable size on %s into an InvalidRequestError naming the field, not a TypeError', (_kind, model) => {
    for (const size of ['0x0', '512x0', 'big']) {
      expect(() => resolveDimensions(model, ask(size), [])).toThrow(InvalidRequestError);
      expect(() => resolveDimensions(model, ask(size), [])).toThrow(/size "[^"]*" is not a size: use WIDTHxHEIGHT/);
    }
    expect(() => resolveDimensions(model, { aspectRatio: '0:0', allowAdjustments: false }, [])).toThrow(/aspectRatio "0:0" is not a ratio/);
  });
});

describe('prompt length per model', () => {
  const none = { image: undefined, mask: undefined };
  it('a named model refuses a prompt over its limit with a 400-class error naming the limit', () => {
    const dalle2 = lookupModel('openai/dall-e-2')!;
    const error = (() => {
      try {
        resolveCalls(parseRequest({ prompt: 'x'.repeat(1001) }), 'generate', dalle2, none);
      } catch (e) {
        return e;
      }
    })() as UnsupportedCapabilityError;
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    expect(error.field).toBe('prompt');
    expect(error.message).toBe('openai/dall-e-2 takes prompts of at most 1000 characters; this one has 1001');
    // Counted in characters, as the vendor does: 1000 emoji are 2000 UTF-16 units and still fit.
    expect(() => resolveCalls(parseRequest({ prompt: '🦊'.repeat(1000) }), 'generate', dalle2, none)).not.toThrow();
  });

  it('auto routing leaves out models whose limit the prompt exceeds, saying why', () => {
    const request = parseRequest({ prompt: 'x'.repeat(5000) });
    const plan = planRoute({ request, task: 'generate', model: undefined, policy: {}, inputs: none });
    const rejected = (id: string) => plan.candidates.find((c) => c.model === id)?.rejectedBecause;
    expect(rejected('stability/sdxl-1.0')).toBe('stability/sdxl-1.0 takes prompts of at most 2000 characters; this one has 5000');
    expect(rejected('stability/core')).toBeUndefined();
    expect(plan.ranked.every((c) => (c.model.maxPromptLength ?? Infinity) >= 5000)).toBe(true);
    expect(plan.ranked.length).toBeGreaterThan(0);
  });
});
