/**
 * A submit whose answer never arrives — the process was killed, or the connection cut, after the
 * request went out — leaves a vendor job running and billing. Replicate and FAL list their jobs:
 * the orphan is found by its input and adopted, so the ledger shows one charge.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { falProvider } from '../../src/providers/fal/index.js';
import { parseFalOptions } from '../../src/providers/fal/options.js';
import { buildSubmit } from '../../src/providers/fal/request.js';
import { replicateProvider } from '../../src/providers/replicate/index.js';
import type { ProviderCall } from '../../src/providers/types.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { makeCall, sandboxRuntime, TEST_KEYS } from '../helpers/runtime.js';

let sandbox: Sandbox;
beforeEach(async () => {
  // FLUX schnell's 2 s p50 becomes 100 ms: an orphan is still running when recovery first looks.
  sandbox = await startSandbox({ timeScale: 0.05 });
});
afterEach(() => sandbox.close());

const schnell = (overrides: Partial<ProviderCall> = {}) => makeCall('fal/flux/schnell', { seed: 11, width: 512, height: 512, ...overrides });
// Recovery looks again for 30 poll intervals (1.5 s here): ample for a 100 ms job on a loaded machine.
const fal = (overrides = {}) => sandboxRuntime(sandbox, 'fal', { pollIntervalMs: 50, ...overrides });
const listings = () => sandbox.context.requests.filter((r) => r.path.endsWith('/requests/by-endpoint')).length;

/** What a process killed mid-request leaves behind: the submit reached FAL, its answer nobody read. */
async function orphanSubmit(call: ProviderCall): Promise<string> {
  const request = buildSubmit(call, sandbox.urls.falQueue, undefined, parseFalOptions(call.providerOptions, call.model.id));
  const answer = await fetch(request.url, {
    method: 'POST',
    headers: { authorization: `Key ${TEST_KEYS.fal}`, 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
  });
  return ((await answer.json()) as { request_id: string }).request_id;
}

describe('FAL: findSubmitted over the Platform API request listing', () => {
  it('finds the orphan once it has ended (looking again while it could still run), and resume pays nothing more', async () => {
    const since = Date.now();
    const orphan = await orphanSubmit(schnell());
    const found = await falProvider.findSubmitted!(schnell(), since, new Set(), fal());
    expect(found).toBe(orphan);
    expect(listings()).toBeGreaterThan(1);
    const result = await falProvider.resume!(schnell(), found!, fal());
    expect(result.images).toHaveLength(1);
    expect(sandbox.context.ledger.list().map((c) => c.requestId)).toEqual([orphan]);
  });

  it('never adopts a request with other input, one already taken, or one sent before the attempt began', async () => {
    const before = await orphanSubmit(schnell());
    const sent = Date.now();
    while (Date.now() <= sent) await new Promise((r) => setImmediate(r));
    const since = Date.now();
    const other = await orphanSubmit(schnell({ seed: 12 }));
    const mine = await orphanSubmit(schnell());
    await vi.waitFor(() => expect(sandbox.context.ledger.list()).toHaveLength(3));
    expect(await falProvider.findSubmitted!(schnell(), since, new Set(), fal())).toBe(mine);
    expect(await falProvider.findSubmitted!(schnell(), since, new Set([mine]), fal())).toBeUndefined();
    expect(await falProvider.findSubmitted!(schnell({ seed: 12 }), since, new Set(), fal())).toBe(other);
    expect(await falProvider.findSubmitted!(schnell(), since - 60_000, new Set([mine]), fal())).toBe(before);
  });

  it('the listing has the Platform API shape: items with payloads, cursor pages of at most limit', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await orphanSubmit(schnell({ seed: i }));
    await vi.waitFor(() => expect(sandbox.context.ledger.list()).toHaveLength(3));
    const list = (query: string) =>
      fetch(`${sandbox.urls.falPlatform}/models/requests/by-endpoint?endpoint_id=fal-ai/flux/schnell&start=${since}&${query}`, {
        headers: { authorization: `Key ${TEST_KEYS.fal}` },
      }).then((r) => r.json() as Promise<{ items: Record<string, unknown>[]; next_cursor: string | null; has_more: boolean }>);
    const first = await list('limit=2&expand=payloads');
    expect(first).toMatchObject({ has_more: true, next_cursor: 'Mg==' });
    expect(first.items[0]).toMatchObject({
      request_id: expect.any(String),
      endpoint_id: 'fal-ai/flux/schnell',
      sent_at: expect.any(String),
      ended_at: expect.any(String),
      status_code: 200,
      json_input: { prompt: 'a cozy coffee shop interior' },
    });
    const second = await list('limit=2&cursor=Mg==');
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.items).toHaveLength(1);
    expect(second.items[0]).not.toHaveProperty('json_input');
  });
});

describe('a submit whose answer is lost is adopted, not bought again', () => {
  it('FAL', async () => {
    sandbox.context.faults.configure({ script: [{ vendor: 'fal', method: 'POST', steps: ['lost'] }] });
    const submitted: string[] = [];
    const result = await falProvider.run(schnell(), fal({ onSubmitted: (id: string) => void submitted.push(id) }));
    expect(result.images).toHaveLength(1);
    expect(sandbox.context.requests.find((r) => r.method === 'POST')).toMatchObject({ fault: 'lost', status: 499 });
    expect(sandbox.context.ledger.list().map((c) => c.requestId)).toEqual(submitted);
  });

  it('Replicate (polling, and holding the answer with Prefer: wait)', async () => {
    sandbox.context.faults.configure({ script: [{ vendor: 'replicate', method: 'POST', steps: ['lost', 'lost'] }] });
    const call = makeCall('replicate/black-forest-labs/flux-schnell', { seed: 5 });
    const runtime = () => sandboxRuntime(sandbox, 'replicate', { pollIntervalMs: 20 });
    const polled = await replicateProvider.run(call, { ...runtime(), onSubmitted: () => undefined });
    const held = await replicateProvider.run({ ...call, seed: 6 }, runtime());
    expect([polled.images.length, held.images.length]).toEqual([1, 1]);
    expect(sandbox.context.requests.filter((r) => r.method === 'POST' && r.fault === 'lost')).toHaveLength(2);
    expect(
      sandbox.context.ledger
        .list()
        .map((c) => c.requestId)
        .sort(),
    ).toEqual([polled.requestId, held.requestId].sort());
  });

  it('a submit that never reached the vendor is not adopted: the error stands (nothing was bought)', async () => {
    sandbox.context.faults.configure({ script: [{ vendor: 'fal', method: 'POST', steps: ['drop'] }] });
    await expect(falProvider.run(schnell(), fal())).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(sandbox.context.ledger.list()).toEqual([]);
  });
});
