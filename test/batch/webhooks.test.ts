/**
 * Batch completion by webhooks: Replicate and FAL call the batch's receiver when a job ends (signed,
 * verified), so items stop polling; a lost delivery is still caught by the slow safety-net poll.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.05 });
});
afterAll(() => sandbox.close());

const tmp = () => mkdtempSync(join(tmpdir(), 'easel-webhooks-'));
const requestsSince = (from: number) => sandbox.context.requests.slice(from);
/** The safety-net poll's period with `pollIntervalMs: 2`: the first look (20 ms) ten times over (completion.ts). */
const SAFETY_NET_MS = 200;

describe('batch completion by webhooks', () => {
  it.each([
    ['replicate', 'replicate/black-forest-labs/flux-schnell', /^\/replicate\/v1\/predictions\/([^/]+)$/],
    ['fal', 'fal/flux/schnell', /^\/fal\/queue\/fal-ai\/flux\/requests\/([^/]+)\/status$/],
  ])('%s: every item completes on its verified delivery, status checks only on the delivery or the slow safety net', async (vendor, model, statusPath) => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs: 2 } });
    const from = sandbox.context.requests.length;
    const deliveriesBefore = sandbox.context.webhooks.list().length;
    const run = await easel.batch(
      Array.from({ length: 10 }, (_, i) => ({ prompt: `webhook ${i}`, model })),
      { outDir: tmp(), concurrency: 10, webhooks: {} },
    );
    expect(await run.done).toMatchObject({ succeeded: 10, failed: 0 });
    await sandbox.context.webhooks.drain();
    const deliveries = sandbox.context.webhooks.list().slice(deliveriesBefore);
    expect(deliveries).toHaveLength(10);
    expect(deliveries.every((d) => d.vendor === vendor && d.status === 204 && d.url.includes(`/v1/webhooks/${vendor}`))).toBe(true);
    const seen = requestsSince(from);
    // Woken by the delivery, each item checks the status once; a job still running meets the slow
    // safety-net poll (every 200 ms here: ten times the first look), however long the machine makes
    // it run. So every check of a job but its last (the one the delivery wakes) comes at least that
    // long after the one before; polling every 2 ms would put them milliseconds apart.
    const checks = new Map<string, number[]>();
    for (const r of seen) {
      const job = r.method === 'GET' ? statusPath.exec(r.path)?.[1] : undefined;
      if (job) checks.set(job, [...(checks.get(job) ?? []), Date.parse(r.at)]);
    }
    expect(checks.size).toBe(10);
    const gapsBeforeLast = [...checks.values()].flatMap((times) => times.slice(1, -1).map((t, i) => t - times[i]!));
    expect(gapsBeforeLast.filter((gap) => gap < SAFETY_NET_MS * 0.75)).toEqual([]);
    expect(seen.some((r) => r.path.endsWith('/status/stream'))).toBe(false);
    await easel.close();
  });

  it('a delivery that never arrives is caught by the safety-net poll', async () => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs: 5 } });
    // The public URL goes nowhere: no delivery reaches the batch, polls finish the items anyway.
    const run = await easel.batch([{ prompt: 'lost webhook', model: 'fal/flux/schnell' }], {
      outDir: tmp(),
      webhooks: { publicUrl: 'http://127.0.0.1:9/nowhere' },
    });
    expect(await run.done).toMatchObject({ succeeded: 1, failed: 0 });
    await easel.close();
  });
});
