/**
 * The no-key default must teach what a real vendor does: its jobs outlive a killed client. A batch on
 * Replicate with no EASEL_SANDBOX_URL, interrupted once as a terminal's Ctrl+C does (SIGINT to its
 * whole process group) and SIGKILLed twice mid-run, resumed each time, ends with every image and exactly
 * one charge per item in the background sandbox's ledger — the same as against a separately started
 * `easel sandbox`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killBackgroundSandboxes, recordedSandbox } from '../helpers/background-sandbox.js';
import { CLI } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL = 'replicate/black-forest-labs/flux-schnell';
const ITEMS = 60;
const KEYS = ['OPENAI_API_KEY', 'STABILITY_API_KEY', 'REPLICATE_API_TOKEN', 'FAL_KEY', 'FAL_KEY_ID', 'FAL_KEY_SECRET', 'EASEL_SANDBOX_URL', 'EASEL_CONFIG'];

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  dirs.forEach((dir) => killBackgroundSandboxes(join(dir, 'state')));
});

function cli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const clean = { ...process.env };
  for (const key of KEYS) delete clean[key];
  let output = '';
  // Its own process group, as a shell gives a command: Ctrl+C is a SIGINT to that group.
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exited, output: () => output };
}

async function charges(ledgerUrl: string): Promise<string[]> {
  const ledger = (await (await fetch(ledgerUrl)).json()) as { charges: { requestId: string }[] };
  return ledger.charges.map((c) => c.requestId);
}

/** Runs the batch and interrupts it once the vendor has charged `atCharges` items; returns the count then. */
async function runAndKill(
  dir: string,
  env: Record<string, string>,
  ledgerUrl: () => string | undefined,
  atCharges: number,
  how: 'SIGKILL' | 'Ctrl+C' = 'SIGKILL',
): Promise<number> {
  const run = cli(batchArgs(dir), env);
  let exited = false;
  void run.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the batch ended before ${atCharges} charges: ${run.output()}`);
    const url = ledgerUrl();
    const count = url ? (await charges(url).catch(() => [])).length : 0;
    if (count >= atCharges) {
      if (how === 'SIGKILL') run.child.kill('SIGKILL');
      else {
        process.kill(-run.child.pid!, 'SIGINT');
        // A graceful stop may take its grace period; this test is about what outlives it, not how long it takes.
        setTimeout(() => run.child.kill('SIGKILL'), 30_000).unref();
      }
      await run.exited;
      return count;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function batchArgs(dir: string): string[] {
  return [
    'batch',
    join(dir, 'prompts.txt'),
    '--out',
    join(dir, 'out'),
    '--state',
    join(dir, 'state'),
    '--model',
    MODEL,
    '--concurrency',
    '4',
    '--config',
    join(dir, 'easel.config.json'),
  ];
}

function workload(): string {
  const dir = mkdtempSync(join(tmpdir(), 'easel-default-crash-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'prompts.txt'), Array.from({ length: ITEMS }, (_, i) => `lighthouse at dusk, variation ${i + 1}`).join('\n'));
  // Predictions of ~150 ms (time scale 0.05) at 4 in flight: the run lasts a few seconds, and a kill always catches some mid-flight.
  writeFileSync(
    join(dir, 'easel.config.json'),
    JSON.stringify({ pollIntervalMs: 10, sandbox: { timeScale: 0.05 }, limits: { replicate: { requestsPerMinute: 3000, concurrent: 1000 } } }),
  );
  return dir;
}

/** Two kills and a Ctrl+C, then a run to the end; the figures every surface must show afterwards. */
async function killTwiceAndResume(dir: string, env: Record<string, string>, ledgerUrl: () => string | undefined) {
  // The Ctrl+C comes first: it reaches the process group of the command that started the background sandbox.
  const killedAt = [await runAndKill(dir, env, ledgerUrl, 8, 'Ctrl+C'), await runAndKill(dir, env, ledgerUrl, 24), await runAndKill(dir, env, ledgerUrl, 40)];
  const last = cli(batchArgs(dir), env);
  expect(await last.exited, last.output()).toBe(0);
  const out = join(dir, 'out');
  const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file: string; vendorRequestId: string });
  const charged = await charges(ledgerUrl()!);
  return { killedAt, images: readdirSync(out).filter((f) => f.endsWith('.png')).length, manifest, charged, output: last.output() };
}

function expectExactlyOncePerItem(result: Awaited<ReturnType<typeof killTwiceAndResume>>): void {
  expect(
    result.killedAt.every((n) => n < ITEMS),
    `kills at ${result.killedAt.join(', ')} charges`,
  ).toBe(true);
  expect(result.images).toBe(ITEMS);
  expect(result.manifest).toHaveLength(ITEMS);
  expect(new Set(result.manifest.map((m) => m.file)).size).toBe(ITEMS);
  expect(result.charged, `kills at ${result.killedAt.join(', ')} charges`).toHaveLength(ITEMS);
  expect(new Set(result.charged)).toEqual(new Set(result.manifest.map((m) => m.vendorRequestId)));
}

describe('kill -9 and resume with no keys', () => {
  it('against the default (background) sandbox: every image, one charge per item, one sandbox throughout', { timeout: 120_000 }, async () => {
    const dir = workload();
    const state = join(dir, 'state');
    const ledgerUrl = () => {
      const record = recordedSandbox(state);
      return record && `${record.url}/_sandbox/ledger`;
    };
    const result = await killTwiceAndResume(dir, {}, ledgerUrl);
    expectExactlyOncePerItem(result);
    // One sandbox served all four runs (the Ctrl+C did not reach it), and it still runs after them.
    const log = readFileSync(join(state, 'sandbox.log'), 'utf8');
    expect(log.match(/listening on/g)).toHaveLength(1);
    const pid = recordedSandbox(state)!.pid;
    expect(result.output).toContain(`It runs in the background (pid ${pid})`);
  });

  it('against a separately started `easel sandbox`: the same figures', { timeout: 120_000 }, async () => {
    const dir = workload();
    const sandbox = cli(['sandbox', '--port', '0', '--time-scale', '0.05']);
    const url = await new Promise<string>((found, fail) => {
      const timer = setTimeout(() => fail(new Error(`the sandbox did not start: ${sandbox.output()}`)), 30_000);
      sandbox.child.stdout!.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(sandbox.output());
        if (match) {
          clearTimeout(timer);
          found(match[1]!);
        }
      });
    });
    try {
      const result = await killTwiceAndResume(dir, { EASEL_SANDBOX_URL: url }, () => `${url}/_sandbox/ledger`);
      expectExactlyOncePerItem(result);
      expect(recordedSandbox(join(dir, 'state'))).toBeUndefined();
    } finally {
      sandbox.child.kill('SIGTERM');
    }
  });
});
