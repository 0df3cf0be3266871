/** ProviderHealth on its own: the waits between tries, and when a breaker counts as open. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../src/core/clock.js';
import { AbortedError, ProviderUnavailableError, RateLimitedError } from '../../src/core/errors.js';
import { CIRCUIT_OPEN, ProviderHealth } from '../../src/router/resilience.js';

afterEach(() => vi.useRealTimers());

describe('ProviderHealth', () => {
  it('stops waiting for the next try the moment the request is aborted', async () => {
    // The real sleep, and a Retry-After far longer than the test may take: only the abort can end the wait.
    const waits: number[] = [];
    const health = new ProviderHealth({ maxBackoffMs: 60_000, sleep: (ms, signal) => (waits.push(ms), sleep(ms, signal)) });
    const controller = new AbortController();
    let calls = 0;
    const pending = health.run('openai', 3, controller.signal, async () => {
      calls++;
      throw new RateLimitedError('429', { retryAfterMs: 50_000 });
    });
    await vi.waitFor(() => expect(waits).toEqual([50_000]));
    controller.abort(new AbortedError('the caller went away'));
    await expect(pending).rejects.toThrow('the caller went away');
    expect(calls).toBe(1);
  });

  it('gives up at once when the vendor asks for a longer wait than maxBackoffMs', async () => {
    const waits: number[] = [];
    const health = new ProviderHealth({ maxBackoffMs: 30_000, sleep: async (ms) => void waits.push(ms) });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new RateLimitedError('429', { retryAfterMs: 40_000 });
    };
    await expect(health.run('openai', 3, undefined, failing)).rejects.toBeInstanceOf(RateLimitedError);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('backs off exponentially, within maxBackoffMs, when the vendor gives no Retry-After', async () => {
    const waits: number[] = [];
    const health = new ProviderHealth({ initialBackoffMs: 100, maxBackoffMs: 1_000, sleep: async (ms) => void waits.push(ms) });
    let calls = 0;
    const result = await health.run('fal', 4, undefined, async () => {
      if (++calls <= 4) throw new ProviderUnavailableError('503');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(waits).toHaveLength(4);
    expect(waits.every((ms) => ms >= 0 && ms <= 1_000)).toBe(true);
  });

  it('counts a breaker that a failed half-open trial re-opened as open for a whole new pause', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const health = new ProviderHealth({ breakerThreshold: 1, halfOpenAfterMs: 10_000, sleep: async () => undefined });
    const failing = async () => {
      throw new ProviderUnavailableError('503');
    };
    await expect(health.run('replicate', 0, undefined, failing)).rejects.toThrow('503');
    expect(health.isOpen('replicate')).toBe(true);
    const refused = await health.run('replicate', 0, undefined, failing).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderUnavailableError);
    expect((refused as ProviderUnavailableError).vendorCode).toBe(CIRCUIT_OPEN);

    vi.setSystemTime(Date.now() + 10_001);
    expect(health.isOpen('replicate')).toBe(false);
    // The trial call fails: the breaker opens again, and the pause starts over from now.
    await expect(health.run('replicate', 0, undefined, failing)).rejects.toThrow('503');
    expect(health.state('replicate')).toBe('open');
    vi.setSystemTime(Date.now() + 9_000);
    expect(health.isOpen('replicate')).toBe(true);
    vi.setSystemTime(Date.now() + 1_001);
    expect(health.isOpen('replicate')).toBe(false);
  });
});
