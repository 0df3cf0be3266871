/** The sandbox's memory budget: files and finished jobs dropped oldest first (the vendor's own 404 after); the request log bounded. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Retention, pushBounded } from '../../src/sandbox/retention.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

describe('Retention', () => {
  it('drops oldest first when over budget, and by expiry (fake clock)', () => {
    let now = 0;
    const dropped: string[] = [];
    const retention = new Retention({ maxBytes: 100, now: () => now });
    for (const key of ['a', 'b', 'c']) retention.keep(key, 40, 10_000, () => dropped.push(key));
    expect(dropped).toEqual(['a']);
    expect(retention.size()).toEqual({ entries: 2, bytes: 80 });
    now = 20_000;
    retention.keep('d', 1, 10_000, () => dropped.push('d'));
    expect(dropped).toEqual(['a', 'b', 'c']);
    expect(retention.size()).toEqual({ entries: 1, bytes: 1 });
  });

  it('keeps a log to its newest entries', () => {
    const log: number[] = [];
    for (let i = 0; i < 1000; i++) pushBounded(log, i, 100);
    expect(log.length).toBeLessThanOrEqual(110);
    expect(log.at(-1)).toBe(999);
  });
});

describe('sandbox under a small memory budget', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 0, memoryBudgetBytes: 200_000, limits: { openai: { requestsPerMinute: 100_000 } } });
  });
  afterAll(() => sandbox.close());

  it('drops the oldest OpenAI url outputs (then 404) and keeps every ledger charge', async () => {
    const urls: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${sandbox.urls.openai}/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
        body: JSON.stringify({ model: 'dall-e-2', prompt: `budget ${i}`, size: '512x512', response_format: 'url' }),
      });
      expect(res.status).toBe(200);
      urls.push(((await res.json()) as { data: { url: string }[] }).data[0]!.url);
    }
    expect(sandbox.context.retention.size().bytes).toBeLessThanOrEqual(200_000);
    expect((await fetch(urls[0]!)).status).toBe(404);
    expect((await fetch(urls.at(-1)!)).status).toBe(200);
    expect(sandbox.context.ledger.list().filter((c) => c.vendor === 'openai')).toHaveLength(12);
  });
});

describe('request log', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 0, requestLogSize: 20 });
  });
  afterAll(() => sandbox.close());

  it('stays within its size plus a tenth and keeps the newest requests, in order', async () => {
    // Downloads of files that do not exist: recorded like any request, and cheap.
    for (let i = 0; i < 75; i++) expect((await fetch(`${sandbox.url}/files/openai/missing-${i}`)).status).toBe(404);
    const paths = sandbox.context.requests.map((r) => r.path);
    expect(paths.length).toBeGreaterThanOrEqual(20);
    expect(paths.length).toBeLessThanOrEqual(22);
    const first = 75 - paths.length;
    expect(paths).toEqual(Array.from({ length: paths.length }, (_, k) => `/files/openai/missing-${first + k}`));
    const served = (await (await fetch(`${sandbox.urls.control}/requests`)).json()) as { requests: { path: string }[] };
    expect(served.requests.map((r) => r.path)).toEqual(paths);
  });
});
