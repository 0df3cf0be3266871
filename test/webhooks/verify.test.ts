/**
 * Webhook verification: payloads signed here (Replicate with the `standardwebhooks` reference
 * implementation, FAL with a fresh Ed25519 keypair), then real deliveries from the sandbox.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, createHash, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderUnavailableError } from '../../src/core/errors.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { fetchJwks, ReplayCache, verifyFalWebhook, verifyReplicateWebhook } from '../../src/webhooks/verify.js';

const NOW_MS = 1_790_000_000_000;
const NOW_S = NOW_MS / 1000;
const now = () => NOW_MS;

describe('verifyReplicateWebhook', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const body = JSON.stringify({ id: 'p1', status: 'succeeded', output: ['https://example.com/o.png'] });
  /** Signed by the reference implementation, so the test also checks interoperability. */
  function signed(id = `msg_${randomBytes(6).toString('hex')}`, timestampS = NOW_S, payload = body, key = secret) {
    return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': new Webhook(key).sign(id, new Date(timestampS * 1000), payload) };
  }
  const verify = (headers: Record<string, string> | Headers, rawBody: string | Uint8Array = body, seen = new ReplayCache()) =>
    verifyReplicateWebhook({ headers, rawBody }, secret, { now, seen });

  it('accepts a valid delivery, from a Headers object, a header record in any case, a string or bytes', () => {
    const headers = signed('msg_1');
    expect(verify(headers)).toEqual({ ok: true, id: 'msg_1' });
    expect(verify(new Headers(headers))).toEqual({ ok: true, id: 'msg_1' });
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verify(shouting, new TextEncoder().encode(body))).toEqual({ ok: true, id: 'msg_1' });
  });

  it('rejects a tampered body, a wrong secret and a forged signature', () => {
    expect(verify(signed(), body.replace('succeeded', 'failed'))).toMatchObject({
      ok: false,
      code: 'bad_signature',
      reason: expect.stringMatching(/signature does not match/),
    });
    expect(verify(signed(undefined, undefined, undefined, `whsec_${randomBytes(24).toString('base64')}`))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify({ ...signed(), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` })).toMatchObject({ ok: false, code: 'bad_signature' });
    const genuine = signed();
    expect(verify({ ...genuine, 'webhook-signature': genuine['webhook-signature'].replace('v1,', 'v2,') })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify({ ...genuine, 'webhook-id': 'msg_other' })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('signs the raw bytes: bodies that decode to the same text still differ', () => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const raw = Uint8Array.of(0x7b, 0xff, 0x7d);
    const sig = createHmac('sha256', key)
      .update('msg_b.' + NOW_S + '.')
      .update(raw)
      .digest('base64');
    const headers = { 'webhook-id': 'msg_b', 'webhook-timestamp': String(NOW_S), 'webhook-signature': `v1,${sig}` };
    expect(verify(headers, raw).ok).toBe(true);
    expect(verify(headers, Uint8Array.of(0x7b, 0xfe, 0x7d))).toMatchObject({ ok: false, code: 'bad_signature' }); // both decode to "{\uFFFD}"
  });

  it('accepts a signature list in which one entry is valid', () => {
    const genuine = signed('msg_multi');
    const list = `v1,${randomBytes(32).toString('base64')} v1a,junk ${genuine['webhook-signature']}`;
    expect(verify({ ...genuine, 'webhook-signature': list })).toEqual({ ok: true, id: 'msg_multi' });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('rejects a delivery without %s, naming it', (name) => {
    const headers: Record<string, string> = signed();
    delete headers[name];
    expect(verify(headers)).toEqual({ ok: false, code: 'missing_header', reason: `missing header ${name}` });
  });

  it('rejects timestamps outside the tolerance, both ways, and accepts its edges', () => {
    expect(verify(signed(undefined, NOW_S - 301))).toMatchObject({
      ok: false,
      code: 'stale_timestamp',
      reason: 'timestamp is 301 s old; deliveries older than 300 s are refused',
    });
    expect(verify(signed(undefined, NOW_S + 301))).toMatchObject({ ok: false, code: 'stale_timestamp', reason: expect.stringMatching(/301 s in the future/) });
    expect(verify(signed(undefined, NOW_S - 300)).ok).toBe(true);
    expect(verify(signed(undefined, NOW_S + 300)).ok).toBe(true);
    expect(
      verifyReplicateWebhook({ headers: signed(undefined, NOW_S - 301), rawBody: body }, secret, { now, toleranceSeconds: 600, seen: new ReplayCache() }).ok,
    ).toBe(true);
    expect(verify({ ...signed(), 'webhook-timestamp': '17e8' })).toMatchObject({ ok: false, code: 'malformed_header' });
  });

  it('rejects a replay of the same webhook-id, and only records deliveries that verified', () => {
    const seen = new ReplayCache();
    const headers = signed('msg_once');
    expect(verify({ ...headers, 'webhook-signature': 'v1,AAAA' }, body, seen).ok).toBe(false); // a forgery does not claim the id
    expect(verify(headers, body, seen)).toEqual({ ok: true, id: 'msg_once' });
    expect(verify(headers, body, seen)).toEqual({ ok: false, code: 'replayed', reason: 'replayed delivery: webhook-id msg_once was already received' });
    expect(verify(signed('msg_once', NOW_S - 10), body, seen)).toMatchObject({ code: 'replayed' }); // a re-signed retry is the same delivery
  });

  it('throws on a malformed secret without echoing it', () => {
    expect(() => verifyReplicateWebhook({ headers: signed(), rawBody: body }, 'whsec_!!not-base64!!', { now })).toThrow(
      /^the Replicate webhook secret must look like whsec_<base64>$/,
    );
  });
});

describe('verifyFalWebhook', () => {
  const pair = generateKeyPairSync('ed25519');
  const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' }) as { kty: 'OKP'; crv: 'Ed25519'; x: string };
  const jwks = { keys: [jwkOf(pair.publicKey)] };
  const body = JSON.stringify({ request_id: 'req-1', status: 'OK', payload: { images: [] } });
  function signed(requestId = `req-${randomBytes(4).toString('hex')}`, timestampS = NOW_S, payload: string = body, privateKey = pair.privateKey) {
    const digest = createHash('sha256').update(payload).digest('hex');
    const message = Buffer.from(`${requestId}\n${'user-7'}\n${timestampS}\n${digest}`, 'utf8');
    return {
      'X-Fal-Webhook-Request-Id': requestId,
      'X-Fal-Webhook-User-Id': 'user-7',
      'X-Fal-Webhook-Timestamp': String(timestampS),
      'X-Fal-Webhook-Signature': sign(null, message, privateKey).toString('hex'),
    };
  }
  const verify = (
    headers: Record<string, string> | Headers,
    rawBody: string | Uint8Array = body,
    keys: Parameters<typeof verifyFalWebhook>[1] = jwks,
    seen = new ReplayCache(),
  ) => verifyFalWebhook({ headers, rawBody }, keys, { now, seen });

  it('accepts a valid delivery against any key of the JWKS, skipping keys of other types', () => {
    expect(verify(signed('req-1'))).toEqual({ ok: true, requestId: 'req-1' });
    const other = jwkOf(generateKeyPairSync('ed25519').publicKey);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
    expect(verify(new Headers(signed('req-2')), Buffer.from(body), { keys: [ec, other, jwks.keys[0]!] })).toEqual({ ok: true, requestId: 'req-2' });
  });

  it('rejects a tampered body, a changed header, a wrong key and a forged signature', () => {
    expect(verify(signed(), body.replace('OK', 'ERROR'))).toMatchObject({
      ok: false,
      code: 'bad_signature',
      reason: 'signature does not match any key in the JWKS',
    });
    expect(verify({ ...signed(), 'X-Fal-Webhook-User-Id': 'user-8' })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(signed(undefined, undefined, undefined, generateKeyPairSync('ed25519').privateKey))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(signed(), body, { keys: [jwkOf(generateKeyPairSync('ed25519').publicKey)] })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify({ ...signed(), 'X-Fal-Webhook-Signature': randomBytes(64).toString('hex') })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify({ ...signed(), 'X-Fal-Webhook-Signature': 'zz'.repeat(64) })).toMatchObject({ ok: false, code: 'malformed_header' });
    expect(verify(signed(), body, { keys: [] })).toMatchObject({ ok: false, reason: expect.stringMatching(/no Ed25519 key/) });
  });

  it.each(['x-fal-webhook-request-id', 'x-fal-webhook-user-id', 'x-fal-webhook-timestamp', 'x-fal-webhook-signature'])(
    'rejects a delivery without %s, naming it',
    (name) => {
      const headers = Object.fromEntries(Object.entries(signed()).filter(([k]) => k.toLowerCase() !== name));
      expect(verify(headers)).toEqual({ ok: false, code: 'missing_header', reason: `missing header ${name}` });
    },
  );

  it('rejects timestamps more than 300 s away, both ways', () => {
    expect(verify(signed(undefined, NOW_S - 301))).toMatchObject({ ok: false, code: 'stale_timestamp' });
    expect(verify(signed(undefined, NOW_S + 301))).toMatchObject({ ok: false, code: 'stale_timestamp' });
    expect(verify(signed(undefined, NOW_S - 300)).ok).toBe(true);
  });

  it('rejects a replay of the same request id and timestamp', () => {
    const seen = new ReplayCache();
    const headers = signed('req-r');
    expect(verify(headers, body, jwks, seen).ok).toBe(true);
    expect(verify(headers, body, jwks, seen)).toMatchObject({ ok: false, code: 'replayed', reason: expect.stringContaining('req-r') });
    expect(verify(signed('req-r', NOW_S + 5), body, jwks, seen).ok).toBe(true); // a later, newly signed retry is a new delivery
  });
});

describe('ReplayCache', () => {
  it('remembers a key until it expires', () => {
    const cache = new ReplayCache();
    expect(cache.claim('a', 1_000, 0)).toBe(true);
    expect(cache.claim('a', 1_000, 999)).toBe(false);
    expect(cache.claim('a', 2_000, 1_000)).toBe(true);
    expect(cache.firstTime('b', 0)).toBe(true);
    expect(cache.firstTime('b', 599_999)).toBe(false);
  });

  it('stays bounded, forgetting the oldest key first, and sweeps expired keys', () => {
    const cache = new ReplayCache({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) cache.claim(key, 10_000, 0);
    expect(cache.size).toBe(3);
    expect(cache.claim('a', 10_000, 1)).toBe(true); // forgotten to make room for d
    expect(cache.claim('d', 10_000, 1)).toBe(false);
    const sweeping = new ReplayCache();
    for (let i = 0; i < 50; i++) sweeping.claim(`k${i}`, 1_000, 0);
    sweeping.claim('late', 200_000, 120_000);
    expect(sweeping.size).toBe(1);
  });
});

describe('fetchJwks', () => {
  const key = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const served = {
    keys: [
      { kty: 'RSA', n: 'x', e: 'AQAB' },
      { ...key, kid: 'k1' },
    ],
  };
  function fakeFetch(answers: (() => Response)[]) {
    const calls: string[] = [];
    const fetcher = (async (url: string | URL | Request) => (calls.push(String(url)), answers[Math.min(calls.length, answers.length) - 1]!())) as typeof fetch;
    return { calls, fetcher };
  }
  const ok = () => Response.json(served);

  it('caches per URL for maxAgeMs, shares a fetch in flight, and keeps only Ed25519 keys', async () => {
    const { calls, fetcher } = fakeFetch([ok]);
    let t = 0;
    const opts = { fetch: fetcher, now: () => t, maxAgeMs: 1_000 };
    const [first, second] = await Promise.all([fetchJwks('https://keys.test/a.json', opts), fetchJwks('https://keys.test/a.json', opts)]);
    expect(first).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: (key as { x: string }).x }] });
    expect(second).toBe(first);
    t = 999;
    await fetchJwks('https://keys.test/a.json', opts);
    await fetchJwks('https://keys.test/b.json', opts);
    expect(calls).toEqual(['https://keys.test/a.json', 'https://keys.test/b.json']);
    t = 1_000;
    await fetchJwks('https://keys.test/a.json', opts);
    expect(calls).toHaveLength(3);
  });

  it('remembers a failure only briefly (30 s), and refuses a set without Ed25519 keys', async () => {
    const { calls, fetcher } = fakeFetch([() => new Response('down', { status: 503 }), ok]);
    let t = 0;
    const opts = { fetch: fetcher, now: () => t };
    await expect(fetchJwks('https://keys.test/c.json?token=SECRET', opts)).rejects.toThrow(
      /^fal: could not load the webhook JWKS from https:\/\/keys\.test\/c\.json: HTTP 503$/,
    );
    t = 29_999; // a host that is down is not asked again by every delivery, refreshes included
    await expect(fetchJwks('https://keys.test/c.json?token=SECRET', { ...opts, refresh: true })).rejects.toThrow(/HTTP 503/);
    expect(calls).toHaveLength(1);
    t = 30_000;
    await expect(fetchJwks('https://keys.test/c.json?token=SECRET', opts)).resolves.toMatchObject({ keys: [{ crv: 'Ed25519' }] });
    expect(calls).toHaveLength(2);
    const rsaOnly = fakeFetch([() => Response.json({ keys: [{ kty: 'RSA' }] })]);
    await expect(fetchJwks('https://keys.test/d.json', { fetch: rsaOnly.fetcher })).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});

describe('fetchJwks refresh (after a signature no cached key verifies)', () => {
  const key = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  let calls = 0;
  let answer: () => Response = () => Response.json({ keys: [key] });
  const fetcher = (async () => (calls++, answer())) as unknown as typeof fetch;
  let t = 0;
  const opts = { fetch: fetcher, now: () => t, refreshIntervalMs: 60_000 };

  it('is granted at most once per interval whatever the traffic; cached keys answer meanwhile', async () => {
    const url = 'https://keys.test/refresh.json';
    const first = await fetchJwks(url, opts);
    expect(calls).toBe(1);
    // A flood of refreshes, some concurrent, inside the interval: the same keys, no fetch.
    for (let i = 0; i < 100; i++) {
      t = i * 500;
      const answers = await Promise.all([fetchJwks(url, { ...opts, refresh: true }), fetchJwks(url, { ...opts, refresh: true })]);
      expect(answers[0]).toBe(first);
      expect(answers[1]).toBe(first);
    }
    expect(calls).toBe(1);
    // Past the interval: one refresh, shared by the requests that asked at once, then quiet again.
    t = 60_000;
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => fetchJwks(url, { ...opts, refresh: true })));
    expect(calls).toBe(2);
    expect(a).not.toBe(first);
    expect(b).toBe(a);
    expect(c).toBe(a);
    t = 119_999;
    await fetchJwks(url, { ...opts, refresh: true });
    expect(calls).toBe(2);
    // Without refresh the keys serve their whole 24 h.
    t = 60_000 + 24 * 3_600_000 - 1;
    await fetchJwks(url, opts);
    expect(calls).toBe(2);
  });

  it('keeps the cached keys when a refresh fails, and does not retry it before the next interval', async () => {
    const url = 'https://keys.test/refresh-fails.json';
    calls = 0;
    t = 0;
    answer = () => Response.json({ keys: [key] });
    const good = await fetchJwks(url, opts);
    answer = () => new Response('down', { status: 503 });
    t = 60_000;
    await expect(fetchJwks(url, { ...opts, refresh: true })).resolves.toBe(good);
    expect(calls).toBe(2);
    t = 119_999;
    await expect(fetchJwks(url, { ...opts, refresh: true })).resolves.toBe(good);
    await expect(fetchJwks(url, opts)).resolves.toBe(good);
    expect(calls).toBe(2);
  });
});

describe('interoperability with the sandbox', () => {
  let sandbox: Sandbox;
  let receiver: ReturnType<typeof createServer>;
  let hookUrl = '';
  const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 0.001 });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => {
          received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(204).end();
        });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    receiver.close();
    await sandbox.close();
  });
  async function delivery(path: string) {
    await expect.poll(() => received.some((r) => r.path === path), { timeout: 10_000, interval: 20 }).toBe(true);
    return received.find((r) => r.path === path)!;
  }

  it('verifies a real Replicate delivery, then refuses it replayed', async () => {
    const created = await fetch(`${sandbox.urls.replicate}/predictions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({
        version: 'black-forest-labs/flux-schnell',
        input: { prompt: 'x' },
        webhook: `${hookUrl}/replicate`,
        webhook_events_filter: ['completed'],
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const secretAnswer = await fetch(`${sandbox.urls.replicate}/webhooks/default/secret`, { headers: { authorization: 'Bearer k' } });
    const { key } = (await secretAnswer.json()) as { key: string };
    const got = await delivery('/replicate');
    expect(JSON.parse(got.body.toString())).toMatchObject({ id, status: 'succeeded' });
    const seen = new ReplayCache();
    const input = { headers: got.headers as Record<string, string>, rawBody: got.body };
    expect(verifyReplicateWebhook(input, key, { seen })).toEqual({ ok: true, id: got.headers['webhook-id'] });
    expect(verifyReplicateWebhook(input, key, { seen })).toMatchObject({ ok: false, code: 'replayed' });
    expect(verifyReplicateWebhook({ ...input, rawBody: got.body.toString().replace('succeeded', 'failed') }, key, { seen: new ReplayCache() })).toMatchObject({
      ok: false,
      code: 'bad_signature',
    });
  });

  it('verifies a real FAL delivery against the sandbox JWKS, then refuses it replayed', async () => {
    const submitted = await fetch(`${sandbox.urls.falQueue}/fal-ai/flux/dev?fal_webhook=${encodeURIComponent(`${hookUrl}/fal`)}`, {
      method: 'POST',
      headers: { authorization: 'Key k', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    expect(submitted.status).toBe(200);
    const { request_id: requestId } = (await submitted.json()) as { request_id: string };
    const jwks = await fetchJwks(`${sandbox.url}/fal/rest/.well-known/jwks.json`);
    const got = await delivery('/fal');
    expect(JSON.parse(got.body.toString())).toMatchObject({ request_id: requestId, status: 'OK' });
    const seen = new ReplayCache();
    const input = { headers: got.headers as Record<string, string>, rawBody: got.body };
    expect(verifyFalWebhook(input, jwks, { seen })).toEqual({ ok: true, requestId });
    expect(verifyFalWebhook(input, jwks, { seen })).toMatchObject({ ok: false, code: 'replayed' });
  });
});
