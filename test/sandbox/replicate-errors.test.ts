/** The Replicate sandbox's error answers: status, content type, problem-details body, Retry-After. */
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { TEST_KEYS } from '../helpers/runtime.js';
import notFoundFixture from '../fixtures/replicate-error-not-found.json' with { type: 'json' };
import throttledFixture from '../fixtures/replicate-error-throttled.json' with { type: 'json' };
import { expectShape } from './replicate-shape.js';

let sandbox: Sandbox;
const auth = { authorization: `Bearer ${TEST_KEYS.replicate}`, 'content-type': 'application/json' };

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001, fixedKeys: { replicate: TEST_KEYS.replicate }, limits: { replicate: { concurrent: 2 } } });
});
afterAll(() => sandbox.close());

async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string | null; retryAfter: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.urls.replicate}${path}`, { method: 'POST', headers: auth, ...init });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Record<string, unknown>,
  };
}
const schnell = '/models/black-forest-labs/flux-schnell/predictions';

describe('replicate sandbox errors', () => {
  it('400: a body that is not JSON', async () => {
    const r = await call(schnell, { body: '{"input": ' });
    expect(r).toMatchObject({ status: 400, type: 'application/problem+json', body: { title: 'Bad Request', status: 400 } });
  });

  it('401: the documented Unauthenticated problem, for a wrong or missing token', async () => {
    const wrong = await call(schnell, { headers: { ...auth, authorization: 'Bearer r8_wrong' }, body: '{}' });
    expect(wrong.status).toBe(401);
    expect(wrong.type).toBe('application/problem+json');
    expect(wrong.body).toEqual({ title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 });
    const missing = await fetch(`${sandbox.urls.replicate}/predictions/abc`);
    expect(missing.status).toBe(401);
  });

  it('403 from the fault header, in the problem shape', async () => {
    const r = await call(schnell, { headers: { ...auth, 'x-sandbox-fault': '403' }, body: JSON.stringify({ input: { prompt: 'x' } }) });
    expect(r).toMatchObject({ status: 403, type: 'application/problem+json', body: { title: 'Forbidden', status: 403 } });
  });

  it('404: unknown model, community model without a version, unknown prediction; 422 for an unknown version', async () => {
    const unknown = await call('/models/foo/bar/predictions', { body: JSON.stringify({ input: { prompt: 'x' } }) });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(notFoundFixture);
    const community = await call('/models/stability-ai/sdxl/predictions', { body: JSON.stringify({ input: { prompt: 'x' } }) });
    expect(community.status).toBe(404);
    expect(community.body.detail).toContain('"version"');
    const prediction = await fetch(`${sandbox.urls.replicate}/predictions/doesnotexist`, { headers: auth });
    expect(prediction.status).toBe(404);
    const version = await call('/predictions', { body: JSON.stringify({ version: 'f'.repeat(64), input: { prompt: 'x' } }) });
    expect(version).toMatchObject({ status: 422, body: { title: 'Invalid version or not permitted' } });
  });

  it('422: names each invalid field and what is allowed, and creates nothing', async () => {
    const r = await call(schnell, { body: JSON.stringify({ input: { num_outputs: 5, aspect_ratio: '2:1', output_format: 'gif', num_inference_steps: 8 } }) });
    expect(r.status).toBe(422);
    expect(r.type).toBe('application/problem+json');
    const detail = String(r.body.detail);
    expect(detail).toContain('- input.prompt: prompt is required');
    expect(detail).toContain('- input.num_outputs: Must be less than or equal to 4 (allowed range: 1 to 4)');
    expect(detail).toContain('- input.num_inference_steps: Must be less than or equal to 4');
    expect(detail).toMatch(/- input\.aspect_ratio: must be one of the following: "1:1", "16:9"/);
    expect(detail).toContain('- input.output_format: must be one of the following: "webp", "jpg", "png"');
    expect(r.body.invalid_fields).toHaveLength(5);
    const hook = await call(schnell, { body: JSON.stringify({ input: { prompt: 'x' }, webhook: 'not a url', webhook_events_filter: ['done'] }) });
    expect(hook.status).toBe(422);
    expect(String(hook.body.detail)).toContain('- webhook:');
    expect(sandbox.context.limits.inFlightCount('replicate')).toBe(0);
  });

  it('429: the documented throttling body with Retry-After; the official client retries POSTs on 429 only', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: [{ vendor: 'replicate', path: '/flux-dev/predictions', steps: [{ status: 429, retryAfterMs: 30_000 }, 429, 'ok'] }] }),
    });
    const r = await call('/models/black-forest-labs/flux-dev/predictions', { body: JSON.stringify({ input: { prompt: 'x' } }) });
    expect(r.status).toBe(429);
    expect(r.retryAfter).toBe('0.03'); // 30 s at time scale 0.001
    expect(r.body).toEqual({ detail: 'Request was throttled. Your rate limit resets in ~1s.', status: 429 });
    expectShape(r.body, throttledFixture);
    // The client burst-retries the second 429 and succeeds on the 'ok' step.
    const client = new Replicate({ auth: TEST_KEYS.replicate, baseUrl: sandbox.urls.replicate });
    const created = await client.predictions.create({ model: 'black-forest-labs/flux-dev', input: { prompt: 'x' } });
    expect(created.status).toBe('starting');
    await client.wait(created, { interval: 5 });
  });

  it('429 when every concurrency slot is taken', async () => {
    const slow = await startSandbox({ timeScale: 0.001, coldStart: { ms: 60_000, rate: 1 }, limits: { replicate: { concurrent: 1 } } });
    try {
      const client = new Replicate({ auth: TEST_KEYS.replicate, baseUrl: slow.urls.replicate });
      const first = await client.predictions.create({ model: 'black-forest-labs/flux-schnell', input: { prompt: 'a' } });
      const res = await fetch(`${slow.urls.replicate}${schnell}`, { method: 'POST', headers: auth, body: JSON.stringify({ input: { prompt: 'b' } }) });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeTruthy();
      await client.predictions.cancel(first.id);
      const again = await fetch(`${slow.urls.replicate}${schnell}`, { method: 'POST', headers: auth, body: JSON.stringify({ input: { prompt: 'c' } }) });
      expect(again.status).toBe(201);
    } finally {
      await slow.close();
    }
  });

  it('5xx: 500 and 503 in the problem shape; the client does not retry a POST on 5xx but retries GETs', async () => {
    const r = await call(schnell, { headers: { ...auth, 'x-sandbox-fault': '500' }, body: JSON.stringify({ input: { prompt: 'x' } }) });
    expect(r).toMatchObject({ status: 500, type: 'application/problem+json', body: { title: 'Internal Server Error', status: 500 } });
    const client = new Replicate({ auth: TEST_KEYS.replicate, baseUrl: sandbox.urls.replicate });
    const created = await client.predictions.create({ model: 'black-forest-labs/flux-schnell', input: { prompt: 'x' } });
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: [{ vendor: 'replicate', method: 'GET', path: `/predictions/${created.id}`, steps: [503, 503, 'ok'] }] }),
    });
    const fetched = await client.predictions.get(created.id);
    expect(fetched.id).toBe(created.id);
    const gets = sandbox.context.requests.filter((q) => q.method === 'GET' && q.path.endsWith(created.id));
    expect(gets.map((q) => q.status)).toEqual([503, 503, 200]);
    const posts = () => sandbox.context.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/flux-schnell/predictions')).length;
    const before = posts();
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: [{ vendor: 'replicate', method: 'POST', path: '/flux-schnell/predictions', steps: [502] }] }),
    });
    await expect(client.predictions.create({ model: 'black-forest-labs/flux-schnell', input: { prompt: 'x' } })).rejects.toThrow(/failed with status 502/);
    expect(posts() - before).toBe(1);
  });
});
