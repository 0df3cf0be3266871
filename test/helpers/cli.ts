/** Runs the easel CLI (compiled by the suite's global setup) in a child process, as a user's shell would. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** `node` arguments that start the CLI: the build test/global-setup.ts made before the suite. */
export const CLI = [resolve(ROOT, 'dist/cli/main.js')];

/** The vendors' key variables, removed so a test never reaches a real vendor by accident. */
const KEYS = ['OPENAI_API_KEY', 'STABILITY_API_KEY', 'REPLICATE_API_TOKEN', 'FAL_KEY', 'FAL_KEY_ID', 'FAL_KEY_SECRET', 'EASEL_SANDBOX_URL', 'EASEL_CONFIG'];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  const env = { ...process.env };
  for (const key of KEYS) delete env[key];
  return new Promise((done) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: options.cwd ?? ROOT, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running CLI command and resolves once its output matches `pattern`, then stops it. */
export function cliOutputUntil(args: string[], pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const env = { ...process.env };
  for (const key of KEYS) delete env[key];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`no match for ${pattern} in: ${output}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      if (pattern.test(output)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        done(output);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}
