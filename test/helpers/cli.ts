/** Runs the easel CLI from source (through tsx) in a child process, as a user's shell would. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(resolve(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = resolve(ROOT, 'src/cli/main.ts');

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
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
