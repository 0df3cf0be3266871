/**
 * Every example in the field guide, done as one easel call (the files under examples/), run against
 * the sandbox: the outgoing requests carry the guide's parameters and the results are what it shows.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { architectureDiagram } from '../../examples/dalle3-architecture-diagram.js';
import { startupLogo } from '../../examples/fal-flux-dev.js';
import { quickstart } from '../../examples/quickstart.js';
import { coffeeShop } from '../../examples/replicate-flux-schnell.js';
import { headphonePhoto } from '../../examples/stability-headphone.js';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
let easel: Easel;
const bodies: { url: string; body: string }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
  // Records what goes on the wire (bodies as text; multipart as its serialised form).
  const recordingFetch: typeof fetch = async (input, init) => {
    const body = init?.body;
    bodies.push({
      url: String(input),
      body:
        typeof body === 'string'
          ? body
          : body instanceof FormData
            ? JSON.stringify(Object.fromEntries([...body.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : '<file>'])))
            : '',
    });
    return fetch(input, init);
  };
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 }, fetch: recordingFetch });
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await easel.close();
  await sandbox.close();
});

const out = () => mkdtempSync(join(tmpdir(), 'easel-examples-'));
const sentTo = (fragment: string) => bodies.filter((b) => b.url.includes(fragment)).map((b) => b.body);

describe('the guide’s examples', () => {
  it('DALL-E 3 architecture diagram: 1792x1024, standard, base64, revised prompt', async () => {
    const { result, file } = await architectureDiagram(easel, out());
    expect(result.model).toBe('openai/dall-e-3');
    expect(result.images[0]).toMatchObject({ width: 1792, height: 1024 });
    expect(result.images[0]!.revisedPrompt).toBeTruthy();
    expect(result.warnings.some((w) => w.kind === 'deprecated')).toBe(true);
    expect(JSON.parse(sentTo('/images/generations').at(-1)!)).toMatchObject({
      model: 'dall-e-3',
      size: '1792x1024',
      quality: 'standard',
      n: 1,
      response_format: 'b64_json',
    });
    expect((await sharp(readFileSync(file)).metadata()).format).toBe('png');
  });

  it('Stability headphone photo: negative prompt, 16:9, seed 42, PNG', async () => {
    const { result, file } = await headphonePhoto(easel, out());
    expect(result.model).toBe('stability/core');
    expect(result.images[0]).toMatchObject({ width: 1344, height: 768, seed: 42, format: 'png' });
    expect(JSON.parse(sentTo('/generate/core').at(-1)!)).toMatchObject({
      negative_prompt: 'text, watermarks, blurry, distorted',
      aspect_ratio: '16:9',
      seed: '42',
      output_format: 'png',
    });
    expect((await sharp(readFileSync(file)).metadata()).width).toBe(1344);
  });

  it('Replicate FLUX schnell: 4 outputs, 1024x1024, 4 steps', async () => {
    const { result, files } = await coffeeShop(easel, out());
    expect(result.images).toHaveLength(4);
    expect(files).toHaveLength(4);
    for (const image of result.images) expect(image).toMatchObject({ width: 1024, height: 1024 });
    expect(JSON.parse(sentTo('/flux-schnell/predictions').at(-1)!)).toMatchObject({ input: { num_outputs: 4, num_inference_steps: 4, aspect_ratio: '1:1' } });
  });

  it('FAL FLUX dev: square_hd, 28 steps, guidance 3.5, safety checker, inference time', async () => {
    const { result } = await startupLogo(easel, out());
    expect(result.images[0]).toMatchObject({ width: 1024, height: 1024 });
    expect(result.usage.inferenceSeconds).toBeGreaterThan(0);
    expect(JSON.parse(sentTo('/fal-ai/flux/dev').at(0)!)).toMatchObject({
      image_size: 'square_hd',
      num_inference_steps: 28,
      guidance_scale: 3.5,
      num_images: 1,
      enable_safety_checker: true,
    });
  });

  it('the README quick start', async () => {
    const previous = process.env.EASEL_SANDBOX_URL;
    process.env.EASEL_SANDBOX_URL = sandbox.url;
    try {
      const { result } = await quickstart(out());
      expect(result.images[0]).toMatchObject({ width: 1024, height: 1024 });
    } finally {
      if (previous === undefined) delete process.env.EASEL_SANDBOX_URL;
      else process.env.EASEL_SANDBOX_URL = previous;
    }
  });
});
