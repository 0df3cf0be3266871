/** `easel sandbox stop|status`: the background sandbox of a state folder, found by its record. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Charge } from '../ledger.js';
import { pidAlive, probe, readRecord, removeRecord, type SandboxRecord } from './record.js';

const STOP_WAIT_MS = 10_000;

export type StopResult = { stopped: true; record: SandboxRecord } | { stopped: false; why: string };

/** SIGTERM to the recorded sandbox (it finishes what it sends and removes its record), SIGKILL if it lingers. */
export async function stopBackgroundSandbox(stateDir: string): Promise<StopResult> {
  const record = readRecord(stateDir);
  if (!record) return { stopped: false, why: 'no background sandbox is recorded there' };
  const found = await probe(record);
  if (found.state === 'gone') {
    // Its process died (or the pid and port belong to someone else now): forget it, signal nobody.
    removeRecord(stateDir, record.pid);
    return { stopped: false, why: `the recorded sandbox (pid ${record.pid}) is not running any more` };
  }
  signal(record.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_WAIT_MS;
  while (pidAlive(record.pid) && Date.now() < deadline) await sleep(20);
  if (pidAlive(record.pid)) signal(record.pid, 'SIGKILL');
  removeRecord(stateDir, record.pid);
  return { stopped: true, record };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // it ended by itself meanwhile
  }
}

export interface SandboxStatus {
  record: SandboxRecord;
  state: 'up' | 'unresponsive';
  timeScale: number;
  ledger?: { charges: Charge[]; totalUsd: number; unpriced: number };
}

/** The recorded sandbox and its ledger, or undefined when none runs. */
export async function backgroundSandboxStatus(stateDir: string): Promise<SandboxStatus | undefined> {
  const record = readRecord(stateDir);
  if (!record) return undefined;
  const found = await probe(record);
  if (found.state === 'gone') return undefined;
  if (found.state === 'unresponsive') return { record, state: 'unresponsive', timeScale: record.timeScale };
  const ledger = await fetch(`${record.url}/_sandbox/ledger`, { signal: AbortSignal.timeout(5_000) })
    .then((r) => r.json() as Promise<SandboxStatus['ledger']>)
    .catch(() => undefined);
  return { record, state: 'up', timeScale: found.timeScale, ledger };
}
