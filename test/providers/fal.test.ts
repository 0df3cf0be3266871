/** The FAL adapter against the sandbox: exact requests, the queue flow, and every error path. */
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
import { syntheticModel } from '../../src/catalog/synthetic.js';
import { falProvider } from '../../src/providers/fal/index.js';
import type { ProviderRuntime } from '../../src/providers/types.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingFetch } from '../helpers/recording-fetch.js';
import { makeCall, sandboxRuntime, TEST_KEYS, withSandboxFault } from '../helpers/runtime.js';
import { until } from '../helpers/until.js';

/** Records every request (the key is checked, then redacted). */
const recorder = () => recordingFetch({ authorization: `Key ${TEST_KEYS.fal}` });

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, fixedKeys: { fal: TEST_KEYS.fal } });
});
afterAll(() => sandbox.close());

const runtime = (overrides: Partial<ProviderRuntime> & { timeoutMs?: number } = {}) => sandboxRuntime(sandbox, 'fal', overrides);
const dev = (overrides = {}) => makeCall('fal/flux/dev', { width: 1024, height: 1024, outputFormat: 'png', ...overrides });

describe('fal adapter: requests and results', () => {
  it('submits to the queue, waits on the status stream without the subpath, then fetches the result', async () => {
    const rec = recorder();
    const submitted: string[] = [];
    const result = await falProvider.run(
      dev({ n: 2, seed: 7, providerOptions: { num_inference_steps: 28, guidance_scale: 3.5 } }),
      runtime({ fetch: rec.fetch, onSubmitted: (id) => void submitted.push(id) }),
    );
    expect(rec.calls[0]).toEqual({
      method: 'POST',
      url: `${sandbox.urls.falQueue}/fal-ai/flux/dev`,
      headers: { authorization: '<redacted>', accept: 'application/json', 'content-type': 'application/json' },
      json: {
        prompt: 'a cozy coffee shop interior',
        image_size: 'square_hd',
        num_images: 2,
        seed: 7,
        output_format: 'png',
        enable_safety_checker: true,
        num_inference_steps: 28,
        guidance_scale: 3.5,
      },
    });
    const id = submitted[0]!;
    // One open stream instead of a poll every interval, then the result and the two image files.
    expect(rec.calls.slice(1).map((c) => [c.method, c.url.replace(sandbox.url, ''), c.headers.accept])).toEqual([
      ['GET', `/fal/queue/fal-ai/flux/requests/${id}/status/stream`, 'text/event-stream'],
      ['GET', `/fal/queue/fal-ai/flux/requests/${id}`, 'application/json'],
      ...rec.calls.slice(-2).map((c) => ['GET', c.url.replace(sandbox.url, ''), c.headers.accept]),
    ]);
    expect(result.requestId).toBe(id);
    expect(result.images.map((i) => [i.mediaType, i.seed])).toEqual([
      ['image/png', 7],
      ['image/png', 8],
    ]);
    expect(result.usage.inferenceSeconds).toBeGreaterThan(0);
  });

  it('polls the status where no status stream is offered', async () => {
    const rec = recorder();
    const noStream: typeof fetch = (input, init) =>
      String(input).endsWith('/status/stream') ? Promise.resolve(new Response('{"detail":"Not Found"}', { status: 404 })) : rec.fetch(input, init);
    const submitted: string[] = [];
    const result = await falProvider.run(dev(), runtime({ fetch: noStream, onSubmitted: (id) => void submitted.push(id) }));
    expect(result.images).toHaveLength(1);
    const polls = rec.calls.filter((c) => c.url === `${sandbox.urls.falQueue}/fal-ai/flux/requests/${submitted[0]}/status`);
    expect(polls.length).toBeGreaterThan(0);
  });

  it('tells the pacer the vendor is done before it fetches the result', async () => {
    const order: string[] = [];
    const rec = recorder();
    const fetching: typeof fetch = (input, init) => {
      order.push(String(input).replace(/^.*\/requests\/[^/]+/, 'request'));
      return rec.fetch(input, init);
    };
    await falProvider.run(dev(), runtime({ fetch: fetching, onVendorDone: () => void order.push('vendor done') }));
    expect(order.slice(1, 4)).toEqual(['request/status/stream', 'vendor done', 'request']);
  });

  it('inpaints with FLUX.1 [pro] Fill: image and mask as data URIs, the unmasked area kept', async () => {
    const size = 256;
    const image = await sharp({ create: { width: size, height: size, channels: 3, background: '#2050c0' } })
      .png()
      .toBuffer();
    // white = repaint (FAL's convention): the left half.
    const maskRaw = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y++) for (let x = 0; x < size / 2; x++) maskRaw.fill(255, (y * size + x) * 3, (y * size + x) * 3 + 3);
    const mask = await sharp(maskRaw, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer();
    const loaded = (bytes: Buffer) => ({
      bytes: new Uint8Array(bytes),
      mediaType: 'image/png',
      format: 'png' as const,
      width: size,
      height: size,
      hasAlpha: false,
    });
    const rec = recorder();
    const call = makeCall('fal/flux-pro/v1/fill', {
      task: 'edit',
      image: loaded(image),
      mask: loaded(mask),
      outputFormat: 'png',
      seed: 3,
      width: undefined,
      height: undefined,
    });
    const result = await falProvider.run(call, runtime({ fetch: rec.fetch }));
    expect(rec.calls[0]).toMatchObject({ method: 'POST', url: `${sandbox.urls.falQueue}/fal-ai/flux-pro/v1/fill` });
    const body = rec.calls[0]!.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['image_url', 'mask_url', 'num_images', 'output_format', 'prompt', 'seed']);
    expect(String(body.image_url)).toMatch(/^data:image\/png;base64,/);
    // Status and result live under the app without its subpath.
    expect(rec.calls[1]!.url).toMatch(new RegExp(`/fal-ai/flux-pro/requests/${result.requestId}/status/stream$`));
    const { data, info } = await sharp(result.images[0]!.bytes).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([size, size]);
    const pixel = (x: number, y: number) => Array.from(data.subarray((y * size + x) * info.channels, (y * size + x) * info.channels + 3));
    expect(pixel(200, 128)).toEqual([0x20, 0x50, 0xc0]);
    expect(pixel(40, 128)).not.toEqual([0x20, 0x50, 0xc0]);
  });

  it('refuses a fill whose mask does not match the image, as FAL does (422)', async () => {
    const image = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    const mask = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const answer = await fetch(`${sandbox.urls.falQueue}/fal-ai/flux-pro/v1/fill`, {
      method: 'POST',
      headers: { authorization: `Key ${TEST_KEYS.fal}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'x',
        image_url: `data:image/png;base64,${image.toString('base64')}`,
        mask_url: `data:image/png;base64,${mask.toString('base64')}`,
      }),
    });
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ detail: [{ loc: ['body', 'mask_url'], msg: expect.stringContaining('same dimensions') }] });
  });

  it('sends a custom size, and uses the sync host when asked', async () => {
    const rec = recorder();
    await falProvider.run(makeCall('fal/flux/schnell', { width: 768, height: 512, providerOptions: { sync: true } }), runtime({ fetch: rec.fetch }));
    expect(rec.calls[0]).toMatchObject({ url: `${sandbox.urls.falRun}/fal-ai/flux/schnell`, json: { image_size: { width: 768, height: 512 } } });
  });

  it('runs any app id with raw input from providerOptions', async () => {
    const rec = recorder();
    const model = syntheticModel('fal/fal-ai/flux/dev')!;
    await falProvider.run(makeCall('fal/flux/dev', { model, providerOptions: { input: { acceleration: 'high' } } }), runtime({ fetch: rec.fetch }));
    expect(rec.calls[0]!.json).toMatchObject({ acceleration: 'high' });
  });

  it('refuses an unknown option, naming the allowed ones', async () => {
    await expect(falProvider.run(dev({ providerOptions: { steps: 3 } }), runtime())).rejects.toThrow(
      /unknown providerOptions.fal option steps; allowed: sync, input/,
    );
  });

  it('resumes a request submitted earlier without submitting again', async () => {
    const submitted: string[] = [];
    await falProvider.run(dev(), runtime({ onSubmitted: (id) => void submitted.push(id) }));
    const rec = recorder();
    const again = await falProvider.resume!(dev(), submitted[0]!, runtime({ fetch: rec.fetch }));
    expect(again.images).toHaveLength(1);
    expect(rec.calls.some((c) => c.method === 'POST')).toBe(false);
  });
});

describe('fal adapter: errors', () => {
  it.each([
    ['400', InvalidRequestError],
    ['404', NotFoundError],
    ['500', ProviderUnavailableError],
    ['503', ProviderUnavailableError],
    ['malformed', ProviderUnavailableError],
  ])('maps a %s answer', async (fault, type) => {
    await expect(falProvider.run(dev(), runtime(withSandboxFault(fault)))).rejects.toBeInstanceOf(type);
  });

  it('reads Retry-After on a 429', async () => {
    const error = await falProvider.run(dev(), runtime(withSandboxFault('429'))).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });

  it('a wrong key is an authentication error', async () => {
    await expect(falProvider.run(dev(), runtime({ apiKey: () => 'wrong' }))).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('a 422 names the field; a content-policy 422 is a content rejection', async () => {
    const invalid = await falProvider.run(dev({ providerOptions: { input: { num_images: 9 } } }), runtime()).catch((e) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid.message).toContain('num_images');
    await expect(falProvider.run(dev({ prompt: 'x [sandbox:moderation]' }), runtime())).rejects.toBeInstanceOf(ContentRejectedError);
  });

  it('times out, and an abort mid-poll cancels the request at FAL', async () => {
    const slow = await startSandbox({ timeScale: 1 });
    try {
      // Each step waits until the request is queued and its status stream open (seconds from done at
      // this time scale); the deadline is on a fake clock, fired by the test at that point.
      const streams = () => slow.context.requests.filter((r) => r.path.endsWith('/status/stream')).length;
      const clock = new FakeClock();
      const timeout = falProvider.run(dev(), sandboxRuntime(slow, 'fal', { timeoutMs: 150, clock })).catch((e) => e);
      await until(() => streams() === 1);
      clock.advance(150);
      expect(await timeout).toBeInstanceOf(TimeoutError);
      const controller = new AbortController();
      const pending = falProvider.run(dev(), sandboxRuntime(slow, 'fal', { parentSignal: controller.signal }));
      await until(() => streams() === 2);
      controller.abort();
      await expect(pending).rejects.toBeInstanceOf(AbortedError);
      const cancels = slow.context.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/cancel'));
      expect(cancels).toHaveLength(2);
      expect(slow.context.ledger.list()).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });
});
