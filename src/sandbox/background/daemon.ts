/**
 * The background sandbox's own side (`easel sandbox --background`): listen on an ephemeral loopback
 * port, publish the record under the state folder, tell the process that started it, and stop — record
 * removed first — on SIGTERM/SIGINT or after the idle period.
 */
import { EASEL_VERSION } from '../../version.js';
import { startSandbox } from '../server.js';
import { backgroundFiles, publishRecord, removeRecord } from './record.js';

export interface DaemonOptions {
  stateDir: string;
  timeScale: number;
  idleTimeoutMs: number;
  /** Where its few lines go (stdout, which the starter sends to `sandbox.log`). */
  log?: (line: string) => void;
}

/** Longest gap between two idle checks. */
const MAX_IDLE_CHECK_MS = 60_000;

export async function runBackgroundSandbox(options: DaemonOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(`${new Date().toISOString()} ${line}`));
  const { stateDir, idleTimeoutMs } = options;
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, timeScale: options.timeScale });
  const record = {
    pid: process.pid,
    url: sandbox.url,
    port: Number(new URL(sandbox.url).port),
    started: new Date().toISOString(),
    version: EASEL_VERSION,
    timeScale: options.timeScale,
    idleTimeoutMs,
  };
  if (!publishRecord(stateDir, record)) {
    log(`another background sandbox is recorded in ${backgroundFiles(stateDir).record}; this one (pid ${process.pid}) stops`);
    await sandbox.close();
    process.disconnect?.();
    return;
  }
  process.on('exit', () => removeRecord(stateDir, process.pid));

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(idleCheck);
    // Unpublished before it closes, so no new client picks a sandbox that is going away.
    removeRecord(stateDir, process.pid);
    log(`stopping (${why})`);
    void sandbox.close().finally(() => process.exit(0));
  };
  const idleCheck = setInterval(
    () => {
      if (sandbox.idleForMs() >= idleTimeoutMs) stop(`idle for ${Math.round(idleTimeoutMs / 1000)} s`);
    },
    Math.max(20, Math.min(idleTimeoutMs / 4, MAX_IDLE_CHECK_MS)),
  );
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  log(
    `easel ${EASEL_VERSION} background sandbox (pid ${process.pid}) listening on ${sandbox.url}, time scale ${options.timeScale}, stops after ${Math.round(idleTimeoutMs / 1000)} s idle`,
  );
  // The starter waits for this message (or the record); then the channel is closed so neither side holds the other.
  if (process.send) process.send({ url: sandbox.url, pid: process.pid }, undefined, {}, () => process.disconnect?.());
}
