/**
 * SQLite stores (job store, gateway keys, result cache) fail in a few ways a user can fix: a corrupt
 * or foreign file, a lock another process holds, a file or folder that cannot be read or written.
 * Each becomes one `StoreError` naming the file and what to do, wherever it happens: on open, on any
 * later query (a corrupt page is found only when read), or on close.
 */

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What to tell the user for each SQLite (or file system) error code. */
function advice(code: string | undefined, path: string, what: string): string {
  switch (code) {
    case 'SQLITE_NOTADB':
      return `${what} ${path} is not an SQLite database: move it aside (easel then starts a new one) or point --state at another folder`;
    case 'SQLITE_CORRUPT':
    case 'SQLITE_CORRUPT_VTAB':
    case 'SQLITE_CORRUPT_SEQUENCE':
    case 'SQLITE_CORRUPT_INDEX':
      return `${what} ${path} is corrupted (database disk image is malformed): recover it with \`sqlite3 ${path} .recover\`, or move it aside (easel then starts a new one)`;
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_SNAPSHOT':
    case 'SQLITE_BUSY_RECOVERY':
    case 'SQLITE_LOCKED':
      return `${what} ${path} is locked by another process (it held a write lock for over 5 s): wait for it to finish or stop it, then try again`;
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DBMOVED':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_READONLY_RECOVERY':
    case 'SQLITE_READONLY_CANTLOCK':
    case 'EROFS':
      return `${what} ${path} is read-only: make the file and its folder writable by this user, or point --state at a writable folder`;
    case 'SQLITE_CANTOPEN':
    case 'EACCES':
    case 'EPERM':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return `${what} ${path} cannot be opened: check that its folder exists and that this user may read and write both`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `${what} ${path} cannot be created: a part of its folder path is a file, not a folder; point --state at a folder`;
    case 'SQLITE_FULL':
    case 'ENOSPC':
      return `${what} ${path} cannot be written: the disk is full; free some space and try again`;
    default:
      if (code?.startsWith('SQLITE_IOERR'))
        return `${what} ${path} could not be read or written (I/O error ${code}): check the disk and the file's permissions`;
      if (code?.startsWith('SQLITE_CORRUPT')) return advice('SQLITE_CORRUPT', path, what);
      if (code?.startsWith('SQLITE_READONLY')) return advice('SQLITE_READONLY', path, what);
      if (code?.startsWith('SQLITE_BUSY')) return advice('SQLITE_BUSY', path, what);
      return '';
  }
}

/** The error as a `StoreError` when it is a database or file error this store can explain; else as it was. */
export function storeError(error: unknown, path: string, what: string): unknown {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const text = advice(typeof code === 'string' ? code : undefined, path, what);
  return text ? new StoreError(text, path, { cause: error }) : error;
}

/**
 * The store with every method's errors turned into `StoreError`s: thrown ones (better-sqlite3 is
 * synchronous), and with `asynchronous` the rejections of methods that return Promises (the job
 * store's interface is asynchronous). After a database error, `close()` (from a `finally`) never
 * throws or rejects with a second error over the first.
 */
export function guardStore<T extends { close(): unknown }>(store: T, path: string, what: string, options: { asynchronous?: boolean } = {}): T {
  let failed = false;
  const translate = (property: string | symbol, error: unknown): undefined => {
    if (property === 'close' && failed) return undefined;
    const translated = storeError(error, path, what);
    if (translated instanceof StoreError) failed = true;
    throw translated;
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          return translate(property, error);
        }
        return options.asynchronous && result instanceof Promise ? result.catch((error: unknown) => translate(property, error)) : result;
      };
    },
  });
}
