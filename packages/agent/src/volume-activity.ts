import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary, isFfError, run } from '@freezeframe/common';

// What a restore would overwrite under an application's feet: processes holding files open for
// writing under the volume, and files changed there lately. Only counts and process names
// leave the agent; the director shows them as a warning before it overwrites the volume.

export interface Writer {
  pid: number;
  /** The process's name as it set it (/proc/<pid>/comm): remote text to the director. */
  command: string;
  uid: number;
  /** Its descriptors open for writing under the volume. */
  files: number;
}

const O_ACCMODE = 0o3;

/** True when `path` is `root` or below it. */
const under = (root: string, path: string) => path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * Every process (but this one) with a file under `root` open for writing (O_WRONLY or O_RDWR,
 * from /proc/<pid>/fdinfo). Processes that vanish or cannot be read while we look are skipped.
 */
export async function openWriters(root: string, procRoot = '/proc'): Promise<Writer[]> {
  const out: Writer[] = [];
  const pids = (await readdir(procRoot)).filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(join(procRoot, pid, 'fd'));
    } catch {
      continue;
    }
    let files = 0;
    for (const fd of fds) {
      try {
        if (!under(root, await readlink(join(procRoot, pid, 'fd', fd)))) continue;
        const flags = /^flags:\s+([0-7]+)$/m.exec(await readFile(join(procRoot, pid, 'fdinfo', fd), 'utf8'))?.[1];
        if (flags !== undefined && (parseInt(flags, 8) & O_ACCMODE) !== 0) files++;
      } catch {
        // closed while we looked
      }
    }
    if (files === 0) continue;
    const [command, uid] = await Promise.all([
      readFile(join(procRoot, pid, 'comm'), 'utf8').then((c) => c.trim(), () => '?'),
      stat(join(procRoot, pid)).then((s) => s.uid, () => -1),
    ]);
    out.push({ pid: Number(pid), command, uid, files });
  }
  return out;
}

/**
 * How many files and folders under `root` changed (ctime: content or attributes) since `sinceMs`,
 * on its own file system, never following a link; undefined when the walk did not finish within
 * `timeoutMs` (a very large volume).
 */
export async function changedSince(root: string, sinceMs: number, timeoutMs: number): Promise<number | undefined> {
  try {
    const r = await run({
      bin: findBinary('find'),
      args: ['-P', root, '-xdev', '-newerct', `@${Math.floor(sinceMs / 1000)}`, '-printf', '.'],
      timeoutMs,
      // a file that vanishes while find walks is not a failure
      okExitCodes: [0, 1],
    });
    return r.stdout.length;
  } catch (e) {
    if (isFfError(e) && e.code === 'COMMAND_TIMEOUT') return undefined;
    throw e;
  }
}
