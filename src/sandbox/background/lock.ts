/**
 * One process at a time starts the background sandbox of a state folder: an exclusive lock file
 * (created with O_EXCL) holding the owner's pid. A lock whose owner died is taken over; so is one
 * left empty by an owner that died between creating and writing it, once it is old enough.
 */
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { pidAlive } from './record.js';

/** A lock file without a pid is someone's half-written lock for at most this long. */
const UNWRITTEN_LOCK_MS = 10_000;

/** Takes the lock, or returns undefined when a live process holds it. The returned function releases it. */
export function tryLock(path: string): (() => void) | undefined {
  for (let tries = 0; tries < 3; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => release(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const state = lockState(path);
    if (state === 'held') return undefined;
    if (state === 'released') continue;
    // Stale: remove it and race the others for a fresh one (O_EXCL picks exactly one winner).
    try {
      unlinkSync(path);
    } catch {
      // someone else took it over first
    }
  }
  return undefined;
}

function lockState(path: string): 'held' | 'stale' | 'released' {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8').trim();
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return 'released';
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return ageMs > UNWRITTEN_LOCK_MS ? 'stale' : 'held';
  return pidAlive(pid) ? 'held' : 'stale';
}

function release(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // already gone
  }
}
