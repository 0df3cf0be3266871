/**
 * The CLI as a user runs it: `easel batch FILE --dry-run`, then the same command without it, against
 * a sandbox. The dry run names the lines that will fail before anything runs, and the ledger after the
 * run is the estimate of the others.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DryRun } from '../../src/batch/dry-run.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../helpers/cli.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    timeScale: 0.01,
    limits: { openai: { requestsPerMinute: 100_000 }, stability: { requestsPerMinute: 100_000, burst: { requests: 100_000, windowMs: 10_000, lockoutMs: 0 } } },
  });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${sandbox.urls.control}/reset`, { method: 'POST' });
});

const ledger = async () => (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { totalUsd: number; charges: { model: string }[] };

/** A folder with the workload and a config whose pacing suits a time-scaled sandbox. */
function workspace(name: string, content: string): { dir: string; file: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'easel-cli-dry-run-'));
  const file = join(dir, name);
  writeFileSync(file, content);
  const config = join(dir, 'easel.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pollIntervalMs: 10,
      limits: {
        openai: { requestsPerMinute: 100_000 },
        stability: { requestsPerMinute: 100_000 },
        replicate: { requestsPerMinute: 100_000, concurrent: 1000 },
        fal: { concurrent: 1000 },
      },
    }),
  );
  return { dir, file, args: ['--out', join(dir, 'out'), '--state', join(dir, 'state'), '--config', config] };
}
const env = () => ({ EASEL_SANDBOX_URL: sandbox.url });

describe('easel batch --dry-run', () => {
  it('prices a pinned model as the run pays for it (--model openai/gpt-image-1)', { timeout: 60_000 }, async () => {
    const w = workspace('prompts.txt', Array.from({ length: 8 }, (_, i) => `a pinned scene ${i + 1}`).join('\n'));
    const dry = await runCli(['batch', w.file, ...w.args, '--model', 'openai/gpt-image-1', '--dry-run', '--json'], { env: env() });
    expect(dry.code, dry.stderr).toBe(0);
    const estimate = JSON.parse(dry.stdout) as DryRun;
    expect(estimate).toMatchObject({ items: 8, images: 8, costUsd: 0.336, failing: [], byModel: { 'openai/gpt-image-1': { items: 8 } } });
    expect((await ledger()).charges).toHaveLength(0);

    const run = await runCli(['batch', w.file, ...w.args, '--model', 'openai/gpt-image-1'], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const charged = await ledger();
    expect(charged.charges.map((c) => c.model)).toEqual(Array(8).fill('openai/gpt-image-1'));
    expect(Math.abs(estimate.costUsd - charged.totalUsd) / charged.totalUsd).toBeLessThan(0.05);
  });

  it('names the CSV lines that will fail before running; the ledger after the run is the estimate of the others', { timeout: 60_000 }, async () => {
    const models = ['openai/gpt-image-1', 'stability/core', 'replicate/black-forest-labs/flux-schnell', 'fal/flux/schnell', 'fal/flux/dev', ''];
    const rows = Array.from({ length: 25 }, (_, i) => `csv scene ${i + 1},${models[i % models.length]},,${i % 3 === 0 ? 2 : ''},,`);
    const bad = new Map([
      [4, 'upscale nothing,,,,upscale,'],
      [9, 'bad model,acme/imagine,,,,'],
      [14, 'bad size,openai/gpt-image-1,777x333,,,'],
      [20, ',stability/core,,,,'],
      [27, 'missing image,stability/sd3.5-large,,,image-to-image,/nonexistent/input.png'],
    ]);
    for (const [line, row] of [...bad].sort((a, b) => a[0] - b[0])) rows.splice(line - 2, 0, row);
    const w = workspace('jobs.csv', ['prompt,model,size,n,task,image', ...rows].join('\n'));

    const dry = await runCli(['batch', w.file, ...w.args, '--dry-run', '--budget', '0.5'], { env: env() });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/30 lines: 25 will run \(34 images\), 5 will fail/);
    expect([...dry.stdout.matchAll(/^ {2}line (\d+): /gm)].map((m) => Number(m[1]))).toEqual([...bad.keys()]);
    expect(dry.stdout).toMatch(/line 9: unknown model "acme\/imagine"/);
    expect(dry.stdout).toMatch(/line 27: image: cannot read file/);
    expect(dry.stdout).toMatch(/budget \$0.5 is below the estimate/);
    const estimated = Number(/estimated cost \$([\d.]+)/.exec(dry.stdout)![1]);

    const run = await runCli(['batch', w.file, ...w.args], { env: env() });
    expect(run.stdout).toMatch(/25 succeeded, 5 failed/);
    const charged = await ledger();
    expect(charged.charges).toHaveLength(25);
    expect(Math.abs(estimated - charged.totalUsd) / charged.totalUsd).toBeLessThan(0.05);
  });

  it('lists every line that is not a request at all, where the run stops at the first', { timeout: 60_000 }, async () => {
    const w = workspace('jobs.jsonl', ['{"prompt":"one"}', '{oops', '{"prompt":"three"}', '["four"]', '{"prompt":"five","n":"x"}'].join('\n'));
    const dry = await runCli(['estimate', '--prompts', w.file, '--config', w.args.at(-1)!, '--json'], { env: env() });
    expect(dry.code, dry.stderr).toBe(0);
    const { run } = JSON.parse(dry.stdout) as { run: DryRun };
    expect(run.items).toBe(2);
    expect(run.failing).toEqual([
      { line: 2, reason: 'not valid JSON' },
      { line: 4, reason: expect.stringMatching(/must be a JSON object/) },
      { line: 5, reason: expect.stringMatching(/invalid request: n:/) },
    ]);
    const real = await runCli(['batch', w.file, ...w.args], { env: env() });
    expect(real.code).toBe(1);
    expect(real.stderr).toMatch(/jobs.jsonl line 2: not valid JSON/);
    expect((await ledger()).charges).toHaveLength(0);
  });
});
