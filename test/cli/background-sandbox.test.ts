/**
 * The CLI's default sandbox, as a user meets it: two commands started at once share one background
 * sandbox, each says so once (and how to stop it), both exit although it keeps running, and
 * `easel sandbox status|stop` find it in the state folder.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, killBackgroundSandboxes, recordedSandbox } from '../helpers/background-sandbox.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => killBackgroundSandboxes(join(dir, '.easel'))));

describe('the background sandbox (CLI)', () => {
  it('is started once for two commands at once, outlives them, and is reported and stopped by `easel sandbox`', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'easel-cli-bg-'));
    dirs.push(cwd);
    const model = ['--model', 'replicate/black-forest-labs/flux-schnell'];
    const [a, b] = await Promise.all([runCli(['generate', 'a red kite', ...model], { cwd }), runCli(['generate', 'a blue kite', ...model], { cwd })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const record = recordedSandbox(join(cwd, '.easel'))!;
    expect(record.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const run of [a, b]) {
      const notices = run.stderr.split('\n').filter((l) => l.startsWith('easel: '));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(`so replicate calls go to the built-in sandbox at ${record.url} (images are placeholders).`);
      expect(notices[0]).toMatch(
        new RegExp(
          `(Started it|It runs) in the background \\(pid ${record.pid}\\), so its jobs and ledger outlive this command; \`easel sandbox stop\` stops it\\.`,
        ),
      );
    }
    expect([a, b].filter((r) => r.stderr.includes('Started it'))).toHaveLength(1);
    expect(readFileSync(join(cwd, '.easel', 'sandbox.log'), 'utf8').match(/listening on/g)).toHaveLength(1);
    // Both commands have exited; their sandbox has not.
    expect(alive(record.pid)).toBe(true);

    const status = await runCli(['sandbox', 'status'], { cwd });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`background sandbox (pid ${record.pid}, easel 0.1.0) at ${record.url}`);
    expect(status.stdout).toMatch(/ledger: 2 charges, \$0\.0060 \(replicate 2\)/);
    const json = JSON.parse((await runCli(['sandbox', 'status', '--json', '--state', join(cwd, '.easel')])).stdout);
    expect(json).toMatchObject({ running: true, record: { pid: record.pid }, ledger: { charges: [{ vendor: 'replicate' }, { vendor: 'replicate' }] } });

    const stop = await runCli(['sandbox', 'stop'], { cwd });
    expect(stop.stdout).toContain(`stopped the background sandbox (pid ${record.pid}) at ${record.url}`);
    expect(alive(record.pid)).toBe(false);
    expect(recordedSandbox(join(cwd, '.easel'))).toBeUndefined();
    expect((await runCli(['sandbox', 'status'], { cwd })).stdout).toContain('no background sandbox running for .easel');
  });

  it('starts no sandbox for commands that call no vendor', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'easel-cli-bg-'));
    dirs.push(cwd);
    const run = await runCli(['route', 'a lighthouse', '--explain'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('built-in sandbox');
    expect(recordedSandbox(join(cwd, '.easel'))).toBeUndefined();
  });
});
