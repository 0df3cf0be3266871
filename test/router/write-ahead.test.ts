/**
 * The durability hooks may be asynchronous (a networked job store): the router waits for them. The
 * write-ahead intent is durable before the call's request leaves, and a vendor job's id before
 * anything asks the vendor about that job — however slowly the store answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.01, coldStart: { ms: 0, rate: 0 } });
});
afterAll(() => sandbox.close());

/** A store that takes many turns of the event loop to answer (no wall-clock wait), then logs that it did. */
const slowWrite = async (log: string[], what: string): Promise<void> => {
  for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
  log.push(what);
};

/** Every request easel sends, logged as `METHOD path` when it leaves. */
const loggingFetch =
  (log: string[]): typeof fetch =>
  (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    return globalThis.fetch(input, init);
  };

describe('asynchronous durability hooks', () => {
  it('a synchronous vendor: the intent is durable before the request leaves', async () => {
    const log: string[] = [];
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, fetch: loggingFetch(log), onNotice: () => {} });
    await easel.run({ prompt: 'a slow store', model: 'openai/dall-e-2', size: '256x256' }, { onSubmitting: () => slowWrite(log, 'intent durable') });
    const submit = log.findIndex((line) => line.startsWith('POST '));
    expect(submit, log.join('\n')).toBeGreaterThan(-1);
    expect(log.indexOf('intent durable'), log.join('\n')).toBeGreaterThan(-1);
    expect(log.indexOf('intent durable'), log.join('\n')).toBeLessThan(submit);
    await easel.close();
  });

  it('an async vendor: the intent before the submit, the vendor id before the job is asked about', async () => {
    const log: string[] = [];
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { pollIntervalMs: 5 }, fetch: loggingFetch(log), onNotice: () => {} });
    await easel.run(
      { prompt: 'a slow store', model: 'fal/flux/schnell', size: '512x512' },
      { onSubmitting: () => slowWrite(log, 'intent durable'), onSubmitted: () => slowWrite(log, 'id durable') },
    );
    const submit = log.findIndex((line) => line.startsWith('POST '));
    const firstRead = log.findIndex((line, i) => i > submit && line.startsWith('GET '));
    expect(log.indexOf('intent durable'), log.join('\n')).toBeLessThan(submit);
    expect(firstRead, log.join('\n')).toBeGreaterThan(submit);
    expect(log.indexOf('id durable'), log.join('\n')).toBeGreaterThan(submit);
    expect(log.indexOf('id durable'), log.join('\n')).toBeLessThan(firstRead);
    await easel.close();
  });
});
