/**
 * The background sandbox's record under the state folder (`sandbox.json`): where it listens and who
 * it is. The sandbox publishes it itself once it listens, and removes it when it stops; a client
 * trusts it only after the sandbox at that URL answers with the recorded pid.
 */
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const RecordSchema = z.object({
  pid: z.number().int().positive(),
  url: z.string().url(),
  port: z.number().int().positive(),
  /** ISO time it started. */
  started: z.string(),
  /** easel version that started it. */
  version: z.string(),
  timeScale: z.number(),
  /** It stops after this long without requests or running jobs. */
  idleTimeoutMs: z.number().positive(),
});
export type SandboxRecord = z.infer<typeof RecordSchema>;

/** Files of the background sandbox in a state folder (absolute paths). */
export function backgroundFiles(stateDir: string): { dir: string; record: string; lock: string; log: string } {
  const dir = resolve(stateDir);
  return { dir, record: join(dir, 'sandbox.json'), lock: join(dir, 'sandbox.lock'), log: join(dir, 'sandbox.log') };
}

/** The record, or undefined when there is none (or it cannot be read: treated as none). */
export function readRecord(stateDir: string): SandboxRecord | undefined {
  try {
    return RecordSchema.parse(JSON.parse(readFileSync(backgroundFiles(stateDir).record, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Publishes the record atomically and exclusively (written aside, then hard-linked into place): a
 * reader never sees half a record, and a second sandbox never replaces the one clients already use.
 * Returns false when another record is already there.
 */
export function publishRecord(stateDir: string, record: SandboxRecord): boolean {
  const files = backgroundFiles(stateDir);
  const aside = `${files.record}.${record.pid}.tmp`;
  writeFileSync(aside, `${JSON.stringify(record, null, 2)}\n`);
  try {
    linkSync(aside, files.record);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Removes the record if it still names `pid` (a sandbox removes only its own). */
export function removeRecord(stateDir: string, pid?: number): void {
  const current = readRecord(stateDir);
  if (pid !== undefined && current && current.pid !== pid) return;
  try {
    unlinkSync(backgroundFiles(stateDir).record);
  } catch {
    // already gone
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Probe = { state: 'up'; timeScale: number } | { state: 'gone' } | { state: 'unresponsive' };

/**
 * Asks the recorded sandbox for its health. `gone`: nothing listens there, or something else does
 * (another pid), or its process is dead. `unresponsive`: its process lives but did not answer in time
 * (a busy machine): never a reason to start a second one.
 */
export async function probe(record: SandboxRecord, timeoutMs = 5_000): Promise<Probe> {
  if (!pidAlive(record.pid)) return { state: 'gone' };
  try {
    const response = await fetch(`${record.url}/_sandbox/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => undefined)) as { ok?: boolean; pid?: number; timeScale?: number } | undefined;
    return response.ok && body?.ok === true && body.pid === record.pid ? { state: 'up', timeScale: body.timeScale ?? record.timeScale } : { state: 'gone' };
  } catch (error) {
    const name = (error as Error).name;
    return name === 'TimeoutError' || name === 'AbortError' ? { state: 'unresponsive' } : { state: 'gone' };
  }
}
