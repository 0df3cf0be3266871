import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deadlineSignal, sleep } from '../../src/core/clock.js';
import {
  AbortedError,
  AuthenticationError,
  ContentRejectedError,
  InvalidRequestError,
  NotFoundError,
  ProviderUnavailableError,
  RateLimitedError,
  TimeoutError,
} from '../../src/core/errors.js';
import { readJson, retryAfterMs, type HttpScope, send } from '../../src/providers/http.js';
import type { ProviderRuntime } from '../../src/providers/types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let base = '';
const server = createServer((req, res) => handler(req, res));

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

function scope(signal = new AbortController().signal): HttpScope {
  const runtime = {
    baseUrl: base,
    urls: {},
    apiKey: () => 'sk-secret',
    fetch,
    signal,
    sleep,
    now: Date.now,
    pollIntervalMs: 1,
    sandbox: true,
  } satisfies ProviderRuntime;
  return {
    provider: 'openai',
    model: 'openai/test',
    runtime,
    parseError: (_s, body) => ({ message: (body as { msg?: string }).msg ?? '', moderation: (body as { flagged?: boolean }).flagged }),
  };
}

const answer =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

describe('send', () => {
  it.each([
    [400, InvalidRequestError],
    [401, AuthenticationError],
    [404, NotFoundError],
    [422, InvalidRequestError],
    [500, ProviderUnavailableError],
    [503, ProviderUnavailableError],
  ])('maps %i to a typed error carrying status and request id', async (status, type) => {
    handler = answer(status, { msg: 'nope' }, { 'x-request-id': 'req_1' });
    const error = await send(scope(), { method: 'POST', url: `${base}/x`, body: { prompt: 'secret prompt' } }).catch((e) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, requestId: 'req_1', provider: 'openai', model: 'openai/test' });
    expect(error.message).toContain('nope');
    expect(error.message).not.toContain('secret prompt');
    expect(error.message).not.toContain('sk-secret');
  });

  it('reads Retry-After on 429', async () => {
    handler = answer(429, { msg: 'slow down' }, { 'retry-after-ms': '250', 'retry-after': '9' });
    const error = await send(scope(), { method: 'GET', url: `${base}/x` }).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.retryAfterMs).toBe(250);
    expect(error.retryable).toBe(true);
  });

  it('flags moderation whatever the status', async () => {
    handler = answer(400, { msg: 'blocked', flagged: true });
    await expect(send(scope(), { method: 'GET', url: `${base}/x` })).rejects.toBeInstanceOf(ContentRejectedError);
  });

  it('turns a dropped connection into a retryable error', async () => {
    handler = (req) => req.socket.destroy();
    await expect(send(scope(), { method: 'GET', url: `${base}/x` })).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('turns a deadline into TimeoutError and an abort into AbortedError', async () => {
    handler = () => undefined; // never answers
    const deadline = deadlineSignal(undefined, 50);
    await expect(send(scope(deadline.signal), { method: 'GET', url: `${base}/x` })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const pending = send(scope(controller.signal), { method: 'GET', url: `${base}/x` });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });

  it('treats a malformed body as the vendor’s fault', async () => {
    handler = (_req, res) => res.end('{"data": [');
    const got = await send(scope(), { method: 'GET', url: `${base}/x` });
    expect(() => readJson(scope(), got, z.object({ data: z.array(z.unknown()) }))).toThrow(ProviderUnavailableError);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});
