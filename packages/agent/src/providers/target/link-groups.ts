import { copyFile, lstat, lutimes, mkdir, rename } from 'node:fs/promises';
import { FfError, findBinary, run } from '@freezeframe/common';
import { splitNul } from '../../file-names.js';

// rsync -H links the names the sender has linked, but never splits names the receiver has linked
// and the sender no longer has: a hard link broken on the source since the last backup would
// come back linked, and an in-place write to one name would change the other. So before a
// transfer, every hard-link group the receiver would start from is split into separate files
// (same content and mtime, so the quick check still finds them unchanged), and rsync links
// again exactly what the sender has linked.

const FIND_TIMEOUT_MS = 6 * 3600_000;
const LIST_MAX_BYTES = 256 << 20;

const under = (root: string, rel: Buffer) => Buffer.concat([Buffer.from(`${root.replace(/\/+$/, '')}/`), rel]);

/** Copies `from` to `to` (a new inode) with `from`'s times, through a temp name beside `to`. */
async function copyAsNewFile(from: Buffer, to: Buffer): Promise<void> {
  const slash = to.lastIndexOf(0x2f);
  const tmp = Buffer.concat([to.subarray(0, slash + 1), Buffer.from(`.ff-split-${process.pid}-`), to.subarray(slash + 1)]);
  // copyFile would follow a link: only a regular file is copied
  const st = await lstat(from);
  if (!st.isFile()) throw new FfError('TARGET_FAILED', `${from.toString('latin1')} is no longer a regular file; not split`);
  await copyFile(from, tmp);
  await lutimes(tmp, st.atime, st.mtime);
  await rename(tmp, to);
}

/** Groups of names (relative to `dir`) sharing an inode, from `find` (names are bytes). */
export async function linkGroupsIn(dir: string): Promise<Buffer[][]> {
  const r = await run({
    bin: findBinary('find'),
    args: ['.', '-type', 'f', '-links', '+1', '-printf', '%i %p\\0'],
    cwd: dir,
    timeoutMs: FIND_TIMEOUT_MS,
    maxStdout: LIST_MAX_BYTES,
  });
  const byInode = new Map<string, Buffer[]>();
  for (const rec of splitNul(r.stdoutBytes)) {
    const sp = rec.indexOf(0x20);
    const ino = rec.subarray(0, sp).toString('latin1');
    byInode.set(ino, [...(byInode.get(ino) ?? []), rec.subarray(sp + 3)]); // " ./"
  }
  return [...byInode.values()].filter((g) => g.length > 1);
}

/** In a tree written in place (ZFS working copy): every name of a group but the first becomes its own file. */
export async function splitLinkGroups(dir: string): Promise<number> {
  let split = 0;
  for (const group of await linkGroupsIn(dir)) {
    const first = under(dir, group[0]!);
    for (const name of group.slice(1)) {
      await copyAsNewFile(first, under(dir, name));
      split++;
    }
  }
  return split;
}

/**
 * In a new tree received with --link-dest=`basis` (dir target): each name of `groups` (relative,
 * linked in the basis) is copied from the basis as its own file, so rsync finds it in place of
 * linking it to the basis's shared inode (which may also be at the file system's link limit).
 */
export async function copyGroupsFrom(basis: string, dir: string, groups: readonly Buffer[][]): Promise<number> {
  let copied = 0;
  for (const group of groups) {
    for (const name of group) {
      const to = under(dir, name);
      if (await lstat(to).then(() => true, () => false)) continue; // a resumed receive already has it
      await mkdir(to.subarray(0, to.lastIndexOf(0x2f)), { recursive: true, mode: 0o700 });
      await copyAsNewFile(under(basis, name), to);
      copied++;
    }
  }
  return copied;
}
