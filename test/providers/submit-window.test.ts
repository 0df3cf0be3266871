/**
 * The submit window, against the sandbox's ledger: a submit whose answer never comes within its
 * bound is looked for under a bound of its own (not the spent one) and adopted, so it is not bought
 * again; a submit the vendor refuses while the attempt is being given up is the vendor's refusal and
 * costs nothing; a lost answer that no search can settle counts as possibly paid.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import sharp from 'sharp';
import { sleep } from '../../src/core/clock.js';
import { createEasel } from '../../src/easel.js';
import { falProvider } from '../../src/providers/fal/index.js';
import { replicateProvider } from '../../src/providers/replicate/index.js';
import { SUBMIT_WINDOW_MS } from '../../src/providers/submit-window.js';
import type { ProviderRuntime } from '../../src/providers/types.js';
import type { Reservation } from '../../src/router/reservation.js';
import { ProviderHealth } from '../../src/router/resilience.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { makeCall, sandboxRuntime } from '../helpers/runtime.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.02, coldStart: { ms: 0, rate: 0 } });
});
afterAll(() => sandbox.close());
let charged = 0;
beforeEach(() => {
  charged = sandbox.context.ledger.list().length;
});
const newCharges = () => sandbox.context.ledger.list().slice(charged);

const isSubmit = (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  return (
    (init?.method ?? 'GET') === 'POST' &&
    (url.pathname.startsWith('/fal/queue/') || url.pathname.endsWith('/predictions') || url.pathname.includes('/v2beta/stable-image/'))
  );
};

/**
 * A vendor that takes the submit (the sandbox makes and bills the job) but whose answer never comes:
 * the window's clock runs out once the job has run (FAL lists finished requests only; a loaded
 * machine must not decide whether the search sees it). The submit's own window is the first
 * `SUBMIT_WINDOW_MS` sleep; every later wait (the search's window, poll intervals) is real.
 */
function answerNeverComes(): Partial<ProviderRuntime> {
  let taken!: () => void;
  const jobTaken = new Promise<void>((resolve) => (taken = resolve));
  let windows = 0;
  return {
    fetch: async (input, init) => {
      if (!isSubmit(input, init)) return globalThis.fetch(input, init);
      const before = sandbox.context.ledger.list().length;
      await globalThis.fetch(input, init);
      void vi.waitFor(() => expect(sandbox.context.ledger.list().length).toBeGreaterThan(before), { timeout: 60_000, interval: 5 }).then(taken);
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true }));
    },
    sleep: (ms, signal) => (ms === SUBMIT_WINDOW_MS && ++windows === 1 ? jobTaken : sleep(ms, signal)),
  };
}

describe('a submit with no answer within its window', () => {
  it('FAL: the job it made is found by a search with a window of its own, and paid once', async () => {
    const submitted: string[] = [];
    const runtime = sandboxRuntime(sandbox, 'fal', { pollIntervalMs: 20, ...answerNeverComes(), onSubmitted: (id) => void submitted.push(id) });
    const result = await falProvider.run(makeCall('fal/flux/schnell', { seed: 31, width: 512, height: 512 }), runtime);
    expect(result.images).toHaveLength(1);
    expect(newCharges().map((c) => c.requestId)).toEqual(submitted);
  });

  it('Replicate: likewise', async () => {
    const runtime = sandboxRuntime(sandbox, 'replicate', { pollIntervalMs: 20, ...answerNeverComes(), onSubmitted: () => undefined });
    const result = await replicateProvider.run(makeCall('replicate/black-forest-labs/flux-schnell', { seed: 32 }), runtime);
    expect(result.images).toHaveLength(1);
    expect(newCharges().map((c) => c.requestId)).toEqual([result.requestId]);
  });

  it('with no listing to search (a FAL host without the Platform API), the lost submit counts as possibly paid', async () => {
    const runtime = sandboxRuntime(sandbox, 'fal', { pollIntervalMs: 20, ...answerNeverComes(), urls: { run: sandbox.urls.falRun } });
    const error = await falProvider.run(makeCall('fal/flux/schnell', { seed: 33, width: 512, height: 512 }), runtime).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', charged: true, message: expect.stringContaining('may have taken (and billed)') });
    // The vendor did take it (the sandbox bills once the job has run).
    await vi.waitFor(() => expect(newCharges()).toHaveLength(1));
  });
});

describe('a submit the vendor refuses while the attempt is being given up', () => {
  /** Aborts the caller's request once the submit is on the wire, then lets the vendor refuse it. */
  function refusedAfterAbort(controller: AbortController, status: number): typeof fetch {
    return (input, init) => {
      if (!isSubmit(input, init)) return globalThis.fetch(input, init);
      controller.abort();
      const headers = { ...Object.fromEntries(new Headers(init?.headers).entries()), 'x-sandbox-fault': String(status) };
      return globalThis.fetch(input, { ...init, headers });
    };
  }

  const cases = [
    { model: 'fal/flux/schnell', request: { prompt: 'a refused lighthouse' } },
    { model: 'replicate/black-forest-labs/flux-schnell', request: { prompt: 'a refused lighthouse' } },
    // Stability bills a job it took whatever the client does: a refusal taken for an abandoned job was counted as paid.
    { model: 'stability/upscale-creative', request: { task: 'upscale' as const, prompt: 'crisp', scale: 4 } },
  ];
  for (const { model, request } of cases) {
    it(`${model}: its reservation is released (nothing was bought)`, async () => {
      const controller = new AbortController();
      const ends: string[] = [];
      const reserve = async (): Promise<Reservation> => ({ settle: (usd) => void ends.push(`settled ${usd}`), release: () => void ends.push('released') });
      const easel = createEasel({
        env: { EASEL_SANDBOX_URL: sandbox.url },
        config: { pollIntervalMs: 10 },
        health: new ProviderHealth({ sleep: async () => undefined }),
        fetch: refusedAfterAbort(controller, 503),
      });
      const image = `data:image/png;base64,${(
        await sharp({ create: { width: 256, height: 256, channels: 3, background: '#468' } })
          .png()
          .toBuffer()
      ).toString('base64')}`;
      const error = await easel
        .run({ ...request, ...(request.task ? { image } : {}), model, policy: { retries: 0 }, signal: controller.signal }, { reserve })
        .catch((e: unknown) => e);
      await easel.close();
      // The caller aborted, and is told so; the vendor's refusal decides what it cost.
      expect(error).toMatchObject({ code: 'aborted' });
      expect(ends).toEqual(['released']);
      expect(newCharges()).toEqual([]);
    });
  }
});
