import { describe, expect, it } from 'vitest';
import { cliOutputUntil, runCli } from '../helpers/cli.js';

describe('easel sandbox (CLI)', () => {
  it('prints its base URLs and how to point clients at it', async () => {
    const output = await cliOutputUntil(['sandbox', '--port', '0', '--time-scale', '0.01'], /Press Ctrl\+C/);
    const root = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
    for (const path of ['/openai/v1', '/stability', '/replicate/v1', '/fal/queue', '/fal/run', '/_sandbox']) expect(output).toContain(`${root}${path}`);
    expect(output).toContain(`export EASEL_SANDBOX_URL=${root}`);
    expect(output).toContain('OPENAI_BASE_URL=');
  });

  it('refuses a bad fault profile with the offending field', async () => {
    const run = await runCli(['sandbox', '--port', '0', '--faults', 'package.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--faults package.json: .*name|unrecognized/i);
  });
});
