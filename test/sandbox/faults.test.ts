/**
 * Faults on every kind of request, against the ledger: a fault on a submit bills only when the
 * vendor took the job (`lost`); a fault on a poll, stream, result or download never changes or
 * bills a job; rates are per vendor and per kind, and a seed repeats them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FaultInjector } from '../../src/sandbox/faults.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { TEST_KEYS } from '../helpers/runtime.js';

describe('FaultInjector: rates by kind of request', () => {
  it('draws submit rates on submits only, and each read kind from its own rates', () => {
    const faults = new FaultInjector({ rates: { fal: { error5xx: 1, poll: { drop: 1 }, download: { hang: 1 } } } });
    expect(faults.decide('fal', 'POST', '/fal/queue/x', undefined, 'submit')).toMatchObject({ kind: 'status' });
    expect(faults.decide('fal', 'GET', '/s', undefined, 'poll')).toEqual({ kind: 'drop' });
    expect(faults.decide('fal', 'GET', '/f', undefined, 'download')).toEqual({ kind: 'hang' });
    expect(faults.decide('fal', 'GET', '/s/stream', undefined, 'stream')).toBeUndefined();
    expect(faults.decide('fal', 'PUT', '/c', undefined, 'other')).toBeUndefined();
    expect(faults.decide('replicate', 'GET', '/p', undefined, 'poll')).toBeUndefined();
  });

  it('repeats the same draws for the same seed', () => {
    const profile = { seed: 99, rates: { replicate: { error5xx: 0.2, lost: 0.1, poll: { error5xx: 0.3 } } } };
    const draws = () => {
      const faults = new FaultInjector(profile);
      return Array.from({ length: 200 }, (_, i) => JSON.stringify(faults.decide('replicate', 'GET', '/p', undefined, i % 2 ? 'poll' : 'submit') ?? null));
    };
    const first = draws();
    expect(draws()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(2);
  });
});

describe('faults against the ledger', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox({ timeScale: 0.001 });
  });
  afterEach(() => sandbox.close());

  const fal = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.urls.falQueue}/${path}`, {
      ...init,
      headers: { authorization: `Key ${TEST_KEYS.fal}`, 'content-type': 'application/json', ...init.headers },
    });
  const submit = (fault?: string) =>
    fal('fal-ai/flux/schnell', { method: 'POST', body: JSON.stringify({ prompt: 'p', seed: 1 }), headers: fault ? { 'x-sandbox-fault': fault } : {} });

  it('a submit answered 5xx, 429 or 504 (hang), or dropped before the vendor, creates and bills nothing', async () => {
    sandbox.context.faults.configure({ hangMs: 10 });
    for (const fault of ['500', '503', '429', 'hang']) expect((await submit(fault)).status).toBe(fault === 'hang' ? 504 : Number(fault));
    await expect(submit('drop')).rejects.toThrow();
    // A clean submit after them is the only job there is, and the only charge.
    const { request_id: id } = (await (await submit()).json()) as { request_id: string };
    await vi.waitFor(() => expect(sandbox.context.ledger.list()).toHaveLength(1));
    expect(sandbox.context.ledger.list().map((c) => c.requestId)).toEqual([id]);
  });

  it('a lost submit answer: the vendor took the job and bills it, the client sees a reset', async () => {
    await expect(submit('lost')).rejects.toThrow();
    await vi.waitFor(() => expect(sandbox.context.ledger.list()).toHaveLength(1));
    expect(sandbox.context.requests.find((r) => r.method === 'POST')).toMatchObject({ fault: 'lost', status: 499 });
  });

  it('faults on polls, streams, results and downloads never change or bill the job', async () => {
    const { request_id: id } = (await (await submit()).json()) as { request_id: string };
    const base = `fal-ai/flux/requests/${id}`;
    await vi.waitFor(() => expect(sandbox.context.ledger.list()).toHaveLength(1));
    sandbox.context.faults.configure({
      hangMs: 10,
      rates: { fal: { poll: { error5xx: 1 }, stream: { drop: 1 }, result: { hang: 1 }, download: { rateLimit: 1 } } },
    });
    expect((await fal(`${base}/status`)).status).toBeGreaterThanOrEqual(500);
    await expect(fal(`${base}/status/stream`).then((r) => r.text())).rejects.toThrow();
    expect((await fal(base)).status).toBe(504);
    sandbox.context.faults.configure({ rates: { fal: { download: { rateLimit: 1 } } } });
    const result = (await (await fal(base)).json()) as { images: { url: string }[] };
    const download = await fetch(result.images[0]!.url);
    expect(download.status).toBe(429);
    expect(download.headers.get('retry-after')).not.toBeNull();
    sandbox.context.faults.configure({});
    expect((await fetch(result.images[0]!.url)).status).toBe(200);
    expect(((await (await fal(`${base}/status`)).json()) as { status: string }).status).toBe('COMPLETED');
    expect(sandbox.context.ledger.list()).toHaveLength(1);
  });

  it('takes read-fault rates and a seed through POST /_sandbox/faults', async () => {
    const body = {
      seed: 3,
      rates: { stability: { error5xx: 0.2, rateLimit: 0.05, hang: 0.02, poll: { error5xx: 0.1, drop: 0.05 } }, replicate: { download: { hang: 0.1 } } },
    };
    expect((await fetch(`${sandbox.urls.control}/faults`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(200);
    const bad = await fetch(`${sandbox.urls.control}/faults`, { method: 'POST', body: JSON.stringify({ rates: { fal: { poll: { malformed: 0.1 } } } }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('rates.fal.poll');
  });
});
