import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { killBackgroundSandboxes } from '../helpers/background-sandbox.js';
import { runCli } from '../helpers/cli.js';

// With no keys, each command starts the background sandbox of its state folder (`.easel` in its cwd).
const cwds: string[] = [];
const tempCwd = () => {
  const cwd = mkdtempSync(join(tmpdir(), 'easel-cli-'));
  cwds.push(cwd);
  return cwd;
};
afterAll(() => cwds.forEach((cwd) => killBackgroundSandboxes(join(cwd, '.easel'))));

describe('easel generate (CLI)', () => {
  it('with no keys, writes a real PNG of the default size and says it used the sandbox', async () => {
    const cwd = tempCwd();
    const run = await runCli(['generate', 'a cozy coffee shop interior'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /built-in sandbox at http:\/\/127\.0\.0\.1:\d+ \(images are placeholders\)\. Started it in the background \(pid \d+\), so its jobs and ledger outlive this command; `easel sandbox stop` stops it\./,
    );
    expect(run.stdout).toMatch(/^model +\S+ \(sandbox\)/m);
    expect(run.stdout).toMatch(/^cost +\$\d/m);
    expect(run.stdout).toMatch(/^latency +\d+ ms/m);
    const files = readdirSync(join(cwd, 'easel-output'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^a-cozy-coffee-shop-interior-[0-9a-f]{8}\.png$/);
    const meta = await sharp(readFileSync(join(cwd, 'easel-output', files[0]!))).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width! * meta.height!).toBeGreaterThanOrEqual(512 * 512);
  });

  it('prints the result as JSON with --json, and the decision with --explain', async () => {
    const cwd = tempCwd();
    const run = await runCli(['generate', 'a mountain', '--model', 'replicate/black-forest-labs/flux-schnell', '--aspect', '16:9', '--json', '--explain'], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({
      model: 'replicate/black-forest-labs/flux-schnell',
      sandbox: true,
      images: [{ width: 1344, height: 768 }],
      route: { chosen: 'replicate/black-forest-labs/flux-schnell' },
    });
  });

  it('rejects bad flags with what is allowed', async () => {
    const run = await runCli(['generate', 'x', '--size', 'huge']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--size must look like WIDTHxHEIGHT');
    const n = await runCli(['generate', 'x', '-n', '0']);
    expect(n.stderr).toContain('-n must be a whole number from 1 to 64');
    const model = await runCli(['generate', 'x', '--model', 'nope/nope']);
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/error: unknown model "nope\/nope"/);
  });
});
