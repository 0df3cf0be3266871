/**
 * A real full disk and a real read-only folder (a small tmpfs mounted over the output folder; needs
 * root, as CI runs): the run pauses with a clear error, the images already paid for wait in the job
 * store, and once the folder takes writes again the next run writes them — the ledger shows one charge
 * per item. Skipped where mounting is not allowed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEasel } from '../../src/easel.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

const MODEL = 'replicate/black-forest-labs/flux-schnell';
const base = mkdtempSync(join(tmpdir(), 'easel-disk-'));
const out = join(base, 'out');
mkdirSync(out);

function mount(options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', out], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const remount = (options: string) => execFileSync('mount', ['-o', `remount,${options}`, out], { stdio: 'ignore' });
const mounted = process.getuid?.() === 0 && mount('size=160k');

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.002 });
});
afterAll(async () => {
  await sandbox.close();
  if (mounted) execFileSync('umount', ['-l', out], { stdio: 'ignore' });
});

describe.skipIf(!mounted)('a full disk and a read-only folder, for real', () => {
  it('pauses, keeps what was paid for, and finishes without a second charge once there is room', { timeout: 60_000 }, async () => {
    const easel = createEasel({ env: { EASEL_SANDBOX_URL: sandbox.url }, config: { stateDir: join(base, 'state'), pollIntervalMs: 2 } });
    const items = Array.from({ length: 30 }, (_, i) => ({ line: i + 1, request: { prompt: `a full disk ${i}` } }));
    const ledger = () => sandbox.context.ledger.list().map((c) => c.requestId);

    const first = await easel.batch(items, { outDir: out, model: MODEL, concurrency: 4 });
    const full = await first.done;
    expect(full.paused).toMatch(/cannot write to .*no space left on the device \(ENOSPC\)/);
    expect(full.succeeded).toBeLessThan(30);
    expect(full.failed).toBe(0);
    const afterFull = ledger().length;

    // Read-only: the run cannot even take the folder; it says so and buys nothing.
    remount('ro');
    await expect(easel.batch(items, { outDir: out, model: MODEL })).rejects.toThrow(/cannot write to .*read-only file system \(EROFS\)/);
    expect(ledger().length).toBe(afterFull);

    // Room again: the parked images are written, the rest bought once.
    remount('rw,size=64m');
    const last = await easel.batch(items, { outDir: out, model: MODEL, concurrency: 4 });
    expect(last.resumed).toBe(true);
    expect(await last.done).toMatchObject({ succeeded: 30, pending: 0, submitted: 0 });
    expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(30);
    expect(ledger()).toHaveLength(30);
    expect(new Set(ledger()).size).toBe(30);
    await easel.close();
  });
});
