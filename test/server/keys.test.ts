import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { createGatewayApp } from '../../src/server/app.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { ImageFileStore } from '../../src/server/files/store.js';
import { GatewayMetrics } from '../../src/server/metrics/metrics.js';

let sandbox: Sandbox;
let easel: Easel;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0 });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 1 } });
});
afterAll(async () => {
  await easel.close();
  await sandbox.close();
});

function gateway(keys = new KeyStore(':memory:')) {
  const app = createGatewayApp({
    easel,
    files: new ImageFileStore(),
    keys,
    metrics: new GatewayMetrics(easel.health),
    publicUrl: () => 'http://gw',
    maxBodyBytes: 1 << 20,
    maxImagePixels: 1 << 24,
  });
  const generate = (key: string | undefined, body: Record<string, unknown>) =>
    app.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });
  return { app, keys, generate };
}
const SCHNELL = 'replicate/black-forest-labs/flux-schnell';

describe('gateway keys', () => {
  it('is open with no key, and needs one as soon as one exists', async () => {
    const gw = gateway();
    expect((await gw.generate(undefined, { model: SCHNELL, prompt: 'a' })).status).toBe(200);
    const { key } = gw.keys.create({ name: 'team' });
    const missing = await gw.generate(undefined, { model: SCHNELL, prompt: 'a' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'missing_api_key' } });
    expect((await gw.generate('esk_wrong', { model: SCHNELL, prompt: 'a' })).status).toBe(401);
    expect((await gw.generate(key, { model: SCHNELL, prompt: 'a' })).status).toBe(200);
  });

  it('stores only a hash of the key', () => {
    const keys = new KeyStore(':memory:');
    const { key, record } = keys.create({ name: 'x' });
    expect(JSON.stringify(keys.list())).not.toContain(key);
    expect(record.prefix).toBe(key.slice(0, 10));
    expect(keys.authenticate(key)?.id).toBe(record.id);
    keys.revoke(record.id);
    expect(keys.authenticate(key)).toBeUndefined();
  });

  it('holds each key to its budget, also under concurrency', async () => {
    const gw = gateway();
    const { key, record } = gw.keys.create({ name: 'capped', budgetUsd: 0.015 });
    // flux-schnell costs $0.003: five fit, the rest are refused.
    const answers = await Promise.all(Array.from({ length: 10 }, () => gw.generate(key, { model: SCHNELL, prompt: 'b' })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    const refused = answers.find((a) => a.status === 402)!;
    expect(await refused.json()).toMatchObject({ error: { type: 'insufficient_quota' } });
    expect(gw.keys.get(record.id)!.spentUsd).toBeCloseTo(0.015, 9);
  });

  it('limits models and request rate per key', async () => {
    const gw = gateway();
    const { key } = gw.keys.create({ name: 'narrow', allowedModels: [SCHNELL], requestsPerMinute: 2 });
    const refused = await gw.generate(key, { model: 'openai/gpt-image-1', prompt: 'c' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'model_not_allowed' } });
    const auto = await gw.generate(key, { model: 'auto', prompt: 'c' });
    expect(auto.headers.get('x-easel-model')).toBe(SCHNELL);
    const limited = await gw.generate(key, { model: SCHNELL, prompt: 'c' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('holds a restricted key to its models in jobs too: an item’s own model or routing targets are refused', async () => {
    const gw = gateway();
    const { key } = gw.keys.create({ name: 'jobs', allowedModels: [SCHNELL] });
    const post = (body: unknown) =>
      gw.app.request('/v1/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    for (const item of [
      { prompt: 'e', model: 'openai/gpt-image-1' },
      { prompt: 'e', policy: { targets: { model: 'openai/gpt-image-1' } } },
    ]) {
      const refused = await post({ model: SCHNELL, items: [{ prompt: 'fine' }, item] });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: 'model_not_allowed', param: 'items[1].model' } });
    }
    expect((await post({ model: SCHNELL, items: [{ prompt: 'fine', model: SCHNELL }] })).status).toBe(202);
  });

  it('exposes health and Prometheus metrics', async () => {
    const gw = gateway();
    await gw.generate(undefined, { model: SCHNELL, prompt: 'd' });
    expect((await gw.app.request('/healthz')).status).toBe(200);
    const metrics = await (await gw.app.request('/metrics')).text();
    expect(metrics).toContain('easel_gateway_requests_total{route="/v1/images/generations",status="200"}');
    expect(metrics).toMatch(/easel_vendor_latency_seconds_count\{provider="replicate",model="replicate\/black-forest-labs\/flux-schnell"\} \d+/);
    expect(metrics).toContain('easel_breaker_state{provider="replicate"} 0');
  });
});

describe('native API inputs', () => {
  it('refuses file paths and private URLs for images, with a clear error', async () => {
    const gw = gateway();
    const send = (image: string) =>
      gw.app.request('/v1/easel/generate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task: 'edit', prompt: 'x', image, model: 'stability/inpaint' }),
      });
    const path = await send('/etc/passwd');
    expect(path.status).toBe(400);
    expect(await path.json()).toMatchObject({
      error: { param: 'image', message: expect.stringContaining('or an http(s) URL; file paths and other URL schemes are not accepted') },
    });
    const internal = await send('http://169.254.169.254/latest/meta-data');
    expect(internal.status).toBe(400);
    expect(((await internal.json()) as { error: { message: string } }).error.message).toMatch(/non-public address/);
  });
});
