/** The OpenAI adapter against the sandbox: exact requests, mapped results, and every error path. */
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectImage } from '../../src/core/image-input.js';
import type { LoadedImage } from '../../src/core/image.js';
import { openaiProvider } from '../../src/providers/openai/index.js';
import { ImagesResponseSchema, parseImages } from '../../src/providers/openai/response.js';
import type { ProviderCall } from '../../src/providers/types.js';
import { imageSize } from '../../src/sandbox/draw.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { recordingFetch } from '../helpers/recording-fetch.js';
import { catalogModel, makeCall, sandboxRuntime, TEST_KEYS } from '../helpers/runtime.js';
import gptImageFixture from '../fixtures/openai-images-gpt-image.json' with { type: 'json' };

/** Records every request (the key is checked, then redacted); `send` is where requests go on to. */
const recorder = (send?: typeof fetch) => recordingFetch({ authorization: `Bearer ${TEST_KEYS.openai}`, send });

async function image(width: number, height: number, options: { alpha?: boolean; format?: 'png' | 'jpeg' } = {}): Promise<LoadedImage> {
  const base = sharp({ create: { width, height, channels: options.alpha ? 4 : 3, background: { r: 40, g: 90, b: 160, alpha: options.alpha ? 0.5 : 1 } } });
  const bytes = options.format === 'jpeg' ? await base.jpeg().toBuffer() : await base.png().toBuffer();
  return inspectImage(bytes, { field: 'image' });
}

let sandbox: Sandbox;
let base: string;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005, fixedKeys: { openai: TEST_KEYS.openai } });
  base = sandbox.urls.openai;
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.context.faults.configure({});
});

/** The error a run ends with (a run that succeeds fails the test). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: Error) => e,
  );
}

const run = (call: ProviderCall, overrides: Parameters<typeof sandboxRuntime>[2] = {}) =>
  openaiProvider.run(call, sandboxRuntime(sandbox, 'openai', overrides));

describe('openai adapter: requests and results', () => {
  it('dall-e-3: POST images/generations with size, quality, style and response_format b64_json; revised prompt and one charge', async () => {
    const rec = recorder();
    const call = makeCall('openai/dall-e-3', { width: 1792, height: 1024, quality: 'hd', style: 'natural' });
    const result = await run(call, { fetch: rec.fetch });
    expect(rec.calls).toEqual([
      {
        method: 'POST',
        url: `${base}/images/generations`,
        headers: { authorization: '<redacted>', 'content-type': 'application/json' },
        json: {
          model: 'dall-e-3',
          prompt: 'a cozy coffee shop interior',
          n: 1,
          size: '1792x1024',
          quality: 'hd',
          style: 'natural',
          response_format: 'b64_json',
        },
      },
    ]);
    expect(result.images).toHaveLength(1);
    expect(result.images[0]).toMatchObject({ mediaType: 'image/png', revisedPrompt: expect.stringContaining('a cozy coffee shop interior') });
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 1792, height: 1024, format: 'png' });
    expect(result.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    expect(result.usage).toEqual({});
    expect(result.warnings).toEqual([]);
    expect(sandbox.context.ledger.list().find((c) => c.requestId === result.requestId)).toMatchObject({ model: 'openai/dall-e-3', usd: 0.12, images: 1 });
  });

  it('gpt-image-1: output_format and providerOptions go on the wire, no response_format; usage tokens come back', async () => {
    const rec = recorder();
    const call = makeCall('openai/gpt-image-1', {
      n: 2,
      width: 1536,
      height: 1024,
      quality: 'low',
      outputFormat: 'webp',
      providerOptions: { background: 'transparent', output_compression: 80, moderation: 'low', user: 'user-42' },
    });
    const result = await run(call, { fetch: rec.fetch });
    expect(rec.calls[0]!.json).toEqual({
      model: 'gpt-image-1',
      prompt: 'a cozy coffee shop interior',
      n: 2,
      size: '1536x1024',
      quality: 'low',
      output_format: 'webp',
      background: 'transparent',
      moderation: 'low',
      output_compression: 80,
      user: 'user-42',
    });
    expect(result.images.map((i) => i.mediaType)).toEqual(['image/webp', 'image/webp']);
    expect(await imageSize(result.images[1]!.bytes)).toMatchObject({ width: 1536, height: 1024, format: 'webp' });
    expect(result.usage.outputTokens).toBe(2 * 408);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(sandbox.context.ledger.list().find((c) => c.requestId === result.requestId)).toMatchObject({ usd: 0.032, images: 2 });
  });

  it('warns, and sends nothing, for fields OpenAI does not take: seed, negative prompt, style on gpt-image, gpt-image options on DALL·E', async () => {
    const rec = recorder();
    const gpt = await run(
      makeCall('openai/gpt-image-1-mini', { seed: 7, negativePrompt: 'blurry', style: 'vivid', providerOptions: { output_compression: 50 } }),
      { fetch: rec.fetch },
    );
    expect(rec.calls[0]!.json).toEqual({ model: 'gpt-image-1-mini', prompt: 'a cozy coffee shop interior', n: 1, output_format: 'png' });
    expect(gpt.warnings.map((w) => [w.kind, w.model, w.field])).toEqual([
      ['unsupported', 'openai/gpt-image-1-mini', 'seed'],
      ['unsupported', 'openai/gpt-image-1-mini', 'negativePrompt'],
      ['unsupported', 'openai/gpt-image-1-mini', 'style'],
      ['unsupported', 'openai/gpt-image-1-mini', 'providerOptions.openai.output_compression'],
    ]);
    const dalle = await run(makeCall('openai/dall-e-2', { width: 256, height: 256, providerOptions: { background: 'opaque' } }));
    expect(dalle.warnings).toEqual([expect.objectContaining({ kind: 'unsupported', field: 'providerOptions.openai.background' })]);
  });

  it('gpt-image-2 sends a free size', async () => {
    const rec = recorder();
    const result = await run(makeCall('openai/gpt-image-2', { width: 1280, height: 720, quality: 'low' }), { fetch: rec.fetch });
    expect(rec.calls[0]!.json).toMatchObject({ model: 'gpt-image-2', size: '1280x720' });
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 1280, height: 720 });
  });

  it('dall-e-2 edit: multipart with image and mask as PNG files; a JPEG input is converted to PNG', async () => {
    const rec = recorder();
    const mask = await image(256, 256, { alpha: true });
    const call = makeCall('openai/dall-e-2', { task: 'edit', image: await image(256, 256, { format: 'jpeg' }), mask, width: 256, height: 256, n: 2 });
    const result = await run(call, { fetch: rec.fetch });
    expect(rec.calls[0]).toMatchObject({ method: 'POST', url: `${base}/images/edits`, headers: { authorization: '<redacted>' } });
    expect(rec.calls[0]!.headers).not.toHaveProperty('content-type', 'application/json');
    expect(rec.calls[0]!.fields).toEqual({
      model: 'dall-e-2',
      prompt: 'a cozy coffee shop interior',
      n: '2',
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(rec.calls[0]!.files).toEqual([
      { field: 'image', name: 'image.png', type: 'image/png', size: expect.any(Number) },
      { field: 'mask', name: 'mask.png', type: 'image/png', size: mask.bytes.length },
    ]);
    expect(result.images).toHaveLength(2);
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 256, height: 256, format: 'png' });
  });

  it('gpt-image-1 edit sends input_fidelity; a mask without alpha is refused before any request', async () => {
    const rec = recorder();
    const call = makeCall('openai/gpt-image-1', {
      task: 'edit',
      image: await image(512, 512),
      width: 1024,
      height: 1024,
      providerOptions: { input_fidelity: 'high' },
    });
    await run(call, { fetch: rec.fetch });
    expect(rec.calls[0]!.fields).toMatchObject({
      model: 'gpt-image-1',
      input_fidelity: 'high',
      output_format: 'png',
      size: '1024x1024',
    });
    expect(rec.calls[0]!.files).toContainEqual(expect.objectContaining({ field: 'image', name: 'image.png' }));
    expect(rec.calls[0]!.fields).not.toHaveProperty('response_format');

    const opaque = recorder();
    const bad = makeCall('openai/gpt-image-1', { task: 'edit', image: await image(64, 64), mask: await image(64, 64) });
    await expect(run(bad, { fetch: opaque.fetch })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      field: 'mask',
      message: expect.stringContaining('alpha'),
    });
    expect(opaque.calls).toEqual([]);
  });

  it('dall-e-2 variation: multipart without prompt', async () => {
    const rec = recorder();
    const call = makeCall('openai/dall-e-2', { task: 'variation', prompt: undefined, image: await image(128, 128), width: 512, height: 512 });
    const result = await run(call, { fetch: rec.fetch });
    expect(rec.calls[0]).toMatchObject({ url: `${base}/images/variations` });
    expect(rec.calls[0]!.fields).toEqual({
      model: 'dall-e-2',
      n: '1',
      size: '512x512',
      response_format: 'b64_json',
    });
    expect(rec.calls[0]!.files).toEqual([{ field: 'image', name: 'image.png', type: 'image/png', size: expect.any(Number) }]);
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 512, height: 512 });
  });

  it('downloads URL outputs (an OpenAI-compatible host that answers with url)', async () => {
    // Recorded as the adapter sent it, then sent on asking for URLs.
    const asUrls: typeof fetch = (input, init) =>
      globalThis.fetch(input, typeof init?.body === 'string' ? { ...init, body: JSON.stringify({ ...JSON.parse(init.body), response_format: 'url' }) } : init);
    const rec = recorder(asUrls);
    const result = await run(makeCall('openai/dall-e-2', { width: 256, height: 256 }), { fetch: rec.fetch });
    expect(rec.calls[1]).toMatchObject({ method: 'GET', headers: {} });
    expect(rec.calls[1]!.url.startsWith(`${sandbox.url}/files/openai/`)).toBe(true);
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 256, height: 256, format: 'png' });
  });

  it('rejects an unknown providerOptions.openai option, naming the allowed ones', async () => {
    await expect(run(makeCall('openai/gpt-image-1', { providerOptions: { style: 'vivid' } }))).rejects.toMatchObject({
      name: 'InvalidRequestError',
      field: 'providerOptions.openai.style',
      message: expect.stringContaining('allowed: background, moderation, output_compression, input_fidelity, user'),
    });
  });

  it('maps the recorded gpt-image shape; empty data is NoImageGeneratedError', () => {
    const parsed = parseImages(ImagesResponseSchema.parse(gptImageFixture), { model: 'm', requestId: 'req_1' });
    expect(parsed.outputs).toEqual([{ kind: 'bytes', bytes: expect.any(Uint8Array), mediaType: 'image/png' }]);
    expect(parsed.usage).toEqual({ inputTokens: 50, outputTokens: 272 });
    expect(() => parseImages({ created: 1, data: [] }, { model: 'm', requestId: 'req_1' })).toThrow(
      expect.objectContaining({ name: 'NoImageGeneratedError', requestId: 'req_1' }),
    );
  });
});

describe('openai adapter: error paths', () => {
  const script = (steps: unknown[]) => sandbox.context.faults.configure({ script: [{ vendor: 'openai', path: '/images/', steps: steps as never }] });
  const dalle2 = () => makeCall('openai/dall-e-2', { width: 256, height: 256 });

  it('400: the vendor validation error, with its code and request id', async () => {
    const call = makeCall('openai/gpt-image-2', { width: 3840, height: 1024 });
    await expect(run(call)).rejects.toMatchObject({
      name: 'InvalidRequestError',
      status: 400,
      vendorCode: 'invalid_value',
      requestId: expect.stringMatching(/^req_/),
    });
  });

  it('401: AuthenticationError, and the key is not in the message', async () => {
    const error = await failure(run(dalle2(), { apiKey: () => 'sk-wrong-key' }));
    expect(error).toMatchObject({ name: 'AuthenticationError', status: 401, vendorCode: 'invalid_api_key' });
    expect(error.message).not.toContain('sk-wrong-key');
  });

  it('moderation: ContentRejectedError for DALL·E (content_policy_violation) and gpt-image (moderation_blocked); prompt not echoed', async () => {
    const prompt = 'secret words [sandbox:moderation]';
    const dalle = await failure(run(makeCall('openai/dall-e-3', { prompt, width: 1024, height: 1024 })));
    expect(dalle).toMatchObject({ name: 'ContentRejectedError', status: 400, vendorCode: 'content_policy_violation', retryable: false });
    expect(dalle.message).not.toContain('secret words');
    await expect(run(makeCall('openai/gpt-image-1', { prompt }))).rejects.toMatchObject({ name: 'ContentRejectedError', vendorCode: 'moderation_blocked' });
  });

  it('403 PermissionDenied, 404 NotFound (unknown model), 422 InvalidRequest', async () => {
    script([403]);
    await expect(run(dalle2())).rejects.toMatchObject({ name: 'PermissionDeniedError', status: 403, vendorCode: 'unsupported_country_region_territory' });
    const unknown = { ...dalle2(), model: { ...catalogModel('openai/dall-e-2'), id: 'openai/dall-e-9', vendorModel: 'dall-e-9' } };
    await expect(run(unknown)).rejects.toMatchObject({ name: 'NotFoundError', status: 404, vendorCode: 'model_not_found' });
    script([422]);
    await expect(run(dalle2())).rejects.toMatchObject({ name: 'InvalidRequestError', status: 422 });
  });

  it('429: RateLimitedError with retry-after-ms (time-scaled)', async () => {
    script([{ status: 429, retryAfterMs: 8000 }]);
    await expect(run(dalle2())).rejects.toMatchObject({
      name: 'RateLimitedError',
      status: 429,
      retryable: true,
      retryAfterMs: 4,
      vendorCode: 'rate_limit_exceeded',
    });
  });

  it('5xx and a malformed body: ProviderUnavailableError (retryable), nothing charged', async () => {
    const before = sandbox.context.ledger.list().length;
    script([500, 503, 'malformed']);
    await expect(run(dalle2())).rejects.toMatchObject({ name: 'ProviderUnavailableError', status: 500, retryable: true });
    await expect(run(dalle2())).rejects.toMatchObject({ name: 'ProviderUnavailableError', status: 503, retryAfterMs: 0.5 });
    await expect(run(dalle2())).rejects.toMatchObject({ name: 'ProviderUnavailableError', message: expect.stringContaining('malformed') });
    expect(sandbox.context.ledger.list()).toHaveLength(before);
  });

  it('timeout and abort while the vendor hangs', async () => {
    script(['hang']);
    await expect(run(dalle2(), { timeoutMs: 50 })).rejects.toMatchObject({ name: 'TimeoutError' });
    script(['hang']);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(run(dalle2(), { parentSignal: controller.signal })).rejects.toMatchObject({ name: 'AbortedError' });
  });
});
