/** OpenAI sandbox errors as the official client sees them: status, class, `error.type/code/param`, headers. */
import OpenAI, { APIError } from 'openai';
import { toFile } from 'openai/uploads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { TEST_KEYS } from '../helpers/runtime.js';
import contentPolicyFixture from '../fixtures/openai-error-content-policy.json' with { type: 'json' };

let sandbox: Sandbox;
let client: OpenAI;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005, fixedKeys: { openai: TEST_KEYS.openai } });
  // No retries: each test sees the first answer.
  client = new OpenAI({ apiKey: TEST_KEYS.openai, baseURL: sandbox.urls.openai, maxRetries: 0 });
});
afterAll(() => sandbox.close());

async function failure(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

const fault = (value: string) => ({ headers: { 'x-sandbox-fault': value } });
const small = { model: 'dall-e-2', prompt: 'a small test', size: '256x256' } as const;

describe('openai sandbox errors through the official client', () => {
  it('400: per-model validation names the field (n, size, quality, style, prompt length, response_format on gpt-image)', async () => {
    const n = await failure(client.images.generate({ model: 'dall-e-3', prompt: 'x', n: 2 }));
    expect(n).toBeInstanceOf(OpenAI.BadRequestError);
    expect(n).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'n', code: 'invalid_value' });
    expect(n.requestID).toMatch(/^req_/);

    const size = await failure(client.images.generate({ model: 'dall-e-3', prompt: 'x', size: '512x512' }));
    expect(size).toMatchObject({ status: 400, param: 'size', code: 'invalid_value' });
    expect(size.message).toBe("400 Invalid value: '512x512'. Supported values are: '1024x1024', '1792x1024', and '1024x1792'.");

    expect(await failure(client.images.generate({ model: 'gpt-image-1', prompt: 'x', quality: 'hd' }))).toMatchObject({
      param: 'quality',
      code: 'invalid_value',
    });
    expect(await failure(client.images.generate({ model: 'gpt-image-1', prompt: 'x', style: 'vivid' }))).toMatchObject({
      param: 'style',
      code: 'unknown_parameter',
    });
    expect(await failure(client.images.generate({ model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' }))).toMatchObject({
      status: 400,
      param: 'response_format',
      code: 'unknown_parameter',
      message: "400 Unknown parameter: 'response_format'.",
    });
    expect(await failure(client.images.generate({ model: 'dall-e-2', prompt: 'x'.repeat(1001) }))).toMatchObject({
      param: 'prompt',
      code: 'string_above_max_length',
    });
    expect(await failure(client.images.generate({ model: 'dall-e-3', prompt: 'x'.repeat(4001) }))).toMatchObject({
      param: 'prompt',
      code: 'string_above_max_length',
    });
    await client.images.generate({ model: 'dall-e-3', prompt: 'x'.repeat(4000), response_format: 'b64_json' });
    expect(await failure(client.images.generate({ model: 'gpt-image-2', prompt: 'x', size: '3840x1024' }))).toMatchObject({
      param: 'size',
      message: expect.stringContaining('1:3 and 3:1'),
    });
    expect(await failure(client.images.generate({ model: 'gpt-image-1', prompt: 'x', output_format: 'jpeg', background: 'transparent' }))).toMatchObject({
      param: 'background',
    });
    expect(await failure(client.images.generate({ model: 'dall-e-2', prompt: '' }))).toMatchObject({ param: 'prompt', code: 'missing_required_parameter' });
  });

  it('400: edit uploads are checked (mask size and alpha, DALL·E 2 square PNG); dall-e-3 cannot edit', async () => {
    const png = (w: number, h: number, channels: 3 | 4) =>
      sharp({ create: { width: w, height: h, channels, background: { r: 9, g: 9, b: 9, alpha: 1 } } })
        .png()
        .toBuffer();
    const edit = async (image: Buffer, mask: Buffer | undefined, model = 'dall-e-2') =>
      client.images.edit({ model, prompt: 'x', image: await toFile(image, 'i.png'), ...(mask ? { mask: await toFile(mask, 'm.png') } : {}) });
    expect(await failure(edit(await png(64, 64, 4), await png(32, 32, 4)))).toMatchObject({
      status: 400,
      param: 'mask',
      message: expect.stringContaining('mask size does not match image size'),
    });
    expect(await failure(edit(await png(64, 64, 4), await png(64, 64, 3)))).toMatchObject({ param: 'mask', code: 'invalid_image' });
    expect(await failure(edit(await png(64, 32, 4), undefined))).toMatchObject({ param: 'image', message: expect.stringContaining('square') });
    expect(await failure(edit(await png(64, 64, 3), undefined))).toMatchObject({ param: 'image' }); // no mask and no alpha: nothing marks the edit
    expect(await failure(edit(await png(64, 64, 4), undefined, 'dall-e-3'))).toMatchObject({ param: 'model', code: 'invalid_value' });
  });

  it('400 moderation: content_policy_violation for DALL·E, moderation_blocked for gpt-image, never charged', async () => {
    const before = sandbox.context.ledger.list().length;
    const dalle = await failure(client.images.generate({ model: 'dall-e-3', prompt: 'something [sandbox:moderation]' }));
    expect(dalle).toBeInstanceOf(OpenAI.BadRequestError);
    expect(dalle.error).toEqual(contentPolicyFixture.error);
    const gpt = await failure(client.images.generate({ model: 'gpt-image-1', prompt: 'fine' }, fault('moderation')));
    expect(gpt).toMatchObject({ status: 400, type: 'image_generation_user_error', code: 'moderation_blocked' });
    expect(gpt.message).toContain(gpt.requestID!);
    expect(sandbox.context.ledger.list()).toHaveLength(before);
  });

  it('401: a wrong or missing key is invalid_api_key', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: sandbox.urls.openai, maxRetries: 0 });
    const e = await failure(wrong.images.generate(small));
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e).toMatchObject({ status: 401, type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(e.message).not.toContain('sk-wrong');
    const missing = await fetch(`${sandbox.urls.openai}/images/generations`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('403, 404, 422 in the envelope', async () => {
    const forbidden = await failure(client.images.generate(small, fault('403')));
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(forbidden).toMatchObject({ status: 403, type: 'request_forbidden', code: 'unsupported_country_region_territory' });

    const model = await failure(client.images.generate({ model: 'dall-e-9', prompt: 'x' }));
    expect(model).toBeInstanceOf(OpenAI.NotFoundError);
    expect(model).toMatchObject({
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      message: '404 The model `dall-e-9` does not exist or you do not have access to it.',
    });
    const path = await fetch(`${sandbox.urls.openai}/images/nope`, { method: 'POST', headers: { authorization: `Bearer ${TEST_KEYS.openai}` } });
    expect(path.status).toBe(404);
    expect(await path.json()).toEqual({ error: { message: 'Invalid URL (POST /v1/images/nope)', type: 'invalid_request_error', param: null, code: null } });

    const unprocessable = await failure(client.images.generate(small, fault('422')));
    expect(unprocessable).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(unprocessable).toMatchObject({ status: 422, type: 'invalid_request_error' });
  });

  it('429 carries retry-after-ms and retry-after (time-scaled) and rate_limit_exceeded; the per-minute limit is enforced', async () => {
    const limited = await failure(client.images.generate(small, fault('429')));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, type: 'requests', code: 'rate_limit_exceeded' });
    // Default injected Retry-After is 1000 ms, times the 0.0005 time scale.
    expect(limited.headers?.get('retry-after-ms')).toBe('0.5');
    expect(limited.headers?.get('retry-after')).toBe('0.001');

    const tight = await startSandbox({ timeScale: 1, limits: { openai: { requestsPerMinute: 1 } } });
    try {
      const c = new OpenAI({ apiKey: 'sk-any', baseURL: tight.urls.openai, maxRetries: 0 });
      const first = await failure(c.images.generate({ ...small, prompt: '' })); // counted, then rejected by validation
      expect(first.status).toBe(400);
      const second = await failure(c.images.generate(small));
      expect(second).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      expect(Number(second.headers?.get('retry-after-ms'))).toBeGreaterThan(50_000);
      expect(tight.context.ledger.list()).toEqual([]);
    } finally {
      await tight.close();
    }
  });

  it('5xx: 500 and 503 are server_error; x-should-retry is not sent, so the client would retry', async () => {
    for (const status of ['500', '503']) {
      const e = await failure(client.images.generate(small, fault(status)));
      expect(e).toBeInstanceOf(OpenAI.InternalServerError);
      expect(e).toMatchObject({ status: Number(status), type: 'server_error' });
      expect(e.headers?.get('x-should-retry')).toBeNull();
    }
  });
});
