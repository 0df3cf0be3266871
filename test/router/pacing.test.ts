/**
 * Split calls are paced: with no batch around them, easel's calls still queue for one pacer per
 * process and vendor, so two concurrent n=64 requests split into many calls stay inside the vendor's
 * limits, which the sandbox enforces (time-scaled). The account's limit here is a low 8 requests per
 * minute, given to the sandbox and to easel's config `limits` alike, so the test needs few images.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

// A 3 s "minute": the sandbox would see nine requests in one window only if arrivals bunched by
// window/7 + ~40 ms (~470 ms) — at 0.01 (600 ms) a loaded machine's ~125 ms stall was enough.
const SCALE = 0.05;
const RPM = 8;
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: SCALE, limits: { openai: { requestsPerMinute: RPM } } });
});
afterAll(() => sandbox.close());

describe('pacing split calls', () => {
  it('two concurrent n=64 requests (14 calls of at most 10 images) against 8 requests per minute: no 429, both complete', async () => {
    // Two easel instances in one process share the process's pacer, as the gateway's requests do.
    const options = {
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { pollIntervalMs: 10, limits: { openai: { requestsPerMinute: RPM } } },
      latencyScale: SCALE,
    };
    const [one, two] = [createEasel(options), createEasel(options)];
    const from = sandbox.context.requests.length;
    // dall-e-2 makes at most 10 images per call (the sandbox still serves it; easel warns that it is retired).
    const request = { prompt: 'a paper crane', model: 'openai/dall-e-2', n: 64, size: '256x256' } as const;
    const results = await Promise.all([one.generate(request), two.generate({ ...request, prompt: 'a paper frog' })]);
    const calls = sandbox.context.requests.slice(from).filter((r) => r.vendor === 'openai' && r.method === 'POST');
    expect(calls.filter((r) => r.status === 429)).toEqual([]);
    expect(calls).toHaveLength(14);
    expect(results.map((r) => r.images.length)).toEqual([64, 64]);
    await Promise.all([one.close(), two.close()]);
  });
});
