/**
 * Every store error through the compiled CLI: a corrupt page, a file that is not SQLite, a store
 * another process holds locked, an unreadable file. Each is one `error:` line naming the file, no
 * stack frame, and a non-zero exit.
 */
import Database from 'better-sqlite3';
import { chmodSync, cpSync, mkdtempSync, openSync, closeSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import { KeyStore } from '../../src/server/auth/keys.js';
import { type CliRun, runCli } from '../helpers/cli.js';

let root: string;
let healthy: string;

/** A state folder whose job store and key store span many pages. */
async function makeState(dir: string): Promise<void> {
  const jobs = new SqliteJobStore(join(dir, 'jobs.db'));
  for (let j = 0; j < 30; j++)
    await jobs.createJob(
      { id: `job${j}`, outDir: join(dir, `out${j}`), source: 'cli', options: {} },
      Array.from({ length: 20 }, (_, i) => ({ line: i + 1, request: { prompt: `${'p'.repeat(200)} ${i}` } })),
    );
  await jobs.close();
  const keys = new KeyStore(join(dir, 'gateway.db'));
  for (let i = 0; i < 40; i++) keys.create({ name: `key ${i} ${'n'.repeat(60)}` });
  keys.close();
}

function copyState(name: string): string {
  const dir = join(root, name);
  cpSync(healthy, dir, { recursive: true });
  return dir;
}

/** Garbage over bytes 4096..8192: the second page (the schema lives on the first). */
function corruptPage(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
  closeSync(fd);
}

const commands = (state: string) => ({
  batch: ['batch', join(root, 'prompts.txt'), '--out', join(state, 'out-batch'), '--state', state, '--model', 'openai/dall-e-2'],
  'jobs list': ['jobs', '--state', state],
  'jobs show': ['jobs', 'show', 'job3', '--state', state],
  serve: ['serve', '--port', '0', '--state', state],
  'keys list': ['keys', 'list', '--state', state],
});

function expectOneErrorLine(run: CliRun, file: RegExp, what: RegExp): void {
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(run.code, run.stderr).not.toBe(0);
  expect(
    lines.filter((line) => line.startsWith('error:')),
    run.stderr,
  ).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/SqliteError/);
  const error = lines.find((line) => line.startsWith('error:'))!;
  expect(error).toMatch(file);
  expect(error).toMatch(what);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'easel-store-errors-'));
  healthy = join(root, 'healthy');
  await makeState(healthy);
  writeFileSync(join(root, 'prompts.txt'), 'a lighthouse\n');
});

describe('store errors through the CLI', () => {
  it('a file that is not SQLite: one line naming it, for every command', async () => {
    const state = copyState('not-sqlite');
    writeFileSync(join(state, 'jobs.db'), 'this is a text file, not a database '.repeat(200));
    writeFileSync(join(state, 'gateway.db'), 'this is a text file, not a database '.repeat(200));
    const runs = await Promise.all(Object.entries(commands(state)).map(async ([name, args]) => [name, await runCli(args, { timeoutMs: 60_000 })] as const));
    for (const [name, run] of runs) {
      const file = name.startsWith('keys') || name === 'serve' ? /gateway\.db/ : /jobs\.db/;
      expectOneErrorLine(run, file, /is not an SQLite database: move it aside/);
    }
  });

  it('a corrupt page: one line naming the file and the way to recover, for every command', async () => {
    const state = copyState('corrupt');
    corruptPage(join(state, 'jobs.db'));
    corruptPage(join(state, 'gateway.db'));
    const runs = await Promise.all(Object.entries(commands(state)).map(async ([name, args]) => [name, await runCli(args, { timeoutMs: 60_000 })] as const));
    for (const [name, run] of runs) {
      const file = name.startsWith('keys') || name === 'serve' ? /gateway\.db/ : /jobs\.db/;
      expectOneErrorLine(run, file, /is corrupted .*\.recover/);
    }
  });

  it('a store another process holds a write lock on: writers stop with one line after the busy timeout', async () => {
    const state = copyState('locked');
    const jobs = new Database(join(state, 'jobs.db'));
    const keys = new Database(join(state, 'gateway.db'));
    jobs.exec('BEGIN EXCLUSIVE');
    keys.exec('BEGIN EXCLUSIVE');
    try {
      // WAL: readers are not blocked by a writer, so `jobs` and `keys list` still answer; writers wait 5 s, then stop.
      const [list, batch, create] = await Promise.all([
        runCli(commands(state)['jobs list']),
        runCli(commands(state).batch, { timeoutMs: 60_000 }),
        runCli(['keys', 'create', '--name', 'blocked', '--state', state], { timeoutMs: 60_000 }),
      ]);
      expect(list.code, list.stderr).toBe(0);
      expectOneErrorLine(batch, /jobs\.db/, /is locked by another process/);
      expectOneErrorLine(create, /gateway\.db/, /is locked by another process/);
    } finally {
      jobs.exec('ROLLBACK');
      keys.exec('ROLLBACK');
      jobs.close();
      keys.close();
    }
  }, 60_000);

  it.skipIf(process.getuid?.() === 0)(
    'an unreadable store: one line saying it cannot be opened (skipped as root: chmod does not stop root reading)',
    async () => {
      const state = copyState('unreadable');
      chmodSync(join(state, 'jobs.db'), 0o000);
      chmodSync(join(state, 'gateway.db'), 0o000);
      const all = commands(state);
      const runs = await Promise.all((['jobs list', 'keys list'] as const).map(async (name) => [name, await runCli(all[name])] as const));
      for (const [name, run] of runs) expectOneErrorLine(run, name === 'keys list' ? /gateway\.db/ : /jobs\.db/, /cannot be opened|read-only/);
    },
  );
});
