/** The official @fal-ai/client against the sandbox, unchanged but for where its requests go. */
import { createFalClient, ValidationError } from '@fal-ai/client';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
});
afterAll(() => sandbox.close());

const client = (credentials = 'k') =>
  createFalClient({
    credentials,
    requestMiddleware: async (req) => ({
      ...req,
      url: req.url.replace('https://queue.fal.run', sandbox.urls.falQueue).replace('https://fal.run', sandbox.urls.falRun),
    }),
  });

describe('FAL sandbox with the official client', () => {
  it('subscribe runs the guide’s flux/dev request through the queue', async () => {
    const { data, requestId } = await client().subscribe('fal-ai/flux/dev', {
      input: {
        prompt: 'Minimalist logo design for a tech startup',
        image_size: 'square_hd',
        num_inference_steps: 28,
        guidance_scale: 3.5,
        num_images: 1,
        enable_safety_checker: true,
      },
      pollInterval: 5,
      logs: true,
    });
    const result = data as { images: { url: string; width: number }[]; timings: { inference: number }; has_nsfw_concepts: boolean[]; seed: number };
    expect(requestId).toBeTruthy();
    expect(result.timings.inference).toBeGreaterThan(0);
    expect(result.has_nsfw_concepts).toEqual([false]);
    const image = Buffer.from(await (await fetch(result.images[0]!.url)).arrayBuffer());
    expect(await sharp(image).metadata()).toMatchObject({ width: 1024, height: 1024, format: 'jpeg' });
    const paths = sandbox.context.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain(`GET /fal/queue/fal-ai/flux/requests/${requestId}/status`);
  });

  it('subscribe in streaming mode follows the status stream to COMPLETED', async () => {
    const updates: string[] = [];
    const { data, requestId } = await client().subscribe('fal-ai/flux/schnell', {
      input: { prompt: 'a paper boat' },
      mode: 'streaming',
      onQueueUpdate: (u) => void updates.push(u.status),
    });
    expect((data as { images: unknown[] }).images).toHaveLength(1);
    expect(updates.at(-1)).toBe('COMPLETED');
    expect(updates).toContain('IN_PROGRESS');
    const streams = sandbox.context.requests.filter((r) => r.path === `/fal/queue/fal-ai/flux/requests/${requestId}/status/stream`);
    expect(streams).toHaveLength(1);
  });

  it('queue.submit, status and result', async () => {
    const fal = client();
    const { request_id } = await fal.queue.submit('fal-ai/flux/schnell', {
      input: { prompt: 'a red kite', image_size: { width: 512, height: 384 }, num_images: 2 },
    });
    let status = await fal.queue.status('fal-ai/flux/schnell', { requestId: request_id, logs: true });
    while (status.status !== 'COMPLETED') {
      await new Promise((r) => setTimeout(r, 5));
      status = await fal.queue.status('fal-ai/flux/schnell', { requestId: request_id, logs: true });
    }
    const { data } = await fal.queue.result('fal-ai/flux/schnell', { requestId: request_id });
    expect((data as { images: { width: number; height: number }[] }).images).toEqual([
      expect.objectContaining({ width: 512, height: 384 }),
      expect.objectContaining({ width: 512, height: 384 }),
    ]);
  });

  it('run answers synchronously, with data URIs in sync mode', async () => {
    const { data } = await client().run('fal-ai/flux/schnell', { input: { prompt: 'sync', sync_mode: true } });
    expect((data as { images: { url: string }[] }).images[0]!.url.startsWith('data:image/jpeg;base64,')).toBe(true);
  });

  it('signs webhooks with Ed25519: the JWKS verifies a delivery and rejects a tampered body', async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await client().queue.submit('fal-ai/flux/schnell', { input: { prompt: 'hooked' }, webhookUrl });
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    receiver.close();
    const jwks = (await (await fetch(`${sandbox.url}/fal/rest/.well-known/jwks.json`)).json()) as { keys: { kty: string; crv: string; x: string }[] };
    const check = (body: string, h: Record<string, string>) => {
      const message = `${h['x-fal-webhook-request-id']}\n${h['x-fal-webhook-user-id']}\n${h['x-fal-webhook-timestamp']}\n${createHash('sha256').update(body).digest('hex')}`;
      return jwks.keys.some((jwk) =>
        verify(null, Buffer.from(message), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(h['x-fal-webhook-signature']!, 'hex')),
      );
    };
    const delivery = received[0]!;
    expect(JSON.parse(delivery.body)).toMatchObject({ status: 'OK', payload: { images: [expect.any(Object)] } });
    expect(check(delivery.body, delivery.headers)).toBe(true);
    expect(check(delivery.body.replace('hooked', 'hacked'), delivery.headers)).toBe(false);
  });

  it('answers FAL’s error shapes', async () => {
    const validation = await client()
      .subscribe('fal-ai/flux/dev', { input: { prompt: 'x', num_images: 9 }, pollInterval: 5 })
      .catch((e) => e);
    expect(validation).toBeInstanceOf(ValidationError);
    expect(validation.status).toBe(422);
    expect(validation.fieldErrors[0]).toMatchObject({ loc: ['body', 'num_images'], type: 'less_than_equal' });

    const post = (path: string, init: RequestInit = {}) =>
      fetch(`${sandbox.urls.falQueue}/${path}`, {
        method: 'POST',
        headers: { authorization: 'Key k', 'content-type': 'application/json', ...init.headers },
        body: JSON.stringify({ prompt: 'x' }),
      });
    const missingKey = await fetch(`${sandbox.urls.falQueue}/fal-ai/flux/dev`, { method: 'POST', body: '{}' });
    expect(missingKey.status).toBe(401);
    const unknown = await post('fal-ai/nothing-here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ detail: expect.stringContaining('not found') });
    const limited = await post('fal-ai/flux/dev', { headers: { 'x-sandbox-fault': '429' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    const down = await post('fal-ai/flux/dev', { headers: { 'x-sandbox-fault': '503' } });
    expect(down.status).toBe(503);
    expect(down.headers.get('x-fal-error-type')).toBe('runner_scheduling_failure');
    expect(await down.json()).toMatchObject({ detail: expect.any(String), error_type: 'runner_scheduling_failure' });

    const moderated = await client()
      .subscribe('fal-ai/flux/dev', { input: { prompt: 'x [sandbox:moderation]' }, pollInterval: 5 })
      .catch((e) => e);
    expect(moderated.status).toBe(422);
    expect(moderated.body.detail[0].type).toBe('content_policy_violation');
  });
});
