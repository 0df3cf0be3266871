/**
 * OpenAI-native forwarding: a generations request for an OpenAI model that wants b64_json is sent
 * to the vendor once and its answer streamed back as is; a failed vendor answer falls back to the
 * full path, which retries.
 */
import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type Gateway, startGateway } from '../../src/server/serve.js';
import { createLogger } from '../../src/server/log.js';
import { until } from '../helpers/until.js';
import { Writable } from 'node:stream';

let sandbox: Sandbox;
let easel: Easel;
let gateway: Gateway;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.001 });
  easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 } });
  gateway = await startGateway({ easel, stateDir: mkdtempSync(join(tmpdir(), 'easel-fwd-')), onNotice: () => undefined });
});
afterAll(async () => {
  await gateway.close();
  await easel.close();
  await sandbox.close();
});
beforeEach(() => fetch(`${sandbox.urls.control}/faults`, { method: 'POST', body: JSON.stringify({ mode: 'replace' }) }));

/** Generations requests the gateway has finished answering, by its own metrics. */
async function answeredGenerations(): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const counts = text.matchAll(/^easel_gateway_requests_total\{[^}]*route="\/v1\/images\/generations"[^}]*\} (\d+)$/gm);
  return [...counts].reduce((sum, [, count]) => sum + Number(count), 0);
}
const generations = () => sandbox.context.requests.filter((r) => r.method === 'POST' && r.path === '/openai/v1/images/generations');

describe('OpenAI-native forwarding through the gateway', () => {
  it('sends one vendor request and streams its answer back, with easel headers', async () => {
    const before = generations().length;
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1` });
    const { data, response } = await client.images
      .generate({ model: 'openai/gpt-image-1', prompt: 'a paper crane', size: '1024x1024', quality: 'low' } as never)
      .withResponse();
    expect(response.headers.get('x-easel-forwarded')).toBe('true');
    expect(response.headers.get('x-easel-model')).toBe('openai/gpt-image-1');
    expect(response.headers.get('x-easel-sandbox')).toBe('true');
    expect(Number(response.headers.get('x-easel-cost-usd'))).toBeGreaterThan(0);
    expect(generations().length - before).toBe(1);
    const image = Buffer.from(data.data![0]!.b64_json!, 'base64');
    expect((await sharp(image).metadata()).width).toBe(1024);
  });

  it('takes the full path when the vendor fails, which retries', async () => {
    await fetch(`${sandbox.urls.control}/faults`, {
      method: 'POST',
      body: JSON.stringify({ script: [{ vendor: 'openai', method: 'POST', steps: [503, 503, 'ok'] }] }),
    });
    const before = generations().length;
    const answer = await fetch(`${gateway.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-image-1', prompt: 'a paper crane', size: '1024x1024' }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-easel-forwarded')).toBeNull();
    // The forwarded try met the first 503; the full path met the second and then succeeded.
    expect(answer.headers.get('x-easel-attempts')).toBe('2');
    expect(generations().length - before).toBe(3);
    expect(((await answer.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('gives up on a vendor that hangs at the timeout and lets the full path try again', async () => {
    const impatient = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5, timeoutMs: 300 } });
    const fast = await startGateway({ easel: impatient, stateDir: mkdtempSync(join(tmpdir(), 'easel-fwd-timeout-')), onNotice: () => undefined });
    try {
      await fetch(`${sandbox.urls.control}/faults`, {
        method: 'POST',
        body: JSON.stringify({ hangMs: 10_000_000, script: [{ vendor: 'openai', method: 'POST', steps: ['hang', 'ok'] }] }),
      });
      const before = generations().length;
      const started = performance.now();
      const answer = await fetch(`${fast.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-image-1', prompt: 'a paper crane', size: '1024x1024' }),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-easel-forwarded')).toBeNull();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(generations().length - before).toBe(2);
      await answer.arrayBuffer();
    } finally {
      await fast.close();
      await impatient.close();
    }
  });

  it('books the catalog price against a key with a budget', async () => {
    const key = gateway.keys.create({ name: 'forward-budget', budgetUsd: 1 });
    try {
      const answer = await fetch(`${gateway.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
        body: JSON.stringify({ model: 'openai/gpt-image-1', prompt: 'a paper crane', size: '1024x1024' }),
      });
      expect(answer.headers.get('x-easel-forwarded')).toBe('true');
      await answer.arrayBuffer();
      const after = gateway.keys.list().find((k) => k.id === key.record.id)!;
      expect(after.spentUsd).toBeCloseTo(Number(answer.headers.get('x-easel-cost-usd')), 9);
    } finally {
      gateway.keys.revoke(key.record.id);
    }
  });

  it('keeps URL answers, other vendors and split n on the full path', async () => {
    for (const body of [
      { model: 'openai/dall-e-2', prompt: 'x', response_format: 'url' },
      { model: 'fal/flux/schnell', prompt: 'x' },
      { model: 'openai/dall-e-3', prompt: 'x', n: 2 },
    ]) {
      const answer = await fetch(`${gateway.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status, JSON.stringify(body)).toBe(200);
      expect(answer.headers.get('x-easel-forwarded')).toBeNull();
      await answer.arrayBuffer();
    }
  });

  it('stops the vendor call when the client hangs up, books nothing and holds no budget', async () => {
    const price = async () => {
      const answer = await fetch(`${gateway.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-image-1', prompt: 'a paper crane', size: '1024x1024' }),
      });
      await answer.arrayBuffer();
      return Number(answer.headers.get('x-easel-cost-usd'));
    };
    const usd = await price();
    // Room for one image and a half: a reservation left behind by the hung-up call would refuse the next one.
    const key = gateway.keys.create({ name: 'forward-hangup', budgetUsd: usd * 1.5 });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.key}` };
    const body = JSON.stringify({ model: 'openai/gpt-image-1', prompt: 'a paper crane', size: '1024x1024' });
    try {
      await fetch(`${sandbox.urls.control}/faults`, {
        method: 'POST',
        body: JSON.stringify({ hangMs: 10_000_000, script: [{ vendor: 'openai', method: 'POST', steps: ['hang'] }] }),
      });
      const before = generations().length;
      const leaving = new AbortController();
      const pending = fetch(`${gateway.url}/v1/images/generations`, { method: 'POST', headers, body, signal: leaving.signal });
      // The vendor has the call (hanging) before the client leaves; expect.poll would give up after 1 s of real time.
      await until(() => generations().length > before);
      const served = await answeredGenerations();
      leaving.abort();
      await expect(pending).rejects.toThrow();
      // The gateway has finished with the call the client left (it is counted once answered).
      await until(async () => (await answeredGenerations()) > served);
      // No second vendor call for a client that left, and nothing was charged.
      expect(generations().length - before).toBe(1);
      expect(gateway.keys.list().find((k) => k.id === key.record.id)!.spentUsd).toBe(0);
      const next = await fetch(`${gateway.url}/v1/images/generations`, { method: 'POST', headers, body });
      expect(next.status).toBe(200);
      expect(next.headers.get('x-easel-forwarded')).toBe('true');
      await next.arrayBuffer();
      expect(gateway.keys.list().find((k) => k.id === key.record.id)!.spentUsd).toBeCloseTo(usd, 9);
    } finally {
      gateway.keys.revoke(key.record.id);
    }
  });

  it('logs a forwarded request with the model that ran and its cost, without the prompt', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logged = await startGateway({
      easel,
      stateDir: mkdtempSync(join(tmpdir(), 'easel-fwd-log-')),
      onNotice: () => undefined,
      logger: createLogger(sink),
    });
    try {
      const answer = await fetch(`${logged.url}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'dall-e-2', prompt: 'codename QX-41', size: '256x256' }),
      });
      expect(answer.headers.get('x-easel-forwarded')).toBe('true');
      await answer.arrayBuffer();
      await expect.poll(() => lines.length).toBeGreaterThan(0);
      const line = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
      expect(line).toMatchObject({ path: '/v1/images/generations', status: 200, model: 'openai/dall-e-2', costUsd: answer.headers.get('x-easel-cost-usd') });
      expect(lines.join('')).not.toContain('QX-41');
    } finally {
      await logged.close();
    }
  });
});
