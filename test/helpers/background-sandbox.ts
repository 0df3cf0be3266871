/** Test cleanup for background sandboxes: tests must never leave one running, whatever happened. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function recordedSandbox(stateDir: string): { pid: number; url: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as { pid: number; url: string };
  } catch {
    return undefined;
  }
}

/** SIGKILLs the recorded sandbox and every sandbox its log names (also ones that lost a start race). */
export function killBackgroundSandboxes(stateDir: string): void {
  const pids = new Set<number>();
  const recorded = recordedSandbox(stateDir);
  if (recorded) pids.add(recorded.pid);
  try {
    for (const m of readFileSync(join(stateDir, 'sandbox.log'), 'utf8').matchAll(/\(pid (\d+)\)/g)) pids.add(Number(m[1]));
  } catch {
    // no log: none started
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
