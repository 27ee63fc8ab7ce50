import { closeSync, constants, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomicImpl from 'write-file-atomic';

/**
 * Writes `data` to a temp file beside `file`, fsyncs it, renames it into place and fsyncs the
 * folder, so a reader (or an agent restarting after a crash, or after a power loss) sees the
 * old record or the new one, never half of one. The folder is made (mode 0700) if missing.
 * The file gets `mode` (default 0600) and this process's owner.
 *
 * For state files root writes into root-owned folders only: the path is resolved like any
 * other (links followed), so never use it in a tree another user can write (see safe-fs.ts).
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeFileAtomicImpl(file, data, atomicOptions(mode));
  // the rename is durable only once the folder's entry is on disk
  const dir = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** writeFileAtomic for the director's synchronous paths (run records, the CA's index). */
export function writeFileAtomicSync(file: string, data: string | Buffer, mode = 0o600): void {
  const folder = dirname(file);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  writeFileAtomicImpl.sync(file, data, atomicOptions(mode));
  const dir = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function atomicOptions(mode: number): writeFileAtomicImpl.Options {
  return {
    mode,
    fsync: true,
    // not the replaced file's owner (the library's default): state files belong to this process
    ...(process.getuid && process.getgid ? { chown: { uid: process.getuid(), gid: process.getgid() } } : {}),
  };
}

/** Runs the functions given to it one after another, whatever each one's outcome. */
export function createSerial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** Whether `path` exists (a symlink counts as itself, not followed); errors other than ENOENT are thrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** The names in folder `dir`; none when it does not exist (yet). Other errors are thrown. */
export async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
