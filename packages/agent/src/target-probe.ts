import { lchown, lstat, lutimes, mkdtemp, open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { FS_MAGIC } from './tools/fs-magic.js';

// What a target's file system can store, found by trying it in a scratch folder there before a
// backup starts: rsync reports what it cannot store only file by file, after the freeze, and
// some losses (whole-second mtimes) it does not report at all.

/** One thing a target cannot hold, named by the class rsync's errors fall in (see receive-results.ts). */
export interface Limit {
  class: 'xattrs' | 'acls' | 'owners' | 'times' | 'hardlinks' | 'sparse' | 'mtime-ns';
  /** What it cannot store, e.g. "POSIX ACLs". */
  detail: string;
}

/** Hard links per inode, by file system magic (statfs f_type), where the limit is low enough to meet. */
const LINK_LIMITS: Record<number, [string, number]> = {
  [FS_MAGIC.ext4]: ['ext4', 65_000],
  [FS_MAGIC.btrfs]: ['btrfs', 65_535],
};
const LARGE_XATTR = 10_000;
const BIG_ID = 2 ** 31 + 7;
/** 2100-01-01: after the 32-bit time_t rollover in 2038. */
const FAR_FUTURE_S = 4_102_444_800;
const TOOL_TIMEOUT_MS = 10_000;

/** Whether `name args` succeeded; undefined when the tool is not installed (nothing was tried). */
async function tool(name: string, args: string[]): Promise<boolean | undefined> {
  let bin: string;
  try {
    bin = findBinary(name);
  } catch {
    return undefined;
  }
  try {
    await run({ bin, args, timeoutMs: TOOL_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/** Tries each kind of metadata in a scratch folder under `root` (removed again) and returns what failed. */
export async function probeTarget(root: string): Promise<Limit[]> {
  const limits: Limit[] = [];
  // a fresh 0700 folder of root's; still, nothing here follows a link (lchown, lutimes)
  const dir = await mkdtemp(join(root, '.ff-probe-'));
  try {
    const f = join(dir, 'f');
    const fh = await open(f, 'w', 0o600);
    // one byte after a 16 MiB hole: a file system that keeps holes allocates a block or two
    await fh.write(Buffer.from('x'), 0, 1, 16 << 20);
    await fh.close();
    if ((await lstat(f)).blocks * 512 >= 8 << 20) limits.push({ class: 'sparse', detail: 'holes (sparse files take their full size)' });

    await lutimes(f, 1_700_000_000.123_456, 1_700_000_000.123_456);
    if ((await lstat(f, { bigint: true })).mtimeNs % 1_000_000_000n === 0n) {
      limits.push({ class: 'mtime-ns', detail: 'sub-second mtimes (changes within a second are found by the content recheck)' });
    }
    try {
      await lutimes(f, FAR_FUTURE_S, FAR_FUTURE_S);
      if (Math.round((await lstat(f)).mtimeMs / 1000) !== FAR_FUTURE_S) limits.push({ class: 'times', detail: 'mtimes after 2038' });
    } catch (e) {
      limits.push({ class: 'times', detail: `mtimes after 2038 (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
    }

    try {
      await lchown(f, BIG_ID, BIG_ID);
      const st = await lstat(f);
      if (st.uid !== BIG_ID || st.gid !== BIG_ID) limits.push({ class: 'owners', detail: `owners above 2^31 (stored as ${st.uid}:${st.gid})` });
    } catch (e) {
      limits.push({ class: 'owners', detail: `owners above 2^31 (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
    }

    // setfattr and setfacl (Debian's attr and acl): without them these two are not probed
    const small = await tool('setfattr', ['-n', 'user.freezeframe-probe', '-v', 'x', f]);
    if (small === false) limits.push({ class: 'xattrs', detail: 'extended attributes' });
    else if (small && (await tool('setfattr', ['-n', 'user.freezeframe-large', '-v', `0x${'61'.repeat(LARGE_XATTR)}`, f])) === false) {
      limits.push({ class: 'xattrs', detail: `extended attributes of ${LARGE_XATTR / 1000} kB` });
    }
    if ((await tool('setfacl', ['-m', 'u:12345:r', f])) === false) limits.push({ class: 'acls', detail: 'POSIX ACLs' });

    const known = LINK_LIMITS[Number((await statfs(root)).type)];
    if (known) limits.push({ class: 'hardlinks', detail: `more than ${known[1]} hard links to one file (${known[0]})` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return limits;
}

const CACHE_MS = 10 * 60_000;

/** probeTarget, asked at most every 10 minutes (preflight and health ask often). */
export function cachedProbe(root: () => Promise<string>): () => Promise<Limit[]> {
  let last: { at: number; limits: Promise<Limit[]> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > CACHE_MS) {
      const limits = root().then(probeTarget);
      last = { at: Date.now(), limits };
      limits.catch(() => (last = undefined));
    }
    return last.limits;
  };
}
