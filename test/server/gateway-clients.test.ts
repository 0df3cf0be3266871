/**
 * The official `openai` client and the Vercel AI SDK's generateImage, pointed at the gateway by
 * base URL only, generate and edit images routed to each vendor in the sandbox.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateImage } from 'ai';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type Gateway, startGateway } from '../../src/server/serve.js';

let sandbox: Sandbox;
let easel: Easel;
let gateway: Gateway;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, coldStart: { ms: 0, rate: 0 } });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 } });
  gateway = await startGateway({ easel, stateDir: mkdtempSync(join(tmpdir(), 'easel-gw-')), onNotice: () => undefined });
});
afterAll(async () => {
  await gateway.close();
  await easel.close();
  await sandbox.close();
});

const GENERATE_MODELS = ['openai/gpt-image-1', 'stability/sd3.5-large', 'replicate/black-forest-labs/flux-schnell', 'fal/flux/dev'];
const EDIT_MODELS = ['openai/gpt-image-1', 'stability/inpaint', 'replicate/stability-ai/sdxl', 'fal/flux-pro/v1/fill'];

async function squarePng(size = 256): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 4, background: '#4a7' } })
    .png()
    .toBuffer();
}
async function maskPng(size = 256): Promise<Buffer> {
  // OpenAI's convention: transparent pixels mark the area to edit.
  const raw = Buffer.alloc(size * size * 4, 255);
  for (let y = 64; y < 192; y++) for (let x = 64; x < 192; x++) raw[(y * size + x) * 4 + 3] = 0;
  return sharp(raw, { raw: { width: size, height: size, channels: 4 } })
    .png()
    .toBuffer();
}

describe('official openai client through the gateway', () => {
  const client = () => new OpenAI({ apiKey: 'unused-without-gateway-keys', baseURL: `${gateway.url}/v1` });

  it.each(GENERATE_MODELS)('generates with %s', async (model) => {
    const response = await client().images.generate({ model, prompt: 'a lighthouse at dusk', size: '1024x1024', response_format: 'b64_json' } as never);
    const bytes = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect((await sharp(bytes).metadata()).width).toBe(1024);
  });

  it('answers with a URL when asked, served by the gateway', async () => {
    const response = await client().images.generate({ model: 'replicate/black-forest-labs/flux-schnell', prompt: 'a barn', response_format: 'url' } as never);
    const url = response.data![0]!.url!;
    expect(url.startsWith(gateway.url)).toBe(true);
    const image = await fetch(url);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('puts easel metadata in response headers', async () => {
    const { response } = await client()
      .images.generate({ model: 'replicate/black-forest-labs/flux-schnell', prompt: 'a barn' } as never)
      .withResponse();
    expect(response.headers.get('x-easel-model')).toBe('replicate/black-forest-labs/flux-schnell');
    expect(Number(response.headers.get('x-easel-cost-usd'))).toBeCloseTo(0.003, 6);
    expect(response.headers.get('x-easel-attempts')).toBe('1');
  });

  it.each(EDIT_MODELS)('edits with a mask on %s', async (model) => {
    const response = await client().images.edit({
      model,
      prompt: 'a red door',
      image: await toFile(await squarePng(1024), 'image.png', { type: 'image/png' }),
      mask: await toFile(await maskPng(1024), 'mask.png', { type: 'image/png' }),
      size: '1024x1024',
    } as never);
    expect(response.data![0]!.b64_json!.length).toBeGreaterThan(1000);
  });

  it('speaks OpenAI errors', async () => {
    const error = await client()
      .images.generate({ model: 'no-such-model', prompt: 'x' } as never)
      .catch((e) => e);
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
  });
});

describe('Vercel AI SDK generateImage through the gateway', () => {
  const provider = () => createOpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1` });

  it.each(GENERATE_MODELS)('generates with %s', async (model) => {
    const { images } = await generateImage({ model: provider().image(model), prompt: 'a lighthouse at dusk', size: '1024x1024' });
    expect(images).toHaveLength(1);
    expect((await sharp(images[0]!.uint8Array).metadata()).height).toBe(1024);
  });

  it.each(EDIT_MODELS)('edits with a mask on %s', async (model) => {
    const { images } = await generateImage({
      model: provider().image(model),
      prompt: { text: 'a red door', images: [await squarePng(1024)], mask: await maskPng(1024) },
      size: '1024x1024',
    });
    expect(images).toHaveLength(1);
  });
});
