/** The Replicate adapter against the sandbox: exact requests, the async flow, and every error path. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_ESRGAN_VERSION, SDXL_VERSION } from '../../src/catalog/models/replicate.js';
import { syntheticModel } from '../../src/catalog/synthetic.js';
import { inspectImage } from '../../src/core/image-input.js';
import type { LoadedImage } from '../../src/core/image.js';
import { chooseWait } from '../../src/providers/replicate/flow.js';
import { replicateProvider } from '../../src/providers/replicate/index.js';
import { outcomeOf, PredictionSchema } from '../../src/providers/replicate/response.js';
import type { ProviderRuntime } from '../../src/providers/types.js';
import { imageSize } from '../../src/sandbox/draw.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type RecordedRequest, recordingFetch } from '../helpers/recording-fetch.js';
import { makeCall, sandboxRuntime, TEST_KEYS, withSandboxFault } from '../helpers/runtime.js';
import succeededFixture from '../fixtures/replicate-prediction-succeeded.json' with { type: 'json' };

/** Records every request (the key is checked, then redacted); `onRequest` sees each before it is sent. */
const recorder = (onRequest?: (r: RecordedRequest) => void) => recordingFetch({ authorization: `Bearer ${TEST_KEYS.replicate}`, onRequest });

async function pngImage(width: number, height: number, background = '#804020'): Promise<LoadedImage> {
  return inspectImage(
    await sharp({ create: { width, height, channels: 3, background } })
      .png()
      .toBuffer(),
    { field: 'image' },
  );
}

let sandbox: Sandbox;
let base: string;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, fixedKeys: { replicate: TEST_KEYS.replicate } });
  base = sandbox.urls.replicate;
});
afterAll(() => sandbox.close());

describe('replicate adapter: requests and results', () => {
  it('flux-schnell: POST models/{owner}/{name}/predictions with Prefer: wait and the mapped input', async () => {
    const rec = recorder();
    const call = makeCall('replicate/black-forest-labs/flux-schnell', {
      n: 2,
      aspectRatio: '16:9',
      width: 1344,
      height: 768,
      seed: 42,
      outputFormat: 'jpeg',
      providerOptions: { input: { num_inference_steps: 2 } },
    });
    const result = await replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate', { fetch: rec.fetch }));
    expect(rec.calls[0]).toEqual({
      method: 'POST',
      url: `${base}/models/black-forest-labs/flux-schnell/predictions`,
      headers: { authorization: '<redacted>', 'content-type': 'application/json', prefer: 'wait=60' },
      json: { input: { prompt: 'a cozy coffee shop interior', aspect_ratio: '16:9', num_outputs: 2, seed: 42, output_format: 'jpg', num_inference_steps: 2 } },
    });
    // The sandbox answered within the wait: no poll, then the two downloads.
    expect(rec.calls.slice(1).map((c) => c.method)).toEqual(['GET', 'GET']);
    expect(rec.calls.slice(1).every((c) => c.url.startsWith(`${sandbox.url}/files/replicate/`))).toBe(true);
    expect(result.images).toHaveLength(2);
    for (const image of result.images) {
      expect(image).toMatchObject({ mediaType: 'image/jpeg', seed: 42 });
      expect(await imageSize(image.bytes)).toMatchObject({ width: 1344, height: 768 });
    }
    expect(result.requestId).toMatch(/^[a-z0-9]{26}$/);
    expect(result.usage.computeSeconds).toBeGreaterThan(0);
    expect(result.warnings).toEqual([]);
    const charge = sandbox.context.ledger.list().find((c) => c.requestId === result.requestId);
    expect(charge).toMatchObject({ model: 'replicate/black-forest-labs/flux-schnell', usd: 0.006, images: 2 });
  });

  it('sdxl: POST predictions with the version id, negative prompt and free size; raw input replaces a mapped value with a warning', async () => {
    const rec = recorder();
    const call = makeCall('replicate/stability-ai/sdxl', {
      negativePrompt: 'blurry',
      width: 512,
      height: 768,
      providerOptions: { input: { num_inference_steps: 20, negative_prompt: 'text, watermarks' } },
    });
    const result = await replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate', { fetch: rec.fetch }));
    expect(rec.calls[0]).toMatchObject({
      method: 'POST',
      url: `${base}/predictions`,
      json: {
        version: SDXL_VERSION,
        input: { prompt: 'a cozy coffee shop interior', negative_prompt: 'text, watermarks', width: 512, height: 768, num_outputs: 1, num_inference_steps: 20 },
      },
    });
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 512, height: 768, format: 'png' });
    expect(result.warnings).toEqual([
      expect.objectContaining({ kind: 'adjusted', field: 'providerOptions.replicate.input.negative_prompt', requested: 'blurry' }),
    ]);
  });

  it('sdxl edit: image and mask go as data URIs, prompt_strength from strength; the output keeps the input size', async () => {
    const rec = recorder();
    const image = await pngImage(96, 64);
    const mask = await pngImage(96, 64, '#ffffff');
    const call = makeCall('replicate/stability-ai/sdxl', { task: 'edit', image, mask, strength: 0.6, width: 1024, height: 1024 });
    const result = await replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate', { fetch: rec.fetch }));
    const input = (rec.calls[0]!.json as { input: Record<string, unknown> }).input;
    expect(input.image).toBe(`data:image/png;base64,${Buffer.from(image.bytes).toString('base64')}`);
    expect(input.mask).toMatch(/^data:image\/png;base64,/);
    expect(input).toMatchObject({ prompt_strength: 0.6 });
    expect(input).not.toHaveProperty('width');
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 96, height: 64 });
  });

  it('real-esrgan: upscales the input 4x, one URL output, compute seconds reported', async () => {
    const rec = recorder();
    const call = makeCall('replicate/nightmareai/real-esrgan', { task: 'upscale', prompt: undefined, image: await pngImage(40, 30), scale: 4 });
    const result = await replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate', { fetch: rec.fetch }));
    expect(rec.calls[0]!.json).toMatchObject({ version: REAL_ESRGAN_VERSION, input: { scale: 4 } });
    expect(result.images).toHaveLength(1);
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 160, height: 120, format: 'png' });
    expect(result.usage.computeSeconds).toBeGreaterThan(0);
  });

  it('runs a model outside the catalog by owner/name:version, with raw input, and says how it mapped the request', async () => {
    const model = syntheticModel('replicate/bytedance/sdxl-lightning-4step:5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637')!;
    const rec = recorder();
    const call = {
      ...makeCall('replicate/stability-ai/sdxl'),
      model,
      width: 256,
      height: 384,
      providerOptions: { input: { num_inference_steps: 4, guidance_scale: 0 } },
    };
    const result = await replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate', { fetch: rec.fetch }));
    expect(rec.calls[0]!.json).toEqual({
      version: '5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637',
      input: { prompt: 'a cozy coffee shop interior', width: 256, height: 384, num_inference_steps: 4, guidance_scale: 0 },
    });
    expect(await imageSize(result.images[0]!.bytes)).toMatchObject({ width: 256, height: 384 });
    expect(result.warnings).toEqual([expect.objectContaining({ kind: 'other', model: model.id })]);
    // The sandbox charges it, at a price nobody knows (never $0).
    expect(sandbox.context.ledger.list().find((c) => c.requestId === result.requestId)).toMatchObject({ usd: null, model: 'bytedance/sdxl-lightning-4step' });
  });

  it('durable mode: no Prefer: wait, onSubmitted gets the id before any poll, resume() picks it up without a new POST', async () => {
    const rec = recorder();
    const order: string[] = [];
    const runtime = sandboxRuntime(sandbox, 'replicate', {
      fetch: async (input, init) => {
        order.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return rec.fetch(input, init);
      },
      onSubmitted: (id) => {
        order.push(`submitted ${id}`);
      },
    });
    const call = makeCall('replicate/black-forest-labs/flux-schnell');
    const result = await replicateProvider.run(call, runtime);
    expect(rec.calls[0]!.headers).not.toHaveProperty('prefer');
    expect(order[1]).toBe(`submitted ${result.requestId}`);
    expect(order[2]).toBe(`GET /replicate/v1/predictions/${result.requestId}`);

    const again = recorder();
    const resumed = await replicateProvider.resume!(call, result.requestId!, sandboxRuntime(sandbox, 'replicate', { fetch: again.fetch }));
    expect(again.calls.filter((c) => c.method === 'POST')).toEqual([]);
    expect(resumed.images[0]!.bytes).toEqual(result.images[0]!.bytes);
  });

  it('falls back to polling when Prefer: wait runs out', async () => {
    const slow = await startSandbox({ timeScale: 0.001, coldStart: { ms: 30_000, rate: 1 } });
    try {
      const rec = recorder();
      const call = makeCall('replicate/stability-ai/sdxl', { width: 256, height: 256, providerOptions: { wait: 1 } });
      const result = await replicateProvider.run(call, sandboxRuntime(slow, 'replicate', { fetch: rec.fetch }));
      expect(rec.calls[0]!.headers.prefer).toBe('wait=1');
      const polls = rec.calls.filter((c) => c.url === `${slow.urls.replicate}/predictions/${result.requestId}`);
      expect(polls.length).toBeGreaterThan(0);
      expect(result.images).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('keeps the wait inside the attempt deadline', () => {
    const now = () => 1_000_000;
    expect(chooseWait(undefined, { now })).toBe(60);
    expect(chooseWait(30, { now })).toBe(30);
    expect(chooseWait(false, { now })).toBeUndefined();
    expect(chooseWait(undefined, { now, deadlineAt: 1_000_000 + 5_500 })).toBe(4);
    expect(chooseWait(undefined, { now, deadlineAt: 1_000_000 + 1_500 })).toBeUndefined();
  });

  it('maps a succeeded prediction with no output to NoImageGeneratedError (recorded shape)', () => {
    const ok = PredictionSchema.parse(succeededFixture);
    expect(outcomeOf(ok, { model: 'm', provider: 'replicate' })).toEqual({ urls: succeededFixture.output, usage: { computeSeconds: 0.87 }, seed: 1234 });
    const empty = PredictionSchema.parse({ ...succeededFixture, output: [] });
    expect(() => outcomeOf(empty, { model: 'm', provider: 'replicate' })).toThrow(
      expect.objectContaining({ code: 'no_image_generated', requestId: succeededFixture.id }),
    );
  });
});

describe('replicate adapter: errors', () => {
  const schnell = () => makeCall('replicate/black-forest-labs/flux-schnell');
  const runWith = (overrides: Partial<ProviderRuntime> & { timeoutMs?: number; parentSignal?: AbortSignal } = {}, call = schnell()) =>
    replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate', overrides));
  const script = (steps: unknown[], path = '/flux-schnell/predictions', method = 'POST') =>
    sandbox.context.faults.merge({ script: [{ vendor: 'replicate', path, method: method as 'POST', steps: steps as never }] });

  it('400 -> InvalidRequestError', async () => {
    await expect(runWith(withSandboxFault('400'))).rejects.toMatchObject({ code: 'invalid_request', status: 400, retryable: false });
  });

  it('401 -> AuthenticationError, and the key is not in the message', async () => {
    const error = (await runWith({ apiKey: () => 'r8_wrong' }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'authentication', status: 401, message: expect.stringContaining('You did not pass a valid authentication token') });
    expect(error.message).not.toContain('r8_wrong');
  });

  it('403 -> PermissionDeniedError', async () => {
    await expect(runWith(withSandboxFault('403'))).rejects.toMatchObject({ code: 'permission_denied', status: 403 });
  });

  it('moderation (a failed prediction with NSFW text) -> ContentRejectedError, nothing charged', async () => {
    const before = sandbox.context.ledger.list().length;
    const call = { ...schnell(), prompt: 'forbidden [sandbox:moderation]' };
    const error = (await replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate')).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'content_rejected', retryable: false, requestId: expect.stringMatching(/^[a-z0-9]{26}$/) });
    expect(error.message).not.toContain('forbidden');
    expect(sandbox.context.ledger.list().length).toBe(before);
  });

  it('404 -> NotFoundError for a model Replicate does not have', async () => {
    const model = syntheticModel('replicate/nobody/nothing')!;
    await expect(runWith({}, { ...schnell(), model })).rejects.toMatchObject({
      code: 'not_found',
      status: 404,
      message: expect.stringContaining('Model not found: nobody/nothing'),
    });
  });

  it('422 -> InvalidRequestError naming the field and the allowed range', async () => {
    const call = { ...schnell(), providerOptions: { input: { num_outputs: 9 } } };
    await expect(runWith({}, call)).rejects.toMatchObject({
      code: 'invalid_request',
      status: 422,
      message: expect.stringContaining('input.num_outputs: Must be less than or equal to 4'),
    });
  });

  it('an unknown provider option -> InvalidRequestError naming the allowed options, before any request', async () => {
    const rec = recorder();
    const call = { ...schnell(), providerOptions: { wiat: 5 } };
    await expect(runWith({ fetch: rec.fetch }, call)).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('allowed: input, webhook, webhook_events_filter, wait'),
    });
    expect(rec.calls).toEqual([]);
  });

  it('429 -> RateLimitedError with Retry-After', async () => {
    script([{ status: 429, retryAfterMs: 30_000 }]);
    await expect(runWith()).rejects.toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 30, retryable: true });
  });

  it('5xx -> ProviderUnavailableError (retryable)', async () => {
    script([503]);
    await expect(runWith()).rejects.toMatchObject({ code: 'provider_unavailable', status: 503, retryable: true });
  });

  it('a malformed answer -> ProviderUnavailableError', async () => {
    script(['malformed']);
    await expect(runWith()).rejects.toMatchObject({ code: 'provider_unavailable', message: expect.stringContaining('malformed answer') });
  });

  it("a prediction that fails in the model -> ProviderError with the model's message", async () => {
    const call = makeCall('replicate/stability-ai/sdxl', { width: 512, height: 512, providerOptions: { input: { width: 1001 } } });
    await expect(replicateProvider.run(call, sandboxRuntime(sandbox, 'replicate'))).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringContaining('have to be divisible by 8'),
    });
  });

  it('rides out transient poll failures: the prediction is paid for', async () => {
    script([503, { status: 429, retryAfterMs: 1000 }], '/v1/predictions/', 'GET');
    const result = await runWith({}, { ...schnell(), providerOptions: { wait: false } });
    expect(result.images).toHaveLength(1);
  });

  it('abort mid-poll -> AbortedError, and the prediction is cancelled (never charged)', async () => {
    const slow = await startSandbox({ timeScale: 0.001, coldStart: { ms: 60_000, rate: 1 } });
    try {
      const controller = new AbortController();
      const rec = recorder((r) => {
        if (r.method === 'GET') controller.abort();
      });
      const call = { ...schnell(), providerOptions: { wait: false } };
      const error = await replicateProvider
        .run(call, sandboxRuntime(slow, 'replicate', { fetch: rec.fetch, parentSignal: controller.signal }))
        .catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'aborted' });
      const cancel = slow.context.requests.find((r) => r.method === 'POST' && r.path.endsWith('/cancel'));
      expect(cancel).toMatchObject({ status: 200 });
      const id = cancel!.path.split('/').at(-2)!;
      const state = await fetch(`${slow.urls.replicate}/predictions/${id}`, { headers: { authorization: `Bearer ${TEST_KEYS.replicate}` } }).then(
        (r) => r.json() as Promise<{ status: string }>,
      );
      expect(state.status).toBe('canceled');
      expect(slow.context.ledger.list()).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('timeout while polling -> TimeoutError, and the prediction is cancelled', async () => {
    const slow = await startSandbox({ timeScale: 0.001, coldStart: { ms: 60_000, rate: 1 } });
    try {
      const error = await replicateProvider
        .run(schnell(), sandboxRuntime(slow, 'replicate', { timeoutMs: 40, deadlineAt: Date.now() + 40 }))
        .catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
      expect(slow.context.requests.some((r) => r.method === 'POST' && r.path.endsWith('/cancel'))).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
