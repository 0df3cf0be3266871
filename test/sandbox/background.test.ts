/**
 * The background sandbox of a state folder, through the library: started once however many ask at
 * once, found again by its record, stale locks and records taken over, stopped by `stop` and by itself
 * when idle — never while a vendor job runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { ensureBackgroundSandbox } from '../../src/sandbox/background/launch.js';
import { backgroundSandboxStatus, stopBackgroundSandbox } from '../../src/sandbox/background/stop.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { alive, killBackgroundSandboxes, recordedSandbox } from '../helpers/background-sandbox.js';

const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'easel-bg-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach(killBackgroundSandboxes));

/** A pid that surely belongs to no process: one that has just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

async function gone(pid: number, withinMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

describe('background sandbox', () => {
  it('starts one sandbox for many concurrent callers, records it, and is found again', { timeout: 60_000 }, async () => {
    const dir = stateDir();
    const all = await Promise.all(Array.from({ length: 4 }, () => ensureBackgroundSandbox({ stateDir: dir, timeScale: 0.01 })));
    expect(new Set(all.map((s) => s.pid)).size).toBe(1);
    expect(all.filter((s) => s.started)).toHaveLength(1);
    const record = recordedSandbox(dir)!;
    expect(record).toMatchObject({ pid: all[0]!.pid, url: all[0]!.url });
    expect(record.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(record.pid).not.toBe(process.pid);

    const health = (await (await fetch(`${record.url}/_sandbox/health`)).json()) as { pid: number; timeScale: number };
    expect(health).toMatchObject({ pid: record.pid, timeScale: 0.01 });
    const again = await ensureBackgroundSandbox({ stateDir: dir });
    expect(again).toEqual({ url: record.url, pid: record.pid, started: false });
    expect(existsSync(join(dir, 'sandbox.lock'))).toBe(false);
    // A configured time scale applies to the running sandbox too.
    await ensureBackgroundSandbox({ stateDir: dir, timeScale: 0.02 });
    expect(((await (await fetch(`${record.url}/_sandbox/health`)).json()) as { timeScale: number }).timeScale).toBe(0.02);

    const status = await backgroundSandboxStatus(dir);
    expect(status).toMatchObject({ state: 'up', record: { pid: record.pid }, ledger: { charges: [] } });
    const stopped = await stopBackgroundSandbox(dir);
    expect(stopped).toMatchObject({ stopped: true, record: { pid: record.pid } });
    expect(alive(record.pid)).toBe(false);
    expect(recordedSandbox(dir)).toBeUndefined();
    expect(await backgroundSandboxStatus(dir)).toBeUndefined();
    expect(await stopBackgroundSandbox(dir)).toMatchObject({ stopped: false });
  });

  it('takes over a lock and a record left by dead processes', { timeout: 60_000 }, async () => {
    const dir = stateDir();
    const dead = deadPid();
    writeFileSync(join(dir, 'sandbox.lock'), String(dead));
    writeFileSync(
      join(dir, 'sandbox.json'),
      JSON.stringify({ pid: dead, url: 'http://127.0.0.1:9', port: 9, started: new Date().toISOString(), version: '0.0.0', timeScale: 1, idleTimeoutMs: 1000 }),
    );
    const running = await ensureBackgroundSandbox({ stateDir: dir, timeScale: 0.01 });
    expect(running.started).toBe(true);
    expect(running.pid).not.toBe(dead);
    expect(recordedSandbox(dir)).toMatchObject({ pid: running.pid, url: running.url });
    expect(existsSync(join(dir, 'sandbox.lock'))).toBe(false);
    await stopBackgroundSandbox(dir);
  });

  it('waits while a live process holds the lock, and uses what that process starts', { timeout: 60_000 }, async () => {
    const dir = stateDir();
    // The lock names this very process: alive, so the caller must wait for a record rather than start one.
    writeFileSync(join(dir, 'sandbox.lock'), String(process.pid));
    const started = startSandbox({ timeScale: 0.01 });
    const waiting = ensureBackgroundSandbox({ stateDir: dir, startTimeoutMs: 20_000 });
    const other = await started;
    try {
      writeFileSync(
        join(dir, 'sandbox.json'),
        JSON.stringify({
          pid: process.pid,
          url: other.url,
          port: Number(new URL(other.url).port),
          started: new Date().toISOString(),
          version: 'test',
          timeScale: 0.01,
          idleTimeoutMs: 60_000,
        }),
      );
      expect(await waiting).toEqual({ url: other.url, pid: process.pid, started: false });
    } finally {
      rmSync(join(dir, 'sandbox.json'), { force: true }); // it names this process: the cleanup must not kill it
      await other.close();
    }
  });

  it('stops by itself after the idle period, removing its record', { timeout: 60_000 }, async () => {
    const dir = stateDir();
    const running = await ensureBackgroundSandbox({ stateDir: dir, timeScale: 0.01, idleTimeoutMs: 300 });
    expect(await gone(running.pid)).toBe(true);
    expect(recordedSandbox(dir)).toBeUndefined();
  });
});

describe("createEasel({ sandbox: 'background' })", () => {
  it('sends no-key calls to the background sandbox, leaves it running on close, and finds a new one when it has gone', { timeout: 90_000 }, async () => {
    const dir = stateDir();
    const model = 'replicate/black-forest-labs/flux-schnell';
    const open = (notices: string[]) =>
      createEasel({
        env: {},
        sandbox: 'background',
        onNotice: (l) => notices.push(l),
        config: { stateDir: dir, pollIntervalMs: 5, sandbox: { timeScale: 0.01 } },
      });
    const firstNotices: string[] = [];
    const first = open(firstNotices);
    const result = await first.generate({ prompt: 'a lighthouse', model });
    await first.generate({ prompt: 'a harbour', model });
    await first.close();
    expect(result.sandbox).toBe(true);
    const record = recordedSandbox(dir)!;
    expect(firstNotices).toEqual([
      `easel: no REPLICATE_API_TOKEN set, so replicate calls go to the built-in sandbox at ${record.url} (images are placeholders). Started it in the background (pid ${record.pid}), so its jobs and ledger outlive this command; \`easel sandbox stop --state ${dir}\` stops it.`,
    ]);
    expect(alive(record.pid)).toBe(true);

    // A second instance (another process, in real life) uses the same sandbox and sees its ledger grow.
    const secondNotices: string[] = [];
    const second = open(secondNotices);
    try {
      await second.generate({ prompt: 'a pier', model });
      expect(secondNotices[0]).toContain(`It runs in the background (pid ${record.pid})`);
      const ledger = (await (await fetch(`${record.url}/_sandbox/ledger`)).json()) as { charges: unknown[] };
      expect(ledger.charges).toHaveLength(3);
      // Stopped behind its back (idle stop, `easel sandbox stop`): the next call finds a new one.
      await stopBackgroundSandbox(dir);
      const after = await second.generate({ prompt: 'a buoy', model });
      expect(after.images).toHaveLength(1);
      const replaced = recordedSandbox(dir)!;
      expect(replaced.pid).not.toBe(record.pid);
    } finally {
      await second.close();
      await stopBackgroundSandbox(dir);
    }
  });
});

describe('when the background sandbox cannot start', () => {
  it('answers from a sandbox in this process, and says why and what that means', async () => {
    const file = join(stateDir(), 'not-a-folder');
    writeFileSync(file, '');
    const notices: string[] = [];
    const easel = createEasel({
      env: {},
      sandbox: 'background',
      onNotice: (l) => notices.push(l),
      config: { stateDir: file, pollIntervalMs: 5, sandbox: { timeScale: 0.01 } },
    });
    try {
      const result = await easel.generate({ prompt: 'a lighthouse', model: 'replicate/black-forest-labs/flux-schnell' });
      expect(result.images).toHaveLength(1);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/The background sandbox could not start \(.*\), so this one runs inside this command: its jobs end with it\.$/);
    } finally {
      await easel.close();
    }
  });
});

describe('sandbox activity (what the idle stop waits for)', () => {
  it('is busy while a vendor job runs with no client connected, idle once it ends', async () => {
    const sandbox = await startSandbox({ timeScale: 0.5 });
    try {
      const created = await fetch(`${sandbox.urls.replicate}/models/black-forest-labs/flux-schnell/predictions`, {
        method: 'POST',
        headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
        body: JSON.stringify({ input: { prompt: 'a lighthouse' } }),
      });
      const { id } = (await created.json()) as { id: string };
      // Each look at the clock comes before a status request: when that request still finds the
      // prediction running, the prediction was running at the look too, with no request open.
      let running = 0;
      for (;;) {
        const idle = sandbox.idleForMs();
        const { status } = (await (await fetch(`${sandbox.urls.replicate}/predictions/${id}`, { headers: { authorization: 'Bearer test' } })).json()) as {
          status: string;
        };
        if (status === 'succeeded') break;
        expect(idle, `while ${status}`).toBe(0);
        running++;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(running).toBeGreaterThan(0);
      await expect.poll(() => sandbox.idleForMs()).toBeGreaterThan(0);
    } finally {
      await sandbox.close();
    }
  });
});
