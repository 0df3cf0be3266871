/** The official `openai` client against the OpenAI sandbox, unchanged but for the base URL. */
import OpenAI from 'openai';
import { toFile } from 'openai/uploads';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { imageSize } from '../../src/sandbox/draw.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { TEST_KEYS } from '../helpers/runtime.js';
import dalle3Fixture from '../fixtures/openai-images-dall-e-3.json' with { type: 'json' };
import gptImageFixture from '../fixtures/openai-images-gpt-image.json' with { type: 'json' };
import { expectShape } from './replicate-shape.js';

let sandbox: Sandbox;
let client: OpenAI;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005, fixedKeys: { openai: TEST_KEYS.openai } });
  client = new OpenAI({ apiKey: TEST_KEYS.openai, baseURL: sandbox.urls.openai });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${sandbox.urls.control}/reset`, { method: 'POST' });
});

const guidePrompt =
  'A technical diagram showing a microservices architecture with 5 services connected by message queues. Clean, minimal style, white background. Label each service: API Gateway, Auth Service, User Service, Order Service, Notification Service.';

async function rgba(bytes: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('openai sandbox with the official client', () => {
  it("runs the guide's DALL·E 3 example (b64_json) and reports the revised prompt, request id and one charge", async () => {
    const {
      data: response,
      response: raw,
      request_id,
    } = await client.images
      .generate({ model: 'dall-e-3', prompt: guidePrompt, size: '1792x1024', quality: 'standard', n: 1, response_format: 'b64_json' })
      .withResponse();
    expectShape(response, dalle3Fixture);
    expect(response.data).toHaveLength(1);
    const image = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(await imageSize(image)).toEqual({ width: 1792, height: 1024, format: 'png' });
    expect(response.data![0]!.revised_prompt).toContain('microservices architecture');
    expect(response.data![0]!.revised_prompt).not.toBe(guidePrompt);
    expect(response.data![0]).not.toHaveProperty('url');
    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(raw.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect(raw.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    expect(raw.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$/);
    expect(sandbox.context.ledger.list()).toEqual([
      expect.objectContaining({ vendor: 'openai', model: 'openai/dall-e-3', requestId: request_id, usd: 0.08, images: 1 }),
    ]);
  });

  it('answers response_format url with a sandbox URL that serves a PNG of the asked size', async () => {
    const response = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse at dusk', size: '1024x1792', quality: 'hd', style: 'natural' });
    const url = response.data![0]!.url!;
    expect(url.startsWith(`${sandbox.url}/files/openai/`)).toBe(true);
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(await imageSize(new Uint8Array(await download.arrayBuffer()))).toEqual({ width: 1024, height: 1792, format: 'png' });
    expect(response.data![0]!.revised_prompt).toContain('natural');
    expect(sandbox.context.ledger.list()[0]).toMatchObject({ usd: 0.12, images: 1 });
  });

  it('images.edit with a mask (dall-e-2): only the transparent area of the mask changes', async () => {
    const size = 256;
    const source = await sharp({ create: { width: size, height: size, channels: 4, background: { r: 30, g: 120, b: 200, alpha: 1 } } })
      .png()
      .toBuffer();
    // Opaque everywhere except a transparent 64x64 square at (96, 96).
    const pixels = Buffer.alloc(size * size * 4);
    for (let p = 0; p < size * size; p++) {
      const x = p % size;
      const y = Math.floor(p / size);
      pixels[p * 4 + 3] = x >= 96 && x < 160 && y >= 96 && y < 160 ? 0 : 255;
    }
    const mask = await sharp(pixels, { raw: { width: size, height: size, channels: 4 } })
      .png()
      .toBuffer();
    const response = await client.images.edit({
      model: 'dall-e-2',
      image: await toFile(source, 'room.png', { type: 'image/png' }),
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      prompt: 'a red sofa',
      size: '256x256',
      response_format: 'b64_json',
    });
    const before = await rgba(source);
    const after = await rgba(Buffer.from(response.data![0]!.b64_json!, 'base64'));
    expect([after.width, after.height]).toEqual([size, size]);
    let changedInside = 0;
    let changedOutside = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = (y * size + x) * 4;
        const differs = [0, 1, 2].some((ch) => Math.abs(after.data[p + ch]! - before.data[p + ch]!) > 2);
        const inside = x >= 96 && x < 160 && y >= 96 && y < 160;
        if (differs && inside) changedInside++;
        if (differs && !inside) changedOutside++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(64 * 64 * 0.5);
    expect(sandbox.context.ledger.list()).toEqual([expect.objectContaining({ model: 'openai/dall-e-2', usd: 0.016, images: 1 })]);
  });

  it('gpt-image-1: generate answers base64 with usage, quality, size and format; edit takes an image[] array', async () => {
    const generated = await client.images.generate({ model: 'gpt-image-1', prompt: 'a tiny robot', quality: 'low', n: 2, output_format: 'webp' });
    expectShape(generated, gptImageFixture);
    expect(generated).toMatchObject({ background: 'opaque', output_format: 'webp', quality: 'low', size: '1024x1024' });
    expect(generated.data).toHaveLength(2);
    expect(await imageSize(Buffer.from(generated.data![0]!.b64_json!, 'base64'))).toMatchObject({ width: 1024, height: 1024, format: 'webp' });
    expect(generated.usage!.output_tokens).toBe(2 * 272);

    const a = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const b = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#996633' } })
      .jpeg()
      .toBuffer();
    const edited = await client.images.edit({
      model: 'gpt-image-1',
      image: [await toFile(a, 'a.png', { type: 'image/png' }), await toFile(b, 'b.jpg', { type: 'image/jpeg' })],
      prompt: 'put them side by side',
      input_fidelity: 'high',
    });
    // size auto follows the first image's shape: 3:2 -> 1536x1024.
    expect(edited.size).toBe('1536x1024');
    expect(await imageSize(Buffer.from(edited.data![0]!.b64_json!, 'base64'))).toMatchObject({ width: 1536, height: 1024, format: 'png' });
    expect(edited.usage!.input_tokens_details.image_tokens).toBeGreaterThan(0);
    const charges = sandbox.context.ledger.list();
    expect(charges.map((c) => [c.model, c.usd, c.images])).toEqual([
      ['openai/gpt-image-1', 0.022, 2],
      ['openai/gpt-image-1', 0.063, 1],
    ]);
  });

  it('gpt-image-2 takes free sizes in multiples of 16; background transparent gives real alpha', async () => {
    const response = await client.images.generate({ model: 'gpt-image-2', prompt: 'a sticker', size: '1600x896', background: 'transparent', quality: 'low' });
    const bytes = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(await imageSize(bytes)).toEqual({ width: 1600, height: 896, format: 'png' });
    const { data } = await rgba(bytes);
    expect(data[3]).toBe(0); // the corner pixel is transparent
    expect(sandbox.context.ledger.list()[0]).toMatchObject({ model: 'openai/gpt-image-2', usd: null });
  });

  it('images.createVariation (dall-e-2) returns n variations at the asked size', async () => {
    const source = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#884422' } })
      .png()
      .toBuffer();
    const response = await client.images.createVariation({ image: await toFile(source, 'in.png'), n: 2, size: '512x512', response_format: 'b64_json' });
    expect(response.data).toHaveLength(2);
    for (const item of response.data!) expect(await imageSize(Buffer.from(item.b64_json!, 'base64'))).toMatchObject({ width: 512, height: 512 });
    expect(sandbox.context.ledger.list()).toEqual([expect.objectContaining({ model: 'openai/dall-e-2', usd: 0.036, images: 2 })]);
  });

  it('the client retries through 429 (retry-after) and 503 to success; the ledger holds exactly one charge', async () => {
    await fetch(`${sandbox.urls.control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: [{ vendor: 'openai', path: '/images/generations', steps: [{ status: 429, retryAfterMs: 2000 }, 503, 'ok'] }] }),
    });
    const response = await client.images.generate({ model: 'dall-e-2', prompt: 'retry me', size: '256x256', response_format: 'b64_json' });
    expect(response.data).toHaveLength(1);
    const attempts = sandbox.context.requests.filter((r) => r.path === '/openai/v1/images/generations');
    expect(attempts.map((r) => [r.status, r.fault])).toEqual([
      [429, '429'],
      [503, '503'],
      [200, undefined],
    ]);
    const ledger = (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { requestId: string }[]; totalUsd: number };
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.totalUsd).toBe(0.016);
  });
});
