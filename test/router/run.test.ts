import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, BudgetExceededError, ContentRejectedError, NotFoundError, ProviderUnavailableError, RateLimitedError } from '../../src/core/errors.js';
import type { Attempt } from '../../src/core/result.js';
import type { ImageResult } from '../../src/core/result.js';
import type { PlannedCandidate } from '../../src/router/plan.js';
import { RoutingPolicySchema } from '../../src/core/policy.js';
import { ProviderHealth } from '../../src/router/resilience.js';
import { runPlan } from '../../src/router/run.js';
import { testModel } from '../helpers/models.js';

const source = { kind: 'estimate', ref: 'test', date: '2026-11' } as const;
const candidate = (id: string, provider: 'openai' | 'fal' | 'replicate', p50Ms = 100): PlannedCandidate => ({
  model: testModel({ id, provider, latency: { p50Ms, p99Ms: p50Ms * 2, source } }),
  calls: [],
  warnings: [],
  report: { model: id, estimatedCostUsd: 0.01, estimatedLatencyMs: p50Ms, score: 0.01 },
});
const ok = (model: string) => ({ model }) as unknown as ImageResult;
const policy = (fields = {}) => RoutingPolicySchema.parse(fields);

afterEach(() => vi.useRealTimers());

describe('runPlan', () => {
  it('falls back to the next candidate when the first keeps answering 503', async () => {
    const calls: string[] = [];
    const health = new ProviderHealth({ sleep: async () => undefined });
    const outcome = await runPlan([candidate('a/one', 'openai'), candidate('b/two', 'fal')], {
      policy: policy({ retries: 1 }),
      health,
      attempt: async (c) => {
        calls.push(c.model.id);
        if (c.model.id === 'a/one') throw new ProviderUnavailableError('503', { status: 503 });
        return ok(c.model.id);
      },
    });
    expect(outcome.result.model).toBe('b/two');
    expect(calls).toEqual(['a/one', 'a/one', 'b/two']);
    expect(outcome.tried).toEqual(['a/one', 'b/two']);
  });

  it('does not fall back when the vendor refuses the content, unless the policy says so', async () => {
    const attempt = async (c: PlannedCandidate) => {
      if (c.model.id === 'a/one') throw new ContentRejectedError('blocked');
      return ok(c.model.id);
    };
    const ranked = [candidate('a/one', 'openai'), candidate('b/two', 'fal')];
    await expect(runPlan(ranked, { policy: policy(), health: new ProviderHealth(), attempt })).rejects.toBeInstanceOf(ContentRejectedError);
    const outcome = await runPlan(ranked, { policy: policy({ fallbackOnContentRejection: true }), health: new ProviderHealth(), attempt });
    expect(outcome.result.model).toBe('b/two');
  });

  it('waits what Retry-After asks before retrying', async () => {
    const waits: number[] = [];
    const health = new ProviderHealth({ sleep: async (ms) => void waits.push(ms) });
    let n = 0;
    await runPlan([candidate('a/one', 'openai')], {
      policy: policy(),
      health,
      attempt: async (c) => {
        if (n++ < 2) throw new RateLimitedError('429', { retryAfterMs: 1234 });
        return ok(c.model.id);
      },
    });
    expect(waits).toEqual([1234, 1234]);
  });

  it('opens the breaker after repeated failures and half-opens after the pause', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const health = new ProviderHealth({ breakerThreshold: 3, halfOpenAfterMs: 10_000, sleep: async () => undefined });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new ProviderUnavailableError('503');
    };
    await expect(runPlan([candidate('a/one', 'openai')], { policy: policy({ retries: 5 }), health, attempt: failing })).rejects.toThrow(
      /circuit breaker is open/,
    );
    expect(calls).toBe(3);
    expect(health.isOpen('openai')).toBe(true);
    expect(health.state('openai')).toBe('open');
    vi.setSystemTime(Date.now() + 10_001);
    expect(health.isOpen('openai')).toBe(false);
    const outcome = await runPlan([candidate('a/one', 'openai')], { policy: policy(), health, attempt: async (c) => ok(c.model.id) });
    expect(outcome.result.model).toBe('a/one');
    expect(health.state('openai')).toBe('closed');
  });

  it('stops every attempt when the caller aborts', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const pending = runPlan([candidate('a/one', 'openai'), candidate('b/two', 'fal')], {
      policy: policy({ hedge: { afterMs: 0 } }),
      health: new ProviderHealth(),
      signal: controller.signal,
      attempt: (_c, signal) =>
        new Promise((_resolve, reject) => {
          seen.push(signal);
          signal.addEventListener('abort', () => reject(new AbortedError('aborted')));
        }),
    });
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(seen.every((s) => s.aborted)).toBe(true);
  });

  it('hedges: a slow primary gets a backup, the first answer wins and the loser is cancelled', async () => {
    let primarySignal: AbortSignal | undefined;
    const outcome = await runPlan([candidate('a/slow', 'openai'), candidate('b/backup', 'fal')], {
      policy: policy({ hedge: { afterMs: 20 } }),
      health: new ProviderHealth(),
      attempt: (c, signal) => {
        if (c.model.id === 'a/slow') {
          primarySignal = signal;
          return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        }
        return Promise.resolve(ok(c.model.id));
      },
    });
    expect(outcome.result.model).toBe('b/backup');
    expect(outcome.tried).toEqual(['a/slow', 'b/backup']);
    expect(outcome.cancelled).toEqual(['a/slow']);
    expect(primarySignal?.aborted).toBe(true);
  });

  it('does not hedge when the primary answers in time', async () => {
    const outcome = await runPlan([candidate('a/fast', 'openai'), candidate('b/backup', 'fal')], {
      policy: policy({ hedge: { afterMs: 200 } }),
      health: new ProviderHealth(),
      attempt: async (c) => ok(c.model.id),
    });
    expect(outcome.tried).toEqual(['a/fast']);
  });

  it('starts one backup per request: a backup never starts a hedge of its own', async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const ranked = ['a/one', 'b/two', 'c/three', 'd/four'].map((id, i) => candidate(id, (['openai', 'fal', 'replicate', 'openai'] as const)[i]!));
    let answer!: () => void;
    const pending = runPlan(ranked, {
      policy: policy({ hedge: { afterMs: 10 } }),
      health: new ProviderHealth(),
      attempt: (c, signal) => {
        started.push(c.model.id);
        return new Promise((resolve, reject) => {
          if (c.model.id === 'b/two') answer = () => resolve(ok(c.model.id));
          signal.addEventListener('abort', () => reject(signal.reason));
        });
      },
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(started).toEqual(['a/one', 'b/two']);
    answer();
    const outcome = await pending;
    expect(outcome.tried).toEqual(['a/one', 'b/two']);
    expect(outcome.cancelled).toEqual(['a/one']);
  });

  it('answers only once the losers have wound down, so their cost is in the attempt log', async () => {
    const outcome = await runPlan([candidate('a/slow', 'openai'), candidate('b/backup', 'fal')], {
      policy: policy({ hedge: { afterMs: 5 } }),
      health: new ProviderHealth(),
      attempt: (c, signal, attempts: Attempt[]) => {
        if (c.model.id === 'b/backup') return Promise.resolve(ok(c.model.id));
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () =>
            // The loser's bookkeeping takes a moment (a cancel request to the vendor).
            setTimeout(() => {
              attempts.push({ model: 'a/slow', provider: 'openai', startedAt: '', latencyMs: 0, outcome: 'error', costUsd: 0.04 });
              reject(signal.reason);
            }, 20),
          ),
        );
      },
    });
    expect(outcome.attempts.map((a) => [a.model, a.costUsd])).toEqual([['a/slow', 0.04]]);
  });

  it('retries a failure whose vendor job is alive (it resumes), even when the error alone would not be retried', async () => {
    const seen: string[] = [];
    const outcome = await runPlan([candidate('a/one', 'replicate'), candidate('b/two', 'fal')], {
      policy: policy({ retries: 2 }),
      health: new ProviderHealth({ sleep: async () => undefined }),
      attempt: async (c) => {
        seen.push(c.model.id);
        if (seen.length === 1) throw new NotFoundError('output download 404', { requestId: 'job-1', jobAlive: true });
        return ok(c.model.id);
      },
    });
    expect(seen).toEqual(['a/one', 'a/one']);
    expect(outcome.result.model).toBe('a/one');
  });

  it('a backup the budget cannot pay for is not started, and the primary runs on', async () => {
    let finishPrimary!: () => void;
    const outcome = await runPlan([candidate('a/slow', 'openai'), candidate('b/backup', 'fal')], {
      policy: policy({ hedge: { afterMs: 1 } }),
      health: new ProviderHealth(),
      attempt: (c) => {
        if (c.model.id === 'a/slow') return new Promise((resolve) => (finishPrimary = () => resolve(ok(c.model.id))));
        // The reservation for the backup is refused; the primary then answers.
        setImmediate(() => finishPrimary());
        return Promise.reject(new BudgetExceededError('no budget left for a hedge'));
      },
    });
    expect(outcome.result.model).toBe('a/slow');
    expect(outcome.tried).toEqual(['a/slow']);
    expect(outcome.cancelled).toEqual([]);
  });
});
