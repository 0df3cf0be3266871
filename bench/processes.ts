/** Starts easel CLI servers (sandbox, gateway) as child processes and reads the URL they print. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = pathToFileURL(resolve(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The easel CLI as a child server, from the compiled build as in production (built once per run):
 * under the TypeScript loader a server carries its transforms and source maps, and a heap that much
 * larger makes every full garbage collection several milliseconds longer.
 */
export function startChild(args: string[], env: Record<string, string>, pattern: RegExp, nodeArgs: string[] = []): Promise<ChildServer> {
  ensureBuilt();
  return startScript(resolve(ROOT, 'dist/cli/main.js'), args, env, pattern, nodeArgs);
}

let built = false;
function ensureBuilt(): void {
  if (built) return;
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed: the benchmarks run the compiled CLI');
  built = true;
}

/**
 * Any TypeScript entry point as a child server (the CLI, or a benchmark's own helper). Its stderr
 * (the gateway's request log) goes to a file, not back through a pipe: reading a log line per request
 * would make this process — the load generator — part of what is measured.
 */
export function startScript(script: string, args: string[], env: Record<string, string>, pattern: RegExp, nodeArgs: string[] = []): Promise<ChildServer> {
  const logPath = join(mkdtempSync(join(tmpdir(), 'easel-bench-child-')), 'stderr.log');
  const stderr = openSync(logPath, 'w');
  const loader = script.endsWith('.ts') ? ['--import', TSX] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...loader, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', stderr],
  });
  closeSync(stderr);
  return new Promise((done, fail) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        done({
          url: match[1]!,
          pid: child.pid!,
          stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`server exited (${code}): ${output}${readFileSync(logPath, 'utf8')}`)));
  });
}

/** Resets the kernel's peak-RSS mark of a process (Linux), so a peak can be measured for one phase. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Peak and current RSS of a process, in bytes (Linux `/proc/PID/status`). */
export function rss(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { peak: kb('VmHWM'), current: kb('VmRSS') };
}

/** CPU time (user + system) a process has used so far, in ms (Linux `/proc/PID/stat`). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  // After the command name: utime and stime are fields 14 and 15 of the whole line, in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
