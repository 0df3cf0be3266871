/**
 * Finds the background sandbox of a state folder, or starts it: `easel sandbox --background`,
 * detached, its output in `sandbox.log`. Any number of processes may ask at once; they end up with one
 * sandbox (the lock decides who starts it, the others wait for its record).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { IN_PROCESS_TIME_SCALE } from '../in-process.js';
import { easelCommand } from './command.js';
import { tryLock } from './lock.js';
import { backgroundFiles, type Probe, probe, readRecord, removeRecord, type SandboxRecord } from './record.js';

/** The background sandbox stops by itself after this long without requests or running jobs. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** How often a process that did not get the lock looks for the record the starter's sandbox writes. */
const WAIT_STEP_MS = 50;

export interface BackgroundSandboxOptions {
  stateDir: string;
  /** Time scale of a sandbox started now; a running one is switched to it. Unset: the in-process default for a new one. */
  timeScale?: number;
  /** Idle stop of a sandbox started now (default 30 minutes). */
  idleTimeoutMs?: number;
  /** Longest wait for the sandbox to start, or for a busy one to answer. */
  startTimeoutMs?: number;
}

export interface RunningSandbox {
  url: string;
  pid: number;
  /** Started by this call (else found running). */
  started: boolean;
}

export async function ensureBackgroundSandbox(options: BackgroundSandboxOptions): Promise<RunningSandbox> {
  const files = backgroundFiles(options.stateDir);
  mkdirSync(files.dir, { recursive: true });
  const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  let silent: SandboxRecord | undefined;
  while (Date.now() < deadline) {
    const found = await lookUp(options.stateDir);
    if (found.probe.state === 'up') return reuse(found.record!, found.probe.timeScale, options.timeScale);
    if (found.probe.state === 'gone') {
      const release = tryLock(files.lock);
      if (release) {
        try {
          // Someone may have published between our look and our lock.
          const again = await lookUp(options.stateDir);
          if (again.probe.state === 'up') return reuse(again.record!, again.probe.timeScale, options.timeScale);
          if (again.probe.state === 'gone') {
            removeRecord(options.stateDir);
            return await spawnSandbox(options, deadline);
          }
        } finally {
          release();
        }
      }
    } else {
      silent = found.record;
    }
    await sleep(WAIT_STEP_MS);
  }
  throw new Error(
    silent
      ? `the background sandbox (pid ${silent.pid}) at ${silent.url} does not answer; \`easel sandbox stop --state ${files.dir}\` stops it`
      : `the background sandbox did not start within ${Math.round((options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) / 1000)} s; see ${files.log}`,
  );
}

async function lookUp(stateDir: string): Promise<{ record: SandboxRecord | undefined; probe: Probe }> {
  const record = readRecord(stateDir);
  return { record, probe: record ? await probe(record) : { state: 'gone' } };
}

async function reuse(record: SandboxRecord, running: number, wanted: number | undefined): Promise<RunningSandbox> {
  if (wanted !== undefined && wanted !== running) {
    // The control API changes a running sandbox's time scale; its jobs keep running.
    await fetch(`${record.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timeScale: wanted }),
    }).catch(() => undefined);
  }
  return { url: record.url, pid: record.pid, started: false };
}

type Outcome = { kind: 'ready'; url: string; pid: number } | { kind: 'exited'; why: string } | { kind: 'timeout' };

async function spawnSandbox(options: BackgroundSandboxOptions, deadline: number): Promise<RunningSandbox> {
  const files = backgroundFiles(options.stateDir);
  const [command, ...prefix] = easelCommand();
  const args = [
    ...prefix,
    'sandbox',
    '--background',
    '--state',
    files.dir,
    '--time-scale',
    String(options.timeScale ?? IN_PROCESS_TIME_SCALE),
    '--idle-timeout',
    String(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS),
  ];
  const log = openSync(files.log, 'a');
  // Detached: its own session, so Ctrl+C in the terminal and the death of this process leave it running.
  const child = spawn(command!, args, { detached: true, windowsHide: true, stdio: ['ignore', log, log, 'ipc'] });
  closeSync(log);
  const outcome = await new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, deadline - Date.now()));
    const settle = (o: Outcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    child.once('message', (m: { url?: string; pid?: number }) =>
      settle(m.url && m.pid ? { kind: 'ready', url: m.url, pid: m.pid } : { kind: 'exited', why: 'it sent an unexpected message' }),
    );
    child.once('exit', (code, signal) => settle({ kind: 'exited', why: signal ? `it was killed (${signal})` : `it exited with code ${code}` }));
    child.once('error', (error) => settle({ kind: 'exited', why: error.message }));
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();
  if (outcome.kind === 'ready') return { url: outcome.url, pid: outcome.pid, started: true };
  if (outcome.kind === 'timeout') child.kill('SIGKILL');
  // A sandbox started by a process that died holding the lock may have published first: use it.
  const published = await lookUp(options.stateDir);
  if (published.probe.state === 'up') return { url: published.record!.url, pid: published.record!.pid, started: false };
  const why = outcome.kind === 'timeout' ? 'it did not report its URL in time' : outcome.why;
  throw new Error(`the background sandbox could not start: ${why}; see ${files.log}${logTail(files.log)}`);
}

function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n').slice(-3);
    return lines.length ? `:\n  ${lines.join('\n  ')}` : '';
  } catch {
    return '';
  }
}
