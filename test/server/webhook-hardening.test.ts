/**
 * Webhooks against a hostile sender, on real gateways (loopback, SQLite state, the sandbox as the
 * vendors): a captured delivery replayed after a restart, or to another replica sharing Redis, is
 * refused; a flood of forged FAL deliveries costs one JWKS fetch; a 50 MB body is refused with 413
 * before it is read, on the gateway and on the batch's stand-alone receiver.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/server/serve.js';
import { WebhookCompletions } from '../../src/webhooks/completions.js';
import { startWebhookReceiver } from '../../src/webhooks/receiver.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const redisPrefix = `easel-test:hooks:${randomBytes(6).toString('hex')}:`;

let sandbox: Sandbox;
let easel: Easel;
let replicateSecret: string;
/** A server that records what the sandbox delivers to it, so tests can replay and forge. */
let capture: Server;
let captureUrl: string;
const captured: { headers: Record<string, string>; body: string }[] = [];
const toClose: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url } });
  const answer = await fetch(`${sandbox.urls.replicate}/webhooks/default/secret`, { headers: { authorization: 'Bearer k' } });
  replicateSecret = ((await answer.json()) as { key: string }).key;
  capture = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => (captured.push({ headers: req.headers as Record<string, string>, body }), res.end()));
  });
  await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
  captureUrl = `http://127.0.0.1:${(capture.address() as { port: number }).port}/`;
});
afterAll(async () => {
  for (const c of toClose.reverse()) await c.close();
  capture.close();
  await easel.close();
  await sandbox.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function gateway(options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const started = await startGateway({ easel, stateDir: mkdtempSync(join(tmpdir(), 'easel-hooks-')), onNotice: () => undefined, ...options });
  toClose.push(started);
  return started;
}

/** A Replicate delivery signed with the sandbox's secret, the way Replicate signs (Standard Webhooks). */
function replicateDelivery(): { headers: Record<string, string>; body: string } {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = new Date();
  const body = JSON.stringify({ id: `p_${id}`, status: 'succeeded', output: ['https://example.com/o.png'] });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(replicateSecret).sign(id, at, body),
    },
  };
}

/** A genuine FAL delivery: the sandbox runs a job and signs its webhook with its Ed25519 key. */
async function falDelivery(): Promise<{ headers: Record<string, string>; body: string }> {
  const before = captured.length;
  const submitted = await fetch(`${sandbox.urls.falQueue}/fal-ai/flux/schnell?fal_webhook=${encodeURIComponent(captureUrl)}`, {
    method: 'POST',
    headers: { authorization: 'Key k', 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'captured' }),
  });
  expect(submitted.status).toBe(200);
  await vi.waitFor(() => expect(captured.length).toBeGreaterThan(before), { timeout: 10_000, interval: 20 });
  const { headers, body } = captured[before]!;
  return { body, headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-fal-webhook'))) };
}

async function post(base: string, vendor: 'replicate' | 'fal', delivery: { headers: Record<string, string>; body: string }) {
  const response = await fetch(`${base}/v1/webhooks/${vendor}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  const text = await response.text();
  return { status: response.status, error: text ? (JSON.parse(text) as { error: { code: string; message: string } }).error : undefined };
}

describe('replays', () => {
  it('are refused after the gateway restarts on the same state folder (Replicate and FAL)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'easel-hooks-'));
    const replicate = replicateDelivery();
    const fal = await falDelivery();
    const first = await startGateway({ easel, stateDir, onNotice: () => undefined });
    expect((await post(first.url, 'replicate', replicate)).status).toBe(204);
    expect((await post(first.url, 'fal', fal)).status).toBe(204);
    await first.close();

    const restarted = await gateway({ stateDir });
    expect(await post(restarted.url, 'replicate', replicate)).toEqual({
      status: 409,
      error: expect.objectContaining({ code: 'replayed_webhook', message: expect.stringContaining(replicate.headers['webhook-id']!) }),
    });
    expect(await post(restarted.url, 'fal', fal)).toEqual({ status: 409, error: expect.objectContaining({ code: 'replayed_webhook' }) });
    // New deliveries still pass: the records refuse only what they hold.
    expect((await post(restarted.url, 'replicate', replicateDelivery())).status).toBe(204);
    expect((await post(restarted.url, 'fal', await falDelivery())).status).toBe(204);
  });

  it('are refused by another replica that shares Redis (and not by one that does not)', async () => {
    const redisKeyPrefix = `${redisPrefix}replicas:`;
    const [a, b] = await Promise.all([gateway({ redisUrl: REDIS_URL, redisKeyPrefix }), gateway({ redisUrl: REDIS_URL, redisKeyPrefix })]);
    const replicate = replicateDelivery();
    const fal = await falDelivery();
    expect((await post(a.url, 'replicate', replicate)).status).toBe(204);
    expect((await post(a.url, 'fal', fal)).status).toBe(204);
    expect(await post(b.url, 'replicate', replicate)).toMatchObject({ status: 409, error: { code: 'replayed_webhook' } });
    expect(await post(b.url, 'fal', fal)).toMatchObject({ status: 409, error: { code: 'replayed_webhook' } });
    // The record is in Redis under the configured prefix; a gateway with its own SQLite state has none.
    const redis = new Redis(REDIS_URL);
    expect(await redis.exists(`${redisKeyPrefix}replicate:${replicate.headers['webhook-id']}`)).toBe(1);
    await redis.quit();
    const separate = await gateway();
    expect((await post(separate.url, 'replicate', replicate)).status).toBe(204);
  });

  it('cannot be checked while Redis is down: deliveries are refused with 503 (the vendor retries), never accepted unchecked', async () => {
    const notices: string[] = [];
    // A password in the URL, and a port nothing listens on.
    const down = await gateway({ redisUrl: 'redis://user:s3cret-pw@127.0.0.1:1', onNotice: (line) => notices.push(line) });
    const response = await fetch(`${down.url}/v1/webhooks/replicate`, { method: 'POST', ...replicateDelivery() });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(await response.json()).toEqual({
      error: { code: 'replay_store_unavailable', type: 'server_error', param: null, message: expect.stringMatching(/replay store cannot be reached/) },
    });
    expect(notices.filter((n) => n.includes('Redis'))).toHaveLength(1);
    expect(notices.join('\n')).not.toContain('s3cret-pw');
    await expect(startGateway({ easel, redisUrl: 'localhost:6379?password=s3cret-pw' })).rejects.toThrow(
      /^the Redis URL for webhook replay records must look like redis:\/\/host:port/,
    );
  });

  it('are refused by the stand-alone receiver after it restarts on the same replay file', async () => {
    const replayPath = join(mkdtempSync(join(tmpdir(), 'easel-hooks-')), 'webhook-replays.db');
    const replicate = replicateDelivery();
    const first = await startWebhookReceiver({ vendors: easel, completions: new WebhookCompletions(), replayPath });
    expect((await post(first.url, 'replicate', replicate)).status).toBe(204);
    await first.close();
    const restarted = await startWebhookReceiver({ vendors: easel, completions: new WebhookCompletions(), replayPath });
    toClose.push(restarted);
    expect((await post(restarted.url, 'replicate', replicate)).status).toBe(409);
  });
});

describe('forged FAL deliveries', () => {
  it('100 of them cost at most one JWKS fetch, and genuine ones still verify', async () => {
    // The vendors reached through a proxy that counts the JWKS fetches.
    let jwksFetches = 0;
    const proxy = createServer(async (req, res) => {
      if (req.url?.endsWith('/.well-known/jwks.json')) jwksFetches++;
      const upstream = await fetch(`${sandbox.url}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
      res
        .writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    toClose.push({ close: () => new Promise((r) => proxy.close(() => r())) });
    const proxied = createEasel({ env: { EASEL_SANDBOX_URL: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` } });
    toClose.push(proxied);
    const gw = await gateway({ easel: proxied });

    const genuine = await falDelivery();
    const forge = () => ({
      body: genuine.body,
      headers: {
        ...genuine.headers,
        'x-fal-webhook-request-id': `forged-${randomBytes(6).toString('hex')}`,
        'x-fal-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-fal-webhook-signature': randomBytes(64).toString('hex'),
      },
    });
    const verdicts: Awaited<ReturnType<typeof post>>[] = [];
    for (let wave = 0; wave < 10; wave++) verdicts.push(...(await Promise.all(Array.from({ length: 10 }, () => post(gw.url, 'fal', forge())))));
    expect(verdicts).toHaveLength(100);
    for (const v of verdicts)
      expect(v).toMatchObject({ status: 401, error: { code: 'invalid_signature', message: expect.stringMatching(/signature does not match/) } });
    expect(jwksFetches).toBe(1);
    expect((await post(gw.url, 'fal', genuine)).status).toBe(204);
    expect(jwksFetches).toBe(1);
  });
});

/**
 * Sends a request by hand on a raw socket: the head, then whatever `send` writes, and waits for the
 * server's answer and for it to close the connection. Returns the status and the error envelope.
 */
function rawPost(
  base: string,
  path: string,
  head: Record<string, string>,
  send: (write: (chunk: string | Buffer) => void) => void,
): Promise<{ status: number; error: { code: string; message: string }; closedByServer: boolean }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${Object.entries(head)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      );
      send((chunk) => socket.write(chunk));
    });
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    // The server ends the connection once it has answered: nothing more of the body is read.
    socket.on('end', () => {
      const [headText = '', body = ''] = answer.split('\r\n\r\n');
      resolve({
        status: Number(headText.split(' ')[1]),
        error: (JSON.parse(body) as { error: { code: string; message: string } }).error,
        closedByServer: true,
      });
      socket.destroy();
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => reject(new Error(`no answer from ${path}; got ${JSON.stringify(answer)}`)));
  });
}

describe('a 50 MB webhook body', () => {
  const FIFTY_MB = 50 * 1024 * 1024;
  const cases: ['gateway' | 'receiver', 'replicate' | 'fal'][] = [
    ['gateway', 'replicate'],
    ['gateway', 'fal'],
    ['receiver', 'replicate'],
    ['receiver', 'fal'],
  ];
  const bases: Record<string, string> = {};
  beforeAll(async () => {
    bases.gateway = (await gateway()).url;
    const receiver = await startWebhookReceiver({ vendors: easel, completions: new WebhookCompletions() });
    toClose.push(receiver);
    bases.receiver = receiver.url;
  });

  it.each(cases)('is refused with 413 by the %s (%s) on its declared length, before the body is sent', async (where, vendor) => {
    // 50 MB declared, 5 bytes sent: the answer can only come from the headers.
    const answer = await rawPost(bases[where]!, `/v1/webhooks/${vendor}`, { 'content-type': 'application/json', 'content-length': String(FIFTY_MB) }, (write) =>
      write('{"id"'),
    );
    expect(answer).toEqual({
      status: 413,
      closedByServer: true,
      error: {
        code: 'request_too_large',
        message: 'Request body too large: the gateway accepts at most 1048576 bytes.',
        type: 'invalid_request_error',
        param: null,
      },
    });
  });

  it.each(cases)('is cut off at 1 MiB by the %s (%s) when sent chunked, before its end', async (where, vendor) => {
    // 1 MiB + 64 KiB of chunks and no last chunk: the answer comes while the body is still open.
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const answer = await rawPost(bases[where]!, `/v1/webhooks/${vendor}`, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, (write) => {
      for (let i = 0; i < 17; i++) write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    });
    expect(answer).toMatchObject({ status: 413, closedByServer: true, error: { code: 'request_too_large' } });
  });

  it("is bounded by the gateway's own maxBodyBytes when that is smaller", async () => {
    const small = await gateway({ maxBodyBytes: 4096 });
    const answer = await rawPost(small.url, '/v1/webhooks/replicate', { 'content-length': '5000' }, (write) => write('{'));
    expect(answer).toMatchObject({ status: 413, error: { message: 'Request body too large: the gateway accepts at most 4096 bytes.' } });
    // A delivery within the limit is read and judged on its signature as before.
    expect((await post(small.url, 'replicate', replicateDelivery())).status).toBe(204);
  });
});
