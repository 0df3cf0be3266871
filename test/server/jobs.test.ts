import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 1, stateDir: mkdtempSync(join(tmpdir(), 'easel-gwjobs-')) } });
});
afterAll(async () => {
  await easel.close();
  await sandbox.close();
});

describe('gateway jobs', () => {
  it('runs a batch job and reports results as they finish, images by URL', async () => {
    const app = createGatewayApp({ easel, files: new ImageFileStore(), keys: new KeyStore(':memory:'), metrics: new GatewayMetrics(easel.health), publicUrl: () => 'http://gw', maxBodyBytes: 1 << 20, maxImagePixels: 1 << 24 });
    const created = await app.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'replicate/black-forest-labs/flux-schnell', items: [{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }] }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    let job: { status: string; counts: { succeeded: number }; results: { images: { url: string }[] }[] } | undefined;
    await vi.waitFor(async () => {
      job = (await (await app.request(`/v1/jobs/${id}`)).json()) as typeof job;
      expect(job!.status).toBe('done');
    }, { timeout: 20_000, interval: 50 });
    expect(job!.counts.succeeded).toBe(3);
    const url = job!.results[0]!.images[0]!.url;
    const image = await app.request(url.replace('http://gw', ''));
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await app.request(`/v1/jobs/${id}/files/..%2F..%2Fjobs.db`)).status).toBe(404);
    const bad = await app.request('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: 'x' }) });
    expect(await bad.json()).toMatchObject({ error: { param: 'items' } });
  });
});
