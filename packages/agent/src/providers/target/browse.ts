import { lstat, mkdir, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FfError } from '@freezeframe/common';
import type { Check } from '../checks.js';

// `target.browse: PATH` for targets whose backups are folders (btrfs snapshots, dir trees): a
// symbolic link at PATH to the newest one, swapped by rename so a reader sees the old backup or
// the new one, never nothing. The ZFS target mounts a clone there instead (zfs.ts).

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** Points the link `at` to `to`; refuses when something other than a link is at `at` (the operator's). */
export async function pointBrowseLink(at: string, to: string): Promise<void> {
  const st = await lstat(at).catch((e: unknown) => (missing(e) ? undefined : Promise.reject(e)));
  if (st && !st.isSymbolicLink()) {
    throw new FfError('FAILED_PRECONDITION', `target.browse: ${at} exists and is not a symbolic link; it is left alone`, {
      hint: 'move it away or choose another target.browse path: the agent keeps a link to the newest backup there',
      details: { field: 'target.browse' },
    });
  }
  await mkdir(dirname(at), { recursive: true, mode: 0o755 });
  const next = `${at}.ff-next`;
  // unlink never follows: whatever was left at the temporary name (a crash, or someone else's link) goes
  await unlink(next).catch((e: unknown) => (missing(e) ? undefined : Promise.reject(e)));
  await symlink(to, next);
  await rename(next, at);
}

/** Health: the link at `at` names the newest backup's folder `to` (a warning: backups work either way). */
export async function browseLinkCheck(at: string, to: string | undefined): Promise<Check> {
  const check = (ok: boolean, detail: string): Check => ({ name: 'target-browse', ok, warnOnly: true, detail });
  try {
    const st = await lstat(at);
    if (!st.isSymbolicLink()) return check(false, `target.browse: ${at} is not a symbolic link (someone else's file or folder): the newest backup is not shown there`);
    const points = await readlink(at);
    if (to === undefined) return check(true, `target.browse: ${at} -> ${points} (no backup yet)`);
    return points === to ? check(true, `target.browse: ${at} -> ${to}`) : check(false, `target.browse: ${at} points to ${points}, not to the newest backup ${to} (refreshed by the next backup)`);
  } catch (e) {
    if (!missing(e)) throw e;
    return check(to === undefined, to === undefined ? `target.browse: ${at} appears with the first backup` : `target.browse: ${at} does not exist (refreshed by the next backup)`);
  }
}
