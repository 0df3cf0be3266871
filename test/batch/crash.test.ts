/**
 * Must survive anything: a 200-item batch whose process is killed with SIGKILL at five random
 * points and resumed each time ends with 200 images, a consistent 200-line manifest, and exactly
 * 200 charged generations at the vendor — nothing paid twice, nothing lost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

const MODEL = 'replicate/black-forest-labs/flux-schnell';
const ITEMS = 200;
let sandbox: Sandbox;

beforeAll(async () => {
  // ~50 ms per prediction: long enough that kills land mid-flight, short enough for CI.
  sandbox = await startSandbox({ timeScale: 0.01 });
});
afterAll(() => sandbox.close());

function runBatch(dir: string): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'batch', join(dir, 'prompts.txt'), '--out', join(dir, 'out'), '--state', join(dir, 'state'), '--model', MODEL, '--concurrency', '16', '--config', join(dir, 'easel.config.json')],
    { env: { ...process.env, EASEL_SANDBOX_URL: sandbox.url, OPENAI_API_KEY: '', REPLICATE_API_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('batch crash safety', () => {
  it('survives five SIGKILLs: 200 images, 200 manifest lines, 200 charges', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-crash-'));
    writeFileSync(join(dir, 'prompts.txt'), Array.from({ length: ITEMS }, (_, i) => `crash test scene number ${i + 1}`).join('\n'));
    // Vendor pacing scaled like the sandbox, so the run lasts a few seconds and the kills land inside it.
    writeFileSync(join(dir, 'easel.config.json'), JSON.stringify({ pollIntervalMs: 10, limits: { replicate: { requestsPerMinute: 3000, concurrent: 1000 } } }));
    const kills: number[] = [];
    for (let k = 0; k < 5; k++) {
      const run = runBatch(dir);
      const delay = 900 + Math.floor(Math.random() * 1600);
      kills.push(delay);
      const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
      await run.exited;
      clearTimeout(timer);
    }
    const last = runBatch(dir);
    const code = await last.exited;
    expect(code, last.output()).toBe(0);

    const out = join(dir, 'out');
    const images = readdirSync(out).filter((f) => f.endsWith('.png'));
    expect(images).toHaveLength(ITEMS);
    const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; sha256: string; prompt: string; vendorRequestId: string });
    expect(manifest).toHaveLength(ITEMS);
    expect(new Set(manifest.map((m) => m.file)).size).toBe(ITEMS);
    for (const entry of manifest) {
      expect(createHash('sha256').update(readFileSync(join(out, entry.file))).digest('hex')).toBe(entry.sha256);
    }
    const ledger = (await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { requestId: string }[] };
    const charged = ledger.charges.map((c) => c.requestId);
    expect(charged, `kills at ${kills.join(', ')} ms`).toHaveLength(ITEMS);
    expect(new Set(charged).size).toBe(ITEMS);
    expect(new Set(manifest.map((m) => m.vendorRequestId))).toEqual(new Set(charged));
  });
});
