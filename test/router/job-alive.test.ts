/**
 * A vendor job that exists is resumed, never bought again: when waiting on a job fails for a reason
 * that leaves the job alive (the adapter says `jobAlive` with its id), the router's next try on that
 * model picks the same job up. Here the failure comes from the webhook receiver (the `completion`
 * seam a batch passes): its wait rejects as a lost delivery would, for a FAL job the sandbox runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderUnavailableError } from '../../src/core/errors.js';
import { createEasel } from '../../src/easel.js';
import type { WebhookCompletion } from '../../src/providers/completion.js';
import { ProviderHealth } from '../../src/router/resilience.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.05, coldStart: { ms: 0, rate: 0 } });
});
afterAll(() => sandbox.close());

/** A receiver that loses the first `failures` waits (the job is alive, only the news is lost), then just never delivers (the adapter's polls find the job done). */
function losingReceiver(failures: number): WebhookCompletion & { lost: string[] } {
  const lost: string[] = [];
  return {
    url: 'http://127.0.0.1:9/v1/webhooks/fal',
    lost,
    wait: (id, signal) =>
      lost.length < failures
        ? Promise.reject(
            new ProviderUnavailableError('the webhook receiver lost its connection', { provider: 'fal', requestId: (lost.push(id), id), jobAlive: true }),
          )
        : new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
  };
}

const falSubmits = (from: number) => sandbox.context.requests.slice(from).filter((r) => r.method === 'POST' && r.path.startsWith('/fal/queue/')).length;

describe('a vendor job that is alive is resumed', () => {
  it('the retry picks up the same FAL job: one submit, one charge', async () => {
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { pollIntervalMs: 10 },
      latencyScale: 0.05,
      health: new ProviderHealth({ sleep: async () => undefined }),
    });
    const receiver = losingReceiver(1);
    const from = sandbox.context.requests.length;
    const charged = sandbox.context.ledger.list().length;
    const result = await easel.run({ prompt: 'a lantern in fog', model: 'fal/flux/schnell' }, { completion: () => receiver });
    expect(receiver.lost).toHaveLength(1);
    expect(falSubmits(from)).toBe(1);
    expect(sandbox.context.ledger.list().length - charged).toBe(1);
    expect(result.attempts.map((a) => [a.outcome, a.requestId])).toEqual([
      ['error', receiver.lost[0]],
      ['success', receiver.lost[0]],
    ]);
    expect(result.route!.totalCostUsd).toBe(sandbox.context.ledger.list().at(-1)!.usd);
    await easel.close();
  });

  it('falls back only once the retries on the live job are used up, and then cancels that job', async () => {
    const easel = createEasel({
      env: { EASEL_SANDBOX_URL: sandbox.url },
      config: { pollIntervalMs: 10 },
      latencyScale: 0.05,
      health: new ProviderHealth({ sleep: async () => undefined }),
    });
    const receiver = losingReceiver(Infinity);
    const from = sandbox.context.requests.length;
    const targets = { fallback: [{ model: 'fal/flux/schnell' }, { model: 'replicate/black-forest-labs/flux-schnell' }] };
    const ends: string[] = [];
    const reserve = async (attempt: { model: string }) => ({
      settle: (usd: number | null) => void ends.push(`${attempt.model} settled ${usd}`),
      release: () => void ends.push(`${attempt.model} released`),
    });
    const result = await easel.run(
      { prompt: 'a lantern in rain', policy: { targets, retries: 2 } },
      { completion: (provider) => (provider === 'fal' ? receiver : undefined), reserve },
    );
    expect(result.model).toBe('replicate/black-forest-labs/flux-schnell');
    // Three tries on the one FAL job (the first and two retries), never a second FAL job.
    expect(new Set(receiver.lost).size).toBe(1);
    expect(receiver.lost).toHaveLength(3);
    expect(falSubmits(from)).toBe(1);
    const cancels = sandbox.context.requests.slice(from).filter((r) => r.method === 'PUT' && r.path.endsWith(`/requests/${receiver.lost[0]}/cancel`));
    expect(cancels).toHaveLength(1);
    // Each try's reservation ends once its job is taken over or cancelled: FAL bills no cancelled job,
    // but one that finished before the cancel arrived is billed, and then settled at what it cost.
    const falCharge = sandbox.context.ledger.list().find((c) => c.requestId === receiver.lost[0]);
    expect(ends).toEqual([
      'fal/flux/schnell released',
      'fal/flux/schnell released',
      `replicate/black-forest-labs/flux-schnell settled ${result.cost.usd}`,
      falCharge ? `fal/flux/schnell settled ${falCharge.usd}` : 'fal/flux/schnell released',
    ]);
    await easel.close();
  });
});
