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

describe('batch completion by webhooks', () => {
  it.each([
    ['replicate', 'replicate/black-forest-labs/flux-schnell', /^\/replicate\/v1\/predictions\/[^/]+$/],
    ['fal', 'fal/flux/schnell', /^\/fal\/queue\/fal-ai\/flux\/requests\/[^/]+\/status$/],
  ])('%s: every item completes on its verified delivery, with a status check or two each', async (vendor, model, statusPath) => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs: 2 } });
    const from = sandbox.context.requests.length;
    const deliveriesBefore = sandbox.context.webhooks.list().length;
    const run = easel.batch(
      Array.from({ length: 10 }, (_, i) => ({ prompt: `webhook ${i}`, model })),
      { outDir: tmp(), concurrency: 10, webhooks: {} },
    );
    expect(await run.done).toMatchObject({ succeeded: 10, failed: 0 });
    await sandbox.context.webhooks.drain();
    const deliveries = sandbox.context.webhooks.list().slice(deliveriesBefore);
    expect(deliveries).toHaveLength(10);
    expect(deliveries.every((d) => d.vendor === vendor && d.status === 204 && d.url.includes(`/v1/webhooks/${vendor}`))).toBe(true);
    const seen = requestsSince(from);
    // Woken by the delivery, each item checks the status once or twice (a slow job meets one safety-net poll); polling every 2 ms would take dozens.
    expect(seen.filter((r) => r.method === 'GET' && statusPath.test(r.path)).length).toBeLessThanOrEqual(20);
    expect(seen.some((r) => r.path.endsWith('/status/stream'))).toBe(false);
    await easel.close();
  });

  it('a delivery that never arrives is caught by the safety-net poll', async () => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs: 5 } });
    // The public URL goes nowhere: no delivery reaches the batch, polls finish the items anyway.
    const run = easel.batch([{ prompt: 'lost webhook', model: 'fal/flux/schnell' }], { outDir: tmp(), webhooks: { publicUrl: 'http://127.0.0.1:9/nowhere' } });
    expect(await run.done).toMatchObject({ succeeded: 1, failed: 0 });
    await easel.close();
  });
});
