/**
 * The official `replicate` client (1.4.0) against the sandbox, unchanged but for `baseUrl`:
 * run(), create + wait, file uploads for Buffer inputs, cancel, webhooks it can validate.
 */
import Replicate, { validateWebhook } from 'replicate';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_ESRGAN_VERSION, SDXL_VERSION } from '../../src/catalog/models/replicate.js';
import { imageSize } from '../../src/sandbox/draw.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { TEST_KEYS } from '../helpers/runtime.js';
import { expectShape } from './replicate-shape.js';
import succeededFixture from '../fixtures/replicate-prediction-succeeded.json' with { type: 'json' };

let sandbox: Sandbox;
let replicate: Replicate;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
  replicate = new Replicate({ auth: TEST_KEYS.replicate, baseUrl: sandbox.urls.replicate });
});
afterAll(() => sandbox.close());

async function download(url: string): Promise<{ bytes: Uint8Array; contentType: string | null }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { bytes: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get('content-type') };
}

describe('replicate sandbox with the official client', () => {
  it('runs the guide example: flux-schnell, 4 outputs as http URLs of 1024x1024 webp images, charged once', async () => {
    const before = sandbox.context.ledger.list().length;
    const output = (await replicate.run('black-forest-labs/flux-schnell', {
      input: {
        prompt: 'A cozy coffee shop interior, warm lighting, wooden furniture, patrons working on laptops',
        num_outputs: 4,
        num_inference_steps: 4,
        width: 1024,
        height: 1024,
      },
    })) as unknown[];
    expect(output).toHaveLength(4);
    for (const url of output) {
      // http: URLs are returned as plain strings by the client (only https:/data: become FileOutput).
      expect(url).toBeTypeOf('string');
      const { bytes, contentType } = await download(url as string);
      expect(contentType).toBe('image/webp');
      expect(await imageSize(bytes)).toMatchObject({ width: 1024, height: 1024, format: 'webp' });
    }
    const charges = sandbox.context.ledger.list().slice(before);
    expect(charges).toEqual([expect.objectContaining({ vendor: 'replicate', model: 'replicate/black-forest-labs/flux-schnell', usd: 0.012, images: 4 })]);
  });

  it('honours aspect_ratio, output_format and megapixels', async () => {
    const [url] = (await replicate.run('black-forest-labs/flux-schnell', {
      input: { prompt: 'mountains', aspect_ratio: '16:9', output_format: 'jpg', megapixels: '0.25' },
    })) as string[];
    const { bytes, contentType } = await download(url!);
    expect(contentType).toBe('image/jpeg');
    expect(await imageSize(bytes)).toMatchObject({ width: 672, height: 384, format: 'jpeg' });
  });

  it('creates a versioned prediction, then waits: starting -> succeeded with timestamps, logs, metrics', async () => {
    const created = await replicate.predictions.create({ version: SDXL_VERSION, input: { prompt: 'a red bicycle', width: 512, height: 768, seed: 7 } });
    expect(created.status).toBe('starting');
    expect(created.output).toBeNull();
    expect(created.urls.get).toBe(`${sandbox.urls.replicate}/predictions/${created.id}`);
    const done = await replicate.wait(created, { interval: 5 });
    expect(done.status).toBe('succeeded');
    expectShape(done, succeededFixture);
    expect(done.model).toBe('stability-ai/sdxl');
    expect(done.version).toBe(SDXL_VERSION);
    expect(done.logs).toContain('Using seed: 7');
    expect(done.metrics?.predict_time).toBeGreaterThan(0);
    expect(Date.parse(done.created_at)).toBeLessThanOrEqual(Date.parse(done.started_at!));
    expect(Date.parse(done.started_at!)).toBeLessThanOrEqual(Date.parse(done.completed_at!));
    const [url] = done.output as string[];
    expect(await imageSize((await download(url!)).bytes)).toMatchObject({ width: 512, height: 768, format: 'png' });
    // Per-second price: what the ledger charged follows the reported predict_time.
    const charge = sandbox.context.ledger.list().find((c) => c.requestId === done.id);
    expect(charge?.usd).toBeCloseTo(done.metrics!.predict_time! * 0.000575, 6);

    const page = await replicate.predictions.list();
    expect(page.results.map((p) => p.id)).toContain(done.id);
  });

  it('uploads a Buffer input to /v1/files and upscales it 4x with real-esrgan', async () => {
    const input = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const output = await replicate.run(`nightmareai/real-esrgan:${REAL_ESRGAN_VERSION}`, { input: { image: input, scale: 4 } });
    expect(output).toBeTypeOf('string');
    const { bytes } = await download(output as unknown as string);
    expect(await imageSize(bytes)).toMatchObject({ width: 160, height: 120, format: 'png' });
    expect(sandbox.context.requests.some((r) => r.method === 'POST' && r.path === '/replicate/v1/files' && r.status === 201)).toBe(true);
  });

  it('answers Prefer: wait=N that runs out with status starting, so run() keeps polling', async () => {
    const slow = await startSandbox({ timeScale: 0.001, coldStart: { ms: 40_000, rate: 1 } });
    try {
      const client = new Replicate({ auth: TEST_KEYS.replicate, baseUrl: slow.urls.replicate });
      const created = await client.predictions.create({ version: SDXL_VERSION, input: { prompt: 'slow boot' }, wait: 1 });
      expect(created.status).toBe('starting');
      const done = await client.wait(created, { interval: 5 });
      expect(done.status).toBe('succeeded');
      expect(done.logs).toContain('cold start');
      const output = await client.run(`stability-ai/sdxl:${SDXL_VERSION}`, {
        input: { prompt: 'again', width: 256, height: 256 },
        wait: { mode: 'block', timeout: 1 },
      });
      expect(output).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('cancels a running prediction: canceled, never charged, slot released', async () => {
    const slow = await startSandbox({ timeScale: 0.001, coldStart: { ms: 60_000, rate: 1 } });
    try {
      const client = new Replicate({ auth: TEST_KEYS.replicate, baseUrl: slow.urls.replicate });
      const created = await client.predictions.create({ version: SDXL_VERSION, input: { prompt: 'never mind' } });
      expect(slow.context.limits.inFlightCount('replicate')).toBe(1);
      const canceled = await client.predictions.cancel(created.id);
      expect(canceled.status).toBe('canceled');
      expect(canceled.completed_at).toBeTruthy();
      expect((await client.predictions.get(created.id)).status).toBe('canceled');
      expect(slow.context.limits.inFlightCount('replicate')).toBe(0);
      expect(slow.context.ledger.list()).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('fails a moderated prediction with the safety checker text, and charges nothing', async () => {
    const before = sandbox.context.ledger.list().length;
    await expect(replicate.run('black-forest-labs/flux-dev', { input: { prompt: 'something [sandbox:moderation]' } })).rejects.toThrow(
      'Prediction failed: All generated images contained NSFW content. Try running it again with a different prompt.',
    );
    expect(sandbox.context.ledger.list().length).toBe(before);
  });
});

describe('replicate sandbox webhooks', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/replicate`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('sends signed webhooks for the filtered events that validateWebhook accepts, and rejects a tampered one', async () => {
    const created = await replicate.predictions.create({
      model: 'black-forest-labs/flux-schnell',
      input: { prompt: 'mountain landscape at sunset' },
      webhook: receiverUrl,
      webhook_events_filter: ['start', 'completed'],
    });
    await replicate.wait(created, { interval: 5 });
    await sandbox.context.webhooks.drain();
    const mine = received.filter((r) => (JSON.parse(r.body) as { id: string }).id === created.id);
    expect(mine.map((r) => (JSON.parse(r.body) as { status: string }).status)).toEqual(['starting', 'succeeded']);

    const { key } = await replicate.webhooks.default.secret.get();
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    for (const delivery of mine) {
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,/);
      expect(await validateWebhook({ headers: delivery.headers as Record<string, string>, body: delivery.body } as never, key)).toBe(true);
    }
    const last = mine.at(-1)!;
    const tampered = last.body.replace('"succeeded"', '"failed"');
    expect(await validateWebhook({ headers: last.headers as Record<string, string>, body: tampered } as never, key)).toBe(false);
    expect(
      await validateWebhook(
        { headers: last.headers as Record<string, string>, body: last.body } as never,
        'whsec_' + Buffer.from('wrong key').toString('base64'),
      ),
    ).toBe(false);
  });

  it('sends output and completed by default', async () => {
    const created = await replicate.predictions.create({ model: 'black-forest-labs/flux-schnell', input: { prompt: 'default events' }, webhook: receiverUrl });
    await replicate.wait(created, { interval: 5 });
    await sandbox.context.webhooks.drain();
    const events = sandbox.context.webhooks
      .list()
      .filter((d) => d.url === receiverUrl)
      .slice(-2)
      .map((d) => d.event);
    expect(events).toEqual(['output', 'completed']);
  });
});
