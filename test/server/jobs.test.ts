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
import { startGateway } from '../../src/server/serve.js';
import { createServer } from 'node:net';

/** A port free right now (the gateway must know its public URL before it listens). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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
  it('complete by verified vendor webhooks when the gateway has a public URL', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const gateway = await startGateway({ easel, port, publicUrl, stateDir: mkdtempSync(join(tmpdir(), 'easel-gwhooks-')), onNotice: () => {} });
    const deliveriesBefore = sandbox.context.webhooks.list().length;
    const from = sandbox.context.requests.length;
    const created = await fetch(`${gateway.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fal/flux/schnell', items: [{ prompt: 'hook one' }, { prompt: 'hook two' }, { prompt: 'hook three' }] }),
    });
    const { id } = (await created.json()) as { id: string };
    await vi.waitFor(
      async () => {
        const job = (await (await fetch(`${gateway.url}/v1/jobs/${id}`)).json()) as { status: string; counts: { succeeded: number } };
        expect(job).toMatchObject({ status: 'done', counts: { succeeded: 3 } });
      },
      { timeout: 20_000, interval: 50 },
    );
    await sandbox.context.webhooks.drain();
    const deliveries = sandbox.context.webhooks.list().slice(deliveriesBefore);
    expect(deliveries.map((d) => [d.url, d.status])).toEqual(Array.from({ length: 3 }, () => [`${publicUrl}/v1/webhooks/fal`, 204]));
    // Waiting was the webhook's job: no status stream was opened for these items.
    expect(sandbox.context.requests.slice(from).some((r) => r.path.endsWith('/status/stream'))).toBe(false);
    await gateway.close();
  });

  it('shows a job only to the key that started it, never a CLI batch in the same store', async () => {
    const keys = new KeyStore(':memory:');
    const alice = keys.create({ name: 'alice' });
    const bob = keys.create({ name: 'bob' });
    const app = createGatewayApp({
      easel,
      files: new ImageFileStore(),
      keys,
      metrics: new GatewayMetrics(easel.health),
      publicUrl: () => 'http://gw',
      maxBodyBytes: 1 << 20,
      maxImagePixels: 1 << 24,
    });
    const as = (secret: string) => ({ authorization: `Bearer ${secret}`, 'content-type': 'application/json' });
    const created = await app.request('/v1/jobs', {
      method: 'POST',
      headers: as(alice.key),
      body: JSON.stringify({ model: 'replicate/black-forest-labs/flux-schnell', items: [{ prompt: 'mine' }] }),
    });
    const { id } = (await created.json()) as { id: string };
    await vi.waitFor(
      async () => {
        const own = await app.request(`/v1/jobs/${id}`, { headers: as(alice.key) });
        expect(own.status).toBe(200);
        expect(await own.json()).toMatchObject({ status: 'done' });
      },
      { timeout: 20_000, interval: 50 },
    );
    expect((await app.request(`/v1/jobs/${id}`, { headers: as(bob.key) })).status).toBe(404);
    const cli = await easel.batch([{ prompt: 'a CLI batch' }], {
      outDir: mkdtempSync(join(tmpdir(), 'easel-cli-job-')),
      model: 'replicate/black-forest-labs/flux-schnell',
    });
    await cli.done;
    const hidden = await app.request(`/v1/jobs/${cli.job.id}`, { headers: as(alice.key) });
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toMatchObject({ error: { code: 'job_not_found' } });
  });

  it('resumes the jobs a stopped gateway left unfinished when it starts again', async () => {
    const jobsDir = mkdtempSync(join(tmpdir(), 'easel-gw-resume-'));
    // What a gateway killed mid-job leaves in the store: a running gateway job with pending items.
    const job = await easel.jobStore().createJob(
      { id: 'job_left_behind', outDir: join(jobsDir, 'left'), source: 'gateway:open', options: { model: 'replicate/black-forest-labs/flux-schnell' } },
      [1, 2, 3].map((line) => ({ line, request: { prompt: `left behind ${line}` } })),
    );
    const notices: string[] = [];
    const gateway = await startGateway({ easel, stateDir: jobsDir, onNotice: (line) => void notices.push(line) });
    try {
      expect(notices.some((n) => /resuming \d+ unfinished job\(s\): .*job_left_behind/.test(n))).toBe(true);
      await vi.waitFor(
        async () => {
          const status = (await (await fetch(`${gateway.url}/v1/jobs/${job.id}`)).json()) as { status: string; counts: { succeeded: number } };
          expect(status).toMatchObject({ status: 'done', counts: { succeeded: 3 } });
        },
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      await gateway.close();
    }
  });

  it('refuses a body that is JSON but not an object with a 400, not a crash', async () => {
    const app = createGatewayApp({
      easel,
      files: new ImageFileStore(),
      keys: new KeyStore(':memory:'),
      metrics: new GatewayMetrics(easel.health),
      publicUrl: () => 'http://gw',
      maxBodyBytes: 1 << 20,
      maxImagePixels: 1 << 24,
    });
    for (const body of ['null', '[]', '7']) {
      const answer = await app.request('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(answer.status, body).toBe(400);
      expect(await answer.json()).toMatchObject({ error: { code: 'invalid_json', message: expect.stringContaining('must be a JSON object') } });
    }
  });

  it('runs a batch job and reports results as they finish, images by URL', async () => {
    const app = createGatewayApp({
      easel,
      files: new ImageFileStore(),
      keys: new KeyStore(':memory:'),
      metrics: new GatewayMetrics(easel.health),
      publicUrl: () => 'http://gw',
      maxBodyBytes: 1 << 20,
      maxImagePixels: 1 << 24,
    });
    const created = await app.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'replicate/black-forest-labs/flux-schnell', items: [{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }] }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    let job: { status: string; counts: { succeeded: number }; results: { images: { url: string }[] }[] } | undefined;
    await vi.waitFor(
      async () => {
        job = (await (await app.request(`/v1/jobs/${id}`)).json()) as typeof job;
        expect(job!.status).toBe('done');
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(job!.counts.succeeded).toBe(3);
    const url = job!.results[0]!.images[0]!.url;
    const image = await app.request(url.replace('http://gw', ''));
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await app.request(`/v1/jobs/${id}/files/..%2F..%2Fjobs.db`)).status).toBe(404);
    const bad = await app.request('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: 'x' }) });
    expect(await bad.json()).toMatchObject({ error: { param: 'items' } });
  });
});
