/**
 * One process owns an output folder at a time. Two `easel batch` runs on the same folder would both
 * pick up its unfinished job and pay for the same items twice, so the second is refused with the
 * owner's pid. The lock is a file linked into place atomically (it exists whole or not at all); a lock left by a process that no longer
 * exists (killed, crashed) is taken over, so a crash never leaves a folder locked.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';

export const LOCK_FILE = '.easel-lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface FolderLock {
  release(): void;
}

export function lockFolder(dir: string): FolderLock {
  const path = join(dir, LOCK_FILE);
  // Two tries: the second after removing a stale lock (another process may win that race: then it owns the folder).
  for (let attempt = 0; attempt < 2; attempt++) {
    const draft = `${path}.${process.pid}`;
    writeFileSync(draft, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies LockOwner));
    try {
      linkSync(draft, path);
      return ownLock(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
    const owner = readOwner(path);
    if (owner && isAlive(owner)) {
      throw new InvalidRequestError(
        `${dir} is being written by another easel process (pid ${owner.pid}, since ${owner.since}): one process owns an output folder at a time. Wait for it to finish, or stop it (Ctrl+C in its terminal, or \`kill ${owner.pid}\`) and run this command again.`,
        { field: 'out' },
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed it first; the next try decides.
    }
  }
  const owner = readOwner(path);
  throw new InvalidRequestError(`${dir} was just taken by another easel process${owner ? ` (pid ${owner.pid})` : ''}`, { field: 'out' });
}

function ownLock(path: string): FolderLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readOwner(path)?.pid === process.pid) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  // A process that exits without reaching `release` (an uncaught error, process.exit) still frees it.
  process.on('exit', release);
  return { release };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? { pid: owner.pid, host: String(owner.host ?? ''), since: String(owner.since ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** A lock from another machine (a shared folder) is taken as held; on this one, the pid must exist. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
