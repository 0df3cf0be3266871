/** The gateway's webhook receivers: real deliveries from the sandbox accepted; forged, tampered and replayed ones rejected. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type Gateway, startGateway } from '../../src/server/serve.js';

let sandbox: Sandbox;
let easel: Easel;
let gateway: Gateway;
const delivered: { vendor: string; id: string }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url } });
  gateway = await startGateway({
    easel,
    stateDir: mkdtempSync(join(tmpdir(), 'easel-hooks-')),
    onNotice: () => undefined,
    onWebhook: (vendor, id) => void delivered.push({ vendor, id }),
  });
});
afterAll(async () => {
  await gateway.close();
  await easel.close();
  await sandbox.close();
});

/** Captures what the sandbox posted to the gateway, so the test can replay and tamper with it. */
async function lastDelivery(vendor: 'replicate' | 'fal') {
  // The gateway hands the delivery on before it answers; the sandbox records the answer a moment later.
  await vi.waitFor(
    () => {
      expect(delivered.some((d) => d.vendor === vendor)).toBe(true);
      expect(
        sandbox.context.webhooks
          .list()
          .filter((d) => d.vendor === vendor)
          .at(-1)?.status,
      ).not.toBeNull();
    },
    { timeout: 10_000, interval: 20 },
  );
  return sandbox.context.webhooks
    .list()
    .filter((d) => d.vendor === vendor)
    .at(-1)!;
}

describe('gateway webhook receivers', () => {
  it('accept a real Replicate delivery and reject replayed, tampered and forged ones', async () => {
    const hook = `${gateway.url}/v1/webhooks/replicate`;
    const created = await fetch(`${sandbox.urls.replicate}/predictions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ version: 'black-forest-labs/flux-schnell', input: { prompt: 'hook' }, webhook: hook, webhook_events_filter: ['completed'] }),
    });
    expect(created.status).toBe(201);
    const delivery = await lastDelivery('replicate');
    expect(delivery.status).toBe(204);

    // Re-sign nothing: send the same bytes again, then altered bytes, then a made-up signature.
    const { key } = (await (await fetch(`${sandbox.urls.replicate}/webhooks/default/secret`, { headers: { authorization: 'Bearer k' } })).json()) as {
      key: string;
    };
    const { Webhook } = await import('standardwebhooks');
    const body = JSON.stringify({ id: 'p1', status: 'succeeded' });
    const id = 'msg_replay_test';
    const ts = new Date();
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
      'webhook-signature': new Webhook(key).sign(id, ts, body),
      'content-type': 'application/json',
    };
    expect((await fetch(hook, { method: 'POST', headers, body })).status).toBe(204);
    const replayed = await fetch(hook, { method: 'POST', headers, body });
    expect(replayed.status).toBe(409);
    expect(await replayed.json()).toMatchObject({ error: { code: 'replayed_webhook', message: expect.stringContaining('replayed') } });
    const tampered = await fetch(hook, { method: 'POST', headers: { ...headers, 'webhook-id': 'msg_other' }, body: body.replace('succeeded', 'failed') });
    expect(tampered.status).toBe(401);
    const forged = await fetch(hook, { method: 'POST', headers: { ...headers, 'webhook-id': 'msg_forged', 'webhook-signature': 'v1,AAAA' }, body });
    expect(((await forged.json()) as { error: { message: string } }).error.message).toMatch(/signature does not match/);
    const stale = new Date(Date.now() - 3_600_000);
    const old = await fetch(hook, {
      method: 'POST',
      headers: {
        ...headers,
        'webhook-id': 'msg_old',
        'webhook-timestamp': String(Math.floor(stale.getTime() / 1000)),
        'webhook-signature': new Webhook(key).sign('msg_old', stale, body),
      },
      body,
    });
    expect(((await old.json()) as { error: { message: string } }).error.message).toMatch(/timestamp/);
  });

  it('accept a real FAL delivery and reject replayed, tampered and forged ones', async () => {
    const hook = `${gateway.url}/v1/webhooks/fal`;
    const submitted = await fetch(`${sandbox.urls.falQueue}/fal-ai/flux/schnell?fal_webhook=${encodeURIComponent(hook)}`, {
      method: 'POST',
      headers: { authorization: 'Key k', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hook' }),
    });
    expect(submitted.status).toBe(200);
    const delivery = await lastDelivery('fal');
    expect(delivery.status).toBe(204);

    // Capture a genuine signed delivery to replay and tamper with.
    const captured: { headers: Record<string, string>; body: string }[] = [];
    const { createServer } = await import('node:http');
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => (captured.push({ headers: req.headers as Record<string, string>, body }), res.end()));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    await fetch(`${sandbox.urls.falQueue}/fal-ai/flux/schnell?fal_webhook=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`, {
      method: 'POST',
      headers: { authorization: 'Key k', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'captured' }),
    });
    await vi.waitFor(() => expect(captured).toHaveLength(1), { timeout: 10_000, interval: 20 });
    receiver.close();
    const { headers, body } = captured[0]!;
    const falHeaders = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-fal-webhook')));
    expect((await fetch(hook, { method: 'POST', headers: falHeaders, body })).status).toBe(204);
    expect((await fetch(hook, { method: 'POST', headers: falHeaders, body })).status).toBe(409);
    const tampered = await fetch(hook, {
      method: 'POST',
      headers: { ...falHeaders, 'x-fal-webhook-timestamp': String(Math.floor(Date.now() / 1000)) },
      body: body.replace('captured', 'changed'),
    });
    expect(((await tampered.json()) as { error: { message: string } }).error.message).toMatch(/signature does not match/);
    const forged = await fetch(hook, { method: 'POST', headers: { ...falHeaders, 'x-fal-webhook-signature': 'ab'.repeat(64) }, body });
    expect(forged.status).toBe(401);
    const missing = await fetch(hook, { method: 'POST', body });
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/missing header x-fal-webhook-request-id/);
  });
});
