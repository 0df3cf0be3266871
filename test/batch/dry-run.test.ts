/**
 * Estimates are the run's: a dry run of a workload, then the run itself against the sandbox, and the
 * sandbox's ledger (what the vendors would have charged) is within 5% of the estimate — on the example
 * workload, per-item models on all four vendors, image inputs (img2img, upscale, fill), and
 * per-second prices.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DryRun, dryRun } from '../../src/batch/dry-run.js';
import { parseWorkload, parseWorkloadLines, type WorkloadItem } from '../../src/batch/input.js';
import { createEasel, type Easel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

/** Generous limits on both sides: the runs take a few seconds and nothing waits on a 429. */
const PACING = {
  openai: { requestsPerMinute: 100_000 },
  stability: { requestsPerMinute: 100_000 },
  replicate: { requestsPerMinute: 100_000, concurrent: 1000 },
  fal: { concurrent: 1000 },
};
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    timeScale: 0.01,
    limits: { ...PACING, stability: { requestsPerMinute: 100_000, burst: { requests: 100_000, windowMs: 10_000, lockoutMs: 0 } } },
  });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${sandbox.urls.control}/reset`, { method: 'POST' });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'easel-dry-run-'));
const easels: Easel[] = [];
afterAll(async () => Promise.all(easels.map((e) => e.close())));
function sandboxEasel(pollIntervalMs = 5): Easel {
  const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: tmp(), pollIntervalMs, limits: PACING } });
  easels.push(easel);
  return easel;
}

interface Ledger {
  totalUsd: number;
  charges: { model: string; usd: number | null; images: number }[];
}
const ledger = async () => (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as Ledger;

/** The dry run, then the run of the same items; the ledger after it. */
async function estimateThenRun(
  items: readonly WorkloadItem[],
  model?: string,
  pollIntervalMs?: number,
): Promise<{ estimate: DryRun; charged: Ledger; succeeded: number; failed: number }> {
  const easel = sandboxEasel(pollIntervalMs);
  const estimate = await dryRun(easel, items, { model });
  expect((await ledger()).charges, 'a dry run pays nothing').toHaveLength(0);
  const final = await (await easel.batch(items, { outDir: tmp(), model, concurrency: 64, limits: PACING })).done;
  return { estimate, charged: await ledger(), succeeded: final.succeeded, failed: final.failed };
}

const within5Percent = (estimate: number, actual: number) =>
  expect(Math.abs(estimate - actual) / actual, `estimate $${estimate}, ledger $${actual}`).toBeLessThan(0.05);
const chargesByModel = (charged: Ledger) => charged.charges.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.model]: (acc[c.model] ?? 0) + 1 }), {});

describe('dry run against the ledger', () => {
  it('prices the example workload as auto routing runs it (every 20th line of mixed-1000: all four kinds)', { timeout: 60_000 }, async () => {
    const all = parseWorkload(readFileSync(resolve(import.meta.dirname, '../../examples/workloads/mixed-1000.txt'), 'utf8'), '.txt');
    const items = all.filter((_, i) => i % 20 === 0);
    const { estimate, charged, succeeded } = await estimateThenRun(items);
    expect(succeeded).toBe(50);
    expect(estimate.failing).toEqual([]);
    // Every item on the model the dry run named (each one call, one charge).
    expect(chargesByModel(charged)).toEqual(Object.fromEntries(Object.entries(estimate.byModel).map(([m, s]) => [m, s.items])));
    within5Percent(estimate.costUsd, charged.totalUsd);
  });

  it('prices per-item models, sizes, qualities and split n on all four vendors', { timeout: 60_000 }, async () => {
    const lines = [
      { model: 'openai/gpt-image-1', prompt: 'a cat', quality: 'high', size: '1536x1024' },
      { model: 'openai/gpt-image-1', prompt: 'a dog', n: 3, quality: 'low' },
      { model: 'openai/gpt-image-1-mini', prompt: 'a fox' },
      { model: 'stability/core', prompt: 'a hill', aspectRatio: '16:9' },
      { model: 'stability/ultra', prompt: 'a lake', n: 2 },
      { model: 'stability/sdxl-1.0', prompt: 'a boat', n: 3 },
      { model: 'replicate/black-forest-labs/flux-schnell', prompt: 'a car', n: 4 },
      { model: 'replicate/black-forest-labs/flux-dev', prompt: 'a tree', n: 6 },
      { model: 'replicate/stability-ai/sdxl', prompt: 'a house', n: 2, size: '512x512' },
      { model: 'fal/flux/dev', prompt: 'a river', size: '1536x1024' },
      { model: 'fal/flux/schnell', prompt: 'a bird', n: 5, size: '512x512' },
      { prompt: 'a product photo of a mug' },
    ];
    const { items } = parseWorkloadLines(lines.map((l) => JSON.stringify(l)).join('\n'), '.jsonl');
    const { estimate, charged, succeeded } = await estimateThenRun(items, 'fal/flux/schnell');
    expect(succeeded).toBe(lines.length);
    // The last line names no model: --model applies to it alone.
    expect(estimate.lines.at(-1)).toMatchObject({ line: 12, model: 'fal/flux/schnell' });
    expect(new Set(charged.charges.map((c) => c.model.split('/')[0]))).toEqual(new Set(['openai', 'stability', 'replicate', 'fal']));
    expect(estimate.images).toBe(charged.charges.reduce((sum, c) => sum + c.images, 0));
    within5Percent(estimate.costUsd, charged.totalUsd);
  });

  it('prices image inputs by their size: img2img, upscale (per second too) and a per-megapixel fill', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const png = async (name: string, width: number, height: number, white = false) => {
      const path = join(dir, name);
      await sharp({ create: { width, height, channels: 3, background: white ? { r: 255, g: 255, b: 255 } : { r: 200, g: 100, b: 50 } } })
        .png()
        .toFile(path);
      return path;
    };
    const square = await png('square.png', 512, 512);
    const wide = await png('wide.png', 1024, 768);
    const small = await png('small.png', 300, 200);
    // 1536x1024 is 1.6 MP: FAL bills 2 MP. Priced at the default megapixel it would be half the bill.
    const large = await png('large.png', 1536, 1024);
    const mask = await png('mask.png', 1536, 1024, true);
    const lines = [
      { task: 'image-to-image', model: 'stability/sd3.5-large', prompt: 'oil painting', image: wide, strength: 0.6 },
      { task: 'image-to-image', model: 'replicate/black-forest-labs/flux-dev', prompt: 'watercolor', image: square, strength: 0.5 },
      { task: 'image-to-image', model: 'replicate/stability-ai/sdxl', prompt: 'sketch', image: square },
      { task: 'image-to-image', prompt: 'pastel', image: square },
      { task: 'upscale', model: 'replicate/nightmareai/real-esrgan', image: small, scale: 4 },
      { task: 'upscale', model: 'stability/upscale-fast', image: square },
      { task: 'edit', model: 'fal/flux-pro/v1/fill', prompt: 'a hat', image: large, mask },
      { task: 'edit', model: 'fal/flux-pro/v1/fill', prompt: 'a cap', image: large, mask },
      { task: 'edit', model: 'openai/gpt-image-1', prompt: 'a scarf', image: wide },
    ];
    const { items } = parseWorkloadLines(lines.map((l) => JSON.stringify(l)).join('\n'), '.jsonl');
    const { estimate, charged, succeeded } = await estimateThenRun(items);
    expect(succeeded).toBe(lines.length);
    expect(estimate.byModel['fal/flux-pro/v1/fill']).toEqual({ items: 2, images: 2, costUsd: 0.2 });
    within5Percent(estimate.costUsd, charged.totalUsd);
  });

  it('a CSV with bad lines: they are reported by number before running, and the good ones cost what was estimated', { timeout: 60_000 }, async () => {
    const text = [
      'prompt,model,size,n,task',
      'a red kite,stability/core,,,',
      'bad model,acme/imagine,,,',
      'two gulls,fal/flux/schnell,512x512,2,',
      'bad size,openai/gpt-image-1,777x333,,',
      'a harbour at noon,openai/dall-e-2,256x256,3,',
      'not a number,fal/flux/schnell,,two,',
      'a pier,replicate/black-forest-labs/flux-schnell,,,',
      ',stability/core,,,',
      'a lighthouse,,,,',
    ].join('\n');
    const { items, bad } = parseWorkloadLines(text, '.csv');
    const easel = sandboxEasel();
    const estimate = await dryRun(easel, items, { unreadable: bad });
    expect(estimate.failing.map((f) => f.line)).toEqual([3, 5, 7, 9]);
    const final = await (await easel.batch(items, { outDir: tmp(), concurrency: 16, limits: PACING })).done;
    const charged = await ledger();
    // The run fails exactly the lines the dry run named, and pays for the others as estimated.
    const [job] = await easel.jobStore().listJobs();
    const failed = await easel.jobStore().items(job!.id, ['failed']);
    expect(failed.map((i) => i.line)).toEqual(estimate.failing.filter((f) => items.some((i) => i.line === f.line)).map((f) => f.line));
    expect(final.succeeded).toBe(5);
    expect(estimate.images).toBe(charged.charges.reduce((sum, c) => sum + c.images, 0));
    within5Percent(estimate.costUsd, charged.totalUsd);
  });

  it('expects per-second prices at the compute time the vendor bills on average, one image or several a call', { timeout: 60_000 }, async () => {
    // Small images: the bill is compute time, whatever the size. Compute times spread ±20% (one sigma),
    // so 200 one-image calls put their mean within ~1.4% and 150 three-image calls within ~1.7%.
    const items = Array.from({ length: 350 }, (_, i) => ({ line: i + 1, request: { prompt: `per second ${i}`, size: '256x256', n: i < 200 ? 1 : 3 } }));
    const { estimate, charged } = await estimateThenRun(items, 'replicate/stability-ai/sdxl', 20);
    expect(charged.charges).toHaveLength(350);
    within5Percent(estimate.costUsd, charged.totalUsd);
    const billed = (images: number) => charged.charges.filter((c) => c.images === images).reduce((sum, c) => sum + c.usd!, 0);
    const expected = (images: number) => estimate.lines.filter((l) => l.images === images).reduce((sum, l) => sum + l.costUsd!, 0);
    within5Percent(expected(1), billed(1));
    // n times one image's typical compute would be 30% over the bill here; the vendor's batch is cheaper.
    expect(Math.abs(expected(3) - billed(3)) / billed(3)).toBeLessThan(0.1);
  });
});

describe('dry run resolution', () => {
  const items: WorkloadItem[] = [
    { line: 1, request: { prompt: 'a lighthouse at dusk' } },
    { line: 2, request: { prompt: 'a lighthouse at dawn', n: 2 } },
    { line: 3, request: { prompt: 'its own model', model: 'stability/core' } },
  ];

  it('--model changes the estimate, for the items that name no model of their own', async () => {
    const easel = sandboxEasel();
    const auto = await dryRun(easel, items);
    const pinned = await dryRun(easel, items, { model: 'openai/gpt-image-1' });
    expect(Object.keys(auto.byModel)).not.toContain('openai/gpt-image-1');
    // gpt-image-1 at 1024x1024, quality unset (billed as medium): $0.042 an image.
    expect(pinned.byModel).toEqual({ 'openai/gpt-image-1': { items: 2, images: 3, costUsd: 0.126 }, 'stability/core': { items: 1, images: 1, costUsd: 0.03 } });
    expect(pinned.costUsd).toBe(0.156);
    expect(pinned.costUsd).not.toBe(auto.costUsd);
  });

  it('lists every line that will fail, by number and why, and leaves them out of the figures', async () => {
    const easel = sandboxEasel();
    const text = [
      'prompt,model,size,n,task,image',
      'fine,stability/core,,,,',
      'bad model,acme/imagine,,,,',
      'bad size,openai/gpt-image-1,777x333,,,',
      'too many,fal/flux/schnell,,two,,',
      ',stability/core,,,,',
      'no such file,stability/sd3.5-large,,,image-to-image,/nonexistent/in.png',
      'extra,column,,,,,',
      'also fine,fal/flux/schnell,512x512,2,,',
    ].join('\n');
    const { items, bad } = parseWorkloadLines(text, '.csv');
    const run = await dryRun(easel, items, { unreadable: bad, budgetUsd: 0.03 });
    expect(run.failing.map((f) => f.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(run.failing.map((f) => f.reason)).toEqual([
      expect.stringMatching(/unknown model "acme\/imagine"/),
      expect.stringMatching(/cannot make size 777x333/),
      'n must be a number (got "two")',
      expect.stringMatching(/needs a prompt/),
      expect.stringMatching(/cannot read file/),
      expect.stringMatching(/not a valid CSV record/),
    ]);
    expect(run).toMatchObject({ items: 2, images: 3, costUsd: 0.036, budget: { capUsd: 0.03, fits: false } });
  });
});
