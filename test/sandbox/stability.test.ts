/** The Stability sandbox, spoken to exactly as the guide's Python and curl examples do (Stability ships no JS client). */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterAll(() => sandbox.close());

const form = (fields: Record<string, string>, files: Record<string, Buffer> = {}) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const [k, v] of Object.entries(files)) f.append(k, new Blob([new Uint8Array(v)]), `${k}.png`);
  return f;
};
const post = (path: string, body: FormData | string, headers: Record<string, string> = {}) =>
  fetch(`${sandbox.urls.stability}${path}`, { method: 'POST', headers: { Authorization: 'Bearer sk-test', ...headers }, body });
const png = (width: number, height: number, background = '#336699') =>
  sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();

describe('Stability sandbox', () => {
  it('answers the guide’s Python request (multipart with the dummy `none` file) with a PNG and its headers', async () => {
    const body = new FormData();
    body.append('none', new Blob(['']), '');
    for (const [k, v] of Object.entries({
      prompt: 'Product photo of a wireless headphone, studio lighting, white background',
      negative_prompt: 'text, watermarks, blurry, distorted',
      output_format: 'png',
      aspect_ratio: '16:9',
      seed: '42',
    }))
      body.append(k, v);
    const response = await post('/v2beta/stable-image/generate/core', body, { Accept: 'image/*' });
    expect(response.status).toBe(200);
    expect(response.headers.get('finish-reason')).toBe('SUCCESS');
    expect(response.headers.get('seed')).toBe('42');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 1344, height: 768 });
  });

  it('answers the guide’s batch curl path the way Stability answers an unknown path: 404 in its shape', async () => {
    const response = await post(
      '/v2beta/image/to/image',
      form({ prompt: 'Improve quality', strength: '0.75', output_format: 'png' }, { image: await png(256, 256) }),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ name: 'not_found', errors: [expect.stringContaining('/v2beta/image/to/image')] });
  });

  it('answers JSON when asked, and runs SD3 image-to-image', async () => {
    const response = await post(
      '/v2beta/stable-image/generate/sd3',
      form({ prompt: 'a watercolor', mode: 'image-to-image', strength: '0.6', model: 'sd3.5-medium' }, { image: await png(512, 384) }),
      { Accept: 'application/json' },
    );
    expect(response.headers.get('content-type')).toBe('application/json; type=image/png');
    const body = (await response.json()) as { image: string; finish_reason: string; seed: number };
    expect(body.finish_reason).toBe('SUCCESS');
    expect(await sharp(Buffer.from(body.image, 'base64')).metadata()).toMatchObject({ width: 512, height: 384 });
  });

  it('inpaints only the white area of the mask', async () => {
    const image = await png(128, 128);
    const mask = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000' } })
      .composite([
        {
          input: await sharp({ create: { width: 32, height: 32, channels: 3, background: '#fff' } })
            .png()
            .toBuffer(),
          left: 48,
          top: 48,
        },
      ])
      .png()
      .toBuffer();
    const response = await post('/v2beta/stable-image/edit/inpaint', form({ prompt: 'a red door' }, { image, mask }));
    const out = await sharp(Buffer.from(await response.arrayBuffer()))
      .removeAlpha()
      .raw()
      .toBuffer();
    const before = await sharp(image).removeAlpha().raw().toBuffer();
    const px = (buf: Buffer, x: number, y: number) => [...buf.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3)];
    expect(px(out, 5, 5)).toEqual(px(before, 5, 5));
    expect(px(out, 64, 64)).not.toEqual(px(before, 64, 64));
  });

  it('upscales 4x (fast), and creative upscale runs asynchronously through /v2beta/results', async () => {
    const fast = await post('/v2beta/stable-image/upscale/fast', form({}, { image: await png(100, 80) }));
    expect(await sharp(Buffer.from(await fast.arrayBuffer())).metadata()).toMatchObject({ width: 400, height: 320 });
    const started = await post('/v2beta/stable-image/upscale/creative', form({ prompt: 'crisp' }, { image: await png(256, 256) }));
    const { id } = (await started.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    let result = await fetch(`${sandbox.urls.stability}/v2beta/results/${id}`, { headers: { Authorization: 'Bearer sk-test', Accept: 'image/*' } });
    if (result.status === 202) expect(await result.json()).toEqual({ id, status: 'in-progress' });
    while (result.status === 202) {
      await new Promise((r) => setTimeout(r, 10));
      result = await fetch(`${sandbox.urls.stability}/v2beta/results/${id}`, { headers: { Authorization: 'Bearer sk-test', Accept: 'image/*' } });
    }
    expect(result.status).toBe(200);
    const other = await fetch(`${sandbox.urls.stability}/v2beta/results/${id}`, { headers: { Authorization: 'Bearer sk-other' } });
    expect(await other.json()).toMatchObject({ name: 'generation_not_found' });
  });

  it('runs v1 SDXL text-to-image with several samples', async () => {
    const response = await post(
      '/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image',
      JSON.stringify({ text_prompts: [{ text: 'a fox' }, { text: 'blurry', weight: -1 }], width: 1152, height: 896, samples: 2, seed: 5 }),
      {
        'content-type': 'application/json',
        accept: 'application/json',
      },
    );
    const body = (await response.json()) as { artifacts: { base64: string; seed: number; finishReason: string }[] };
    expect(body.artifacts.map((a) => [a.seed, a.finishReason])).toEqual([
      [5, 'SUCCESS'],
      [6, 'SUCCESS'],
    ]);
  });

  it('blurs and marks CONTENT_FILTERED output, and refuses moderated prompts with 403 (not charged)', async () => {
    const filtered = await post('/v2beta/stable-image/generate/core', form({ prompt: 'x [sandbox:filtered]' }));
    expect(filtered.headers.get('finish-reason')).toBe('CONTENT_FILTERED');
    const before = sandbox.context.ledger.list().length;
    const refused = await post('/v2beta/stable-image/generate/core', form({ prompt: 'x [sandbox:moderation]' }));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ name: 'content_moderation', errors: [expect.stringContaining('you were not charged')] });
    expect(sandbox.context.ledger.list().length).toBe(before);
  });
});

describe('Stability error shapes', () => {
  it.each([
    [
      '400 v2beta',
      '/v2beta/stable-image/generate/core',
      () => form({ aspect_ratio: '7:3' }),
      400,
      { name: 'bad_request', errors: ['prompt: is required', expect.stringContaining('aspect_ratio: must be one of')] },
    ],
    ['500 v2beta', '/v2beta/stable-image/generate/ultra', () => form({ prompt: 'x' }), 500, { name: 'internal_error' }],
  ] as const)('%s', async (_label, path, body, status, shape) => {
    const headers: Record<string, string> = status === 500 ? { 'x-sandbox-fault': '500' } : {};
    const response = await post(path, body(), headers);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ id: expect.any(String), ...shape });
  });

  it('401 without a key, in both API versions', async () => {
    const v2 = await fetch(`${sandbox.urls.stability}/v2beta/stable-image/generate/core`, { method: 'POST', body: form({ prompt: 'x' }) });
    expect(v2.status).toBe(401);
    expect(await v2.json()).toMatchObject({ name: 'unauthorized', errors: [expect.any(String)] });
    const v1 = await fetch(`${sandbox.urls.stability}/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image`, { method: 'POST', body: '{}' });
    expect(await v1.json()).toMatchObject({ name: 'unauthorized', message: expect.any(String) });
  });

  it('v1 errors: 404 engine, 400 sizes and samples', async () => {
    const json = (path: string, body: unknown, accept = 'application/json') => post(path, JSON.stringify(body), { 'content-type': 'application/json', accept });
    const engine = await json('/v1/generation/nope/text-to-image', { text_prompts: [{ text: 'a' }] });
    expect(engine.status).toBe(404);
    expect(await engine.json()).toMatchObject({ name: 'not_found', message: expect.stringContaining('nope') });
    const size = await json('/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image', { text_prompts: [{ text: 'a' }], width: 832, height: 1216 });
    expect(await size.json()).toMatchObject({ name: 'invalid_height_or_width' });
    const samples = await json('/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image', { text_prompts: [{ text: 'a' }], samples: 2 }, 'image/png');
    expect(await samples.json()).toMatchObject({ name: 'invalid_samples' });
  });

  it('413 over 10 MiB', async () => {
    const response = await post('/v2beta/stable-image/generate/core', form({ prompt: 'x' }, { image: Buffer.alloc(11 * 1024 * 1024) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ name: 'payload_too_large' });
  });

  it('429: more than the burst in the window locks the key out, with Stability’s message', async () => {
    // Windows are time-scaled too: 10 000 s × 0.001 is Stability's real 10-second window.
    const tight = await startSandbox({ timeScale: 0.001, limits: { stability: { burst: { requests: 2, windowMs: 10_000_000, lockoutMs: 60_000_000 } } } });
    try {
      const send = () =>
        fetch(`${tight.urls.stability}/v2beta/stable-image/generate/core`, {
          method: 'POST',
          headers: { Authorization: 'Bearer k' },
          body: form({ prompt: 'x' }),
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await send()).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      const locked = await send();
      expect(await locked.json()).toEqual({
        id: 'rate_limit_exceeded',
        name: 'rate_limit_exceeded',
        errors: [expect.stringContaining('timed out for 60 seconds')],
      });
    } finally {
      await tight.close();
    }
  });
});
