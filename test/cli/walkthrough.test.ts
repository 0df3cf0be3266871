/**
 * A user's path through a batch that does not go straight: start it, Ctrl+C, follow the printed
 * advice, edit the file, run again, raise the budget. Every message names the next command, and the
 * sandbox's ledger shows nothing bought twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { CLI } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL = 'replicate/black-forest-labs/flux-schnell';
const PRICE = 0.003;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.01 });
});
afterAll(() => sandbox.close());

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** Runs `easel <words>` in `cwd`, as a shell would for the commands easel prints. */
function easel(words: string[], cwd: string): Run {
  const [first, ...rest] = words;
  expect(first).toBe('easel');
  let output = '';
  const child = spawn(process.execPath, [...CLI, ...rest], {
    cwd,
    env: { ...process.env, EASEL_SANDBOX_URL: sandbox.url, REPLICATE_API_TOKEN: '', EASEL_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, exited: new Promise((done) => child.on('exit', (code) => done(code))), output: () => output };
}

/** The command a message tells the user to run next: the first `easel …` between backticks. */
function advised(output: string, pattern: RegExp): string[] {
  const found = [...output.matchAll(/`(easel [^`]+)`/g)].map((m) => m[1]!).find((c) => pattern.test(c));
  expect(found, `no advice matching ${pattern} in:\n${output}`).toBeDefined();
  return found!.replace(/ USD$/, '').split(' ');
}

const charges = async () =>
  ((await (await fetch(`${sandbox.urls.control}/ledger`)).json()) as { charges: { requestId: string; vendor: string }[] }).charges.filter(
    (c) => c.vendor === 'replicate',
  );

describe('the CLI walkthrough: interrupt, resume, edit, raise the budget', () => {
  it('names the next command at every step and buys nothing twice', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-walk-'));
    writeFileSync(join(dir, 'prompts.txt'), Array.from({ length: 40 }, (_, i) => `walkthrough scene ${i + 1}`).join('\n'));
    writeFileSync(join(dir, 'easel.config.json'), JSON.stringify({ pollIntervalMs: 10, limits: { replicate: { requestsPerMinute: 300, concurrent: 1000 } } }));
    const before = (await charges()).length;

    // 1. Start with a budget for 30 of the 40 items, and Ctrl+C once a few have been bought.
    const first = easel(['easel', 'batch', 'prompts.txt', '--out', 'images', '--model', MODEL, '--budget', String(PRICE * 30), '--concurrency', '4'], dir);
    while ((await charges()).length - before < 5) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGINT');
    expect(await first.exited, first.output()).toBe(130);
    expect(first.output()).toMatch(/SIGINT: stopping\. No new vendor calls/);
    const again = advised(first.output(), /^easel batch prompts\.txt --out images/);

    // 2. Edit the file before resuming: the same command is an error that names both ways on.
    appendFileSync(join(dir, 'prompts.txt'), '\nwalkthrough scene 41\nwalkthrough scene 42');
    const second = easel(again, dir);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/the items changed since it started/);
    expect(second.output()).toMatch(/--new/);
    const resumeOld = advised(second.output(), /^easel jobs resume job_/);

    // 3. Finish the old job as it was: the budget stops it at 30 of its 40 items.
    const third = easel(resumeOld, dir);
    expect(await third.exited, third.output()).toBe(0);
    expect(third.output()).toMatch(/resuming job/);
    expect(third.output()).toMatch(/30 succeeded, 0 failed, 10 skipped for budget/);
    const raise = advised(third.output(), /--budget USD$/);

    // 4. Raise the budget as advised: the skipped items run, nothing else is bought.
    const fourth = easel([...raise, String(PRICE * 40)], dir);
    expect(await fourth.exited, fourth.output()).toBe(0);
    expect(fourth.output()).toMatch(/budget of job job_\w+: \$0\.09 → \$0\.12 \(raised/);
    expect(fourth.output()).toMatch(/40 succeeded, 0 failed, 0 skipped/);

    // 5. The first command again, on the edited file: a new job that keeps the 40 already bought.
    const fifth = easel(again, dir);
    expect(await fifth.exited, fifth.output()).toBe(0);
    expect(fifth.output()).toMatch(/40 of them done earlier in this folder with the same request \(not bought again\)/);
    expect(fifth.output()).toMatch(/42 succeeded, 0 failed, 0 skipped/);

    const bought = (await charges()).slice(before).map((c) => c.requestId);
    expect(new Set(bought).size).toBe(bought.length);
    expect(bought).toHaveLength(42);
    expect(readdirSync(join(dir, 'images')).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(42);
  });

  it('a second process on the same folder is refused with the owner’s pid, and nothing is bought twice', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-two-'));
    writeFileSync(join(dir, 'prompts.txt'), Array.from({ length: 40 }, (_, i) => `two processes ${i + 1}`).join('\n'));
    // One start a second: the first process is surely still running when the second one asks.
    writeFileSync(join(dir, 'slow.json'), JSON.stringify({ pollIntervalMs: 10, limits: { replicate: { requestsPerMinute: 60, concurrent: 1000 } } }));
    writeFileSync(join(dir, 'fast.json'), JSON.stringify({ pollIntervalMs: 10, limits: { replicate: { requestsPerMinute: 6000, concurrent: 1000 } } }));
    const before = (await charges()).length;
    const args = ['easel', 'batch', 'prompts.txt', '--out', 'images', '--model', MODEL, '--concurrency', '2'];
    const first = easel([...args, '--config', 'slow.json'], dir);
    while ((await charges()).length - before < 2) await new Promise((r) => setTimeout(r, 10));
    const second = easel([...args, '--config', 'fast.json'], dir);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(new RegExp(`being written by another easel process \\(pid ${first.child.pid}`));
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    // The owner gone, the folder is free: the same command finishes the job.
    const third = easel([...args, '--config', 'fast.json'], dir);
    expect(await third.exited, third.output()).toBe(0);
    const bought = (await charges()).slice(before).map((c) => c.requestId);
    expect(bought).toHaveLength(40);
    expect(new Set(bought).size).toBe(40);
  });

  it('`easel jobs cancel` from another terminal stops the run, which says how to resume; the same command then finishes it', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'easel-cancel-'));
    writeFileSync(join(dir, 'prompts.txt'), Array.from({ length: 40 }, (_, i) => `cancel me ${i + 1}`).join('\n'));
    writeFileSync(join(dir, 'slow.json'), JSON.stringify({ pollIntervalMs: 10, limits: { replicate: { requestsPerMinute: 60, concurrent: 1000 } } }));
    const before = (await charges()).length;
    const args = ['easel', 'batch', 'prompts.txt', '--out', 'images', '--model', MODEL, '--concurrency', '2', '--config', 'slow.json'];
    const first = easel(args, dir);
    while (!/started job (job_\w+)/.test(first.output())) await new Promise((r) => setTimeout(r, 10));
    const job = /started job (job_\w+)/.exec(first.output())![1]!;
    while ((await charges()).length - before < 2) await new Promise((r) => setTimeout(r, 10));
    const cancel = easel(['easel', 'jobs', 'cancel', job], dir);
    expect(await cancel.exited, cancel.output()).toBe(0);
    expect(cancel.output()).toMatch(new RegExp(`resume it later with \`easel jobs resume ${job}\``));
    expect(await first.exited, first.output()).toBe(1);
    expect(first.output()).toMatch(/items left: stopped; resume with `easel batch prompts\.txt --out images/);
    // The same command resumes the canceled job (it does not start a new one and buy everything again);
    // its config now lets it go at full speed.
    writeFileSync(join(dir, 'slow.json'), JSON.stringify({ pollIntervalMs: 10, limits: { replicate: { requestsPerMinute: 6000, concurrent: 1000 } } }));
    const again = easel(advised(first.output(), /^easel batch prompts\.txt/), dir);
    expect(await again.exited, again.output()).toBe(0);
    expect(again.output()).toMatch(new RegExp(`resuming job ${job}`));
    const bought = (await charges()).slice(before).map((c) => c.requestId);
    expect(bought).toHaveLength(40);
    expect(new Set(bought).size).toBe(40);
  });
});
