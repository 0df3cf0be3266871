/** The Stability adapter against the sandbox: exact multipart requests, results, async polling, errors. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  AuthenticationError,
  ContentRejectedError,
  InvalidRequestError,
  NotFoundError,
  ProviderUnavailableError,
  RateLimitedError,
  TimeoutError,
} from '../../src/core/errors.js';
import { inspectImage } from '../../src/core/image-input.js';
import { stabilityProvider } from '../../src/providers/stability/index.js';
import type { ProviderRuntime } from '../../src/providers/types.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingFetch } from '../helpers/recording-fetch.js';
import { makeCall, sandboxRuntime, TEST_KEYS, withSandboxFault } from '../helpers/runtime.js';
import { until } from '../helpers/until.js';

/** Records every request (the key is checked, then redacted). */
const recorder = () => recordingFetch({ authorization: `Bearer ${TEST_KEYS.stability}` });

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, fixedKeys: { stability: TEST_KEYS.stability } });
});
afterAll(() => sandbox.close());

const runtime = (overrides: Partial<ProviderRuntime> & { timeoutMs?: number } = {}) => sandboxRuntime(sandbox, 'stability', overrides);
const png = async (w: number, h: number) =>
  inspectImage(
    await sharp({ create: { width: w, height: h, channels: 3, background: '#468' } })
      .png()
      .toBuffer(),
    { field: 'image' },
  );

describe('stability adapter: requests and results', () => {
  it('core: multipart fields, Accept image/*, seed and format from the answer', async () => {
    const rec = recorder();
    const result = await stabilityProvider.run(
      makeCall('stability/core', { negativePrompt: 'blurry', aspectRatio: '16:9', seed: 42, outputFormat: 'png', style: 'photographic' }),
      runtime({ fetch: rec.fetch }),
    );
    expect(rec.calls).toEqual([
      {
        method: 'POST',
        url: `${sandbox.urls.stability}/v2beta/stable-image/generate/core`,
        headers: { authorization: '<redacted>', accept: 'image/*' },
        fields: {
          prompt: 'a cozy coffee shop interior',
          negative_prompt: 'blurry',
          seed: '42',
          output_format: 'png',
          style_preset: 'photographic',
          aspect_ratio: '16:9',
        },
        files: [],
        json: undefined,
      },
    ]);
    expect(result.images[0]).toMatchObject({ mediaType: 'image/png', seed: 42 });
    expect(result.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('sd3.5: sends the model, and image-to-image with strength', async () => {
    const rec = recorder();
    await stabilityProvider.run(
      makeCall('stability/sd3.5-large', { task: 'image-to-image', image: await png(256, 256), strength: 0.7, outputFormat: 'jpeg' }),
      runtime({ fetch: rec.fetch }),
    );
    expect(rec.calls[0]).toMatchObject({
      url: expect.stringContaining('/generate/sd3'),
      fields: { model: 'sd3.5-large', mode: 'image-to-image', strength: '0.7', output_format: 'jpeg' },
      files: [{ field: 'image' }],
    });
  });

  it('inpaint sends image and mask', async () => {
    const rec = recorder();
    const result = await stabilityProvider.run(
      makeCall('stability/inpaint', { task: 'edit', image: await png(128, 128), mask: await png(128, 128) }),
      runtime({ fetch: rec.fetch }),
    );
    expect(rec.calls[0]).toMatchObject({ url: expect.stringContaining('/edit/inpaint'), files: [{ field: 'image' }, { field: 'mask' }] });
    expect((await sharp(result.images[0]!.bytes).metadata()).width).toBe(128);
  });

  it('SDXL v1: JSON with the negative prompt as a negative weight, several samples', async () => {
    const rec = recorder();
    const result = await stabilityProvider.run(
      makeCall('stability/sdxl-1.0', { width: 1024, height: 1024, n: 2, negativePrompt: 'text', seed: 9 }),
      runtime({ fetch: rec.fetch }),
    );
    expect(rec.calls[0]).toMatchObject({
      url: `${sandbox.urls.stability}/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image`,
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      json: {
        text_prompts: [
          { text: 'a cozy coffee shop interior', weight: 1 },
          { text: 'text', weight: -1 },
        ],
        width: 1024,
        height: 1024,
        samples: 2,
        seed: 9,
      },
    });
    expect(result.images.map((i) => i.seed)).toEqual([9, 10]);
  });

  it('creative upscale: the id goes to onSubmitted, then results are polled; resume polls without submitting', async () => {
    const rec = recorder();
    const ids: string[] = [];
    const result = await stabilityProvider.run(
      makeCall('stability/upscale-creative', { task: 'upscale', prompt: 'crisp', image: await png(256, 256), scale: 4 }),
      runtime({ fetch: rec.fetch, onSubmitted: (id) => void ids.push(id) }),
    );
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.calls.slice(1).every((c) => c.method === 'GET' && c.url.endsWith(`/v2beta/results/${ids[0]}`))).toBe(true);
    expect(result.requestId).toBe(ids[0]);
    const again = recorder();
    await stabilityProvider.resume!(makeCall('stability/upscale-creative', { task: 'upscale', prompt: 'crisp' }), ids[0]!, runtime({ fetch: again.fetch }));
    expect(again.calls.some((c) => c.method === 'POST')).toBe(false);
  });
});

describe('stability adapter: errors', () => {
  it.each([
    ['400', InvalidRequestError],
    ['404', NotFoundError],
    ['422', InvalidRequestError],
    ['500', ProviderUnavailableError],
    ['503', ProviderUnavailableError],
    ['malformed', ProviderUnavailableError],
  ])('maps a %s answer', async (fault, type) => {
    await expect(stabilityProvider.run(makeCall('stability/sdxl-1.0', { width: 1024, height: 1024 }), runtime(withSandboxFault(fault)))).rejects.toBeInstanceOf(
      type,
    );
  });

  it('429 carries Retry-After; 401 is an authentication error', async () => {
    const limited = await stabilityProvider.run(makeCall('stability/core'), runtime(withSandboxFault('429'))).catch((e) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    await expect(stabilityProvider.run(makeCall('stability/core'), runtime({ apiKey: () => 'wrong' }))).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('403 moderation and CONTENT_FILTERED are content rejections', async () => {
    await expect(stabilityProvider.run(makeCall('stability/core', { prompt: 'x [sandbox:moderation]' }), runtime())).rejects.toBeInstanceOf(
      ContentRejectedError,
    );
    const filtered = await stabilityProvider.run(makeCall('stability/core', { prompt: 'x [sandbox:filtered]' }), runtime()).catch((e) => e);
    expect(filtered).toBeInstanceOf(ContentRejectedError);
    expect(filtered.vendorCode).toBe('CONTENT_FILTERED');
  });

  it('refuses unknown options by name', async () => {
    await expect(stabilityProvider.run(makeCall('stability/core', { providerOptions: { stylePreset: 'anime' } }), runtime())).rejects.toThrow(
      /unknown providerOptions.stability option stylePreset; allowed: style_preset/,
    );
  });

  it('times out, and an abort mid-poll stops asking (Stability has no cancel)', async () => {
    const slow = await startSandbox({ timeScale: 1 });
    try {
      // easel's timers on fake clocks: the deadline fires once the generation is on the wire, the abort
      // comes between two polls; the sandbox's seconds of work are far from done either way.
      const timed = new FakeClock();
      const timeout = stabilityProvider.run(makeCall('stability/core'), sandboxRuntime(slow, 'stability', { timeoutMs: 100, clock: timed })).catch((e) => e);
      await until(() => slow.context.requests.some((r) => r.method === 'POST'));
      timed.advance(100);
      expect(await timeout).toBeInstanceOf(TimeoutError);

      const clock = new FakeClock();
      const controller = new AbortController();
      const image = await png(256, 256);
      const pending = stabilityProvider.run(
        makeCall('stability/upscale-creative', { task: 'upscale', prompt: 'p', image }),
        sandboxRuntime(slow, 'stability', { parentSignal: controller.signal, pollIntervalMs: 20, timeoutMs: 60_000, clock }),
      );
      const polls = () => slow.context.requests.filter((r) => r.path.includes('/v2beta/results/')).length;
      // A poll was answered (still in progress) and the next one waits on the clock: none is on the wire.
      await clock.whenPending((ms) => ms === 20);
      const asked = polls();
      expect(asked).toBeGreaterThan(0);
      controller.abort();
      await expect(pending).rejects.toBeInstanceOf(AbortedError);
      // No poll after the abort, and none left to come: the attempt's deadline is all that is pending.
      expect(polls()).toBe(asked);
      expect(clock.pending()).toEqual([60_000]);
    } finally {
      await slow.close();
    }
  });
});
