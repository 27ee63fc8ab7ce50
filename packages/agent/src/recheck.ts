import { lstat, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, backupIdTime, createSerial, findBinary, run, writeFileAtomic } from '@freezeframe/common';
import { listNamed, nameBytes } from './checksums.js';
import { splitNul } from './file-names.js';
import type { SentListWriter } from './sent-list.js';
import { FS_MAGIC } from './tools/fs-magic.js';

// rsync's quick check skips a file whose size and mtime match the receiver's copy, and mtimes
// compare in whole seconds (zfs-fuse stores no more). A file rewritten with the same size in the
// same second as the snapshot its stored copy came from is then never sent again: a finished
// PostgreSQL WAL segment stayed stale in every later backup this way.
//
// Such a file's mtime lies in the second of that snapshot: its old mtime is before the snapshot,
// its new one after, and they share a second. So after the ordinary pass, the files whose mtime
// falls in the second (+-1 for clock granularity) of any snapshot since the newest tagged backup
// are sent once more with content compared (--ignore-times). Where this kernel stamped the mtime
// to a fraction of a second (a local file system), a file stamped before the snapshot began
// (less CLOCK_SLOP_MS) was last written before it, so the snapshot holds that write: only files
// stamped from the snapshot on are compared. Usually a handful; the cost is measured in
// bench/PROFILE.md. The agent records when it took each snapshot; without that record (the run
// dir is a tmpfs, lost at reboot) it falls back to every file changed since the previous backup's id.

/** When one snapshot's content was read: a snapshot's instant, or a live `dir` source's transfer. */
export interface SnapshotTime {
  backupId: string;
  fromMs: number;
  toMs: number;
}

/**
 * A file whose mtime lies in [from, to) may hold a write its stored copy missed; one whose mtime
 * this kernel stamped to a fraction of a second only when it is `after` or later.
 */
export interface RecheckWindow {
  from: number;
  to: number;
  after: number;
  /** The backup whose snapshot this is; none for the fallback window. */
  backupId?: string;
}

const KEPT = 64;
/** Margin around a snapshot's second: whole-second stamps, and clocks of other machines (a network file system). */
const MARGIN_MS = 1_000;
/**
 * How far before the snapshot began a write after it may be stamped on a local file system: the
 * kernel stamps mtimes from its coarse clock, at most one tick (10 ms at HZ=100) behind.
 */
const CLOCK_SLOP_MS = 100;
/**
 * File systems whose mtimes this kernel stamps, to the nanosecond, from its own clock (statfs
 * f_type): ext2/3/4, xfs, btrfs, tmpfs, ZFS on Linux. zfs-fuse (a FUSE file system) keeps whole
 * seconds, and a network file system's server stamps with a clock of its own.
 */
const STAMPED_HERE = new Set<number>([FS_MAGIC.ext4, FS_MAGIC.xfs, FS_MAGIC.btrfs, FS_MAGIC.tmpfs, FS_MAGIC.zfs]);
/** Without a record, the previous backup's id (the director's clock at its start) minus this. */
const FALLBACK_MARGIN_MS = 120_000;
const FIND_TIMEOUT_MS = 6 * 3600_000;
const LIST_MAX_BYTES = 256 << 20;

export class SnapshotTimes {
  private readonly file: string;
  /** Records are read, changed and written whole: one at a time. */
  private readonly serial = createSerial();
  constructor(runDir: string) {
    this.file = join(runDir, 'snapshot-times.json');
  }

  async all(): Promise<SnapshotTime[]> {
    try {
      const v = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      return Array.isArray(v) ? (v as SnapshotTime[]).filter((t) => typeof t.backupId === 'string' && Number.isFinite(t.fromMs) && Number.isFinite(t.toMs)) : [];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return [];
      throw e;
    }
  }

  /** Records (or widens) the time `backupId`'s content was read. */
  record(backupId: string, fromMs: number, toMs: number): Promise<void> {
    return this.serial(() => this.write(backupId, fromMs, toMs));
  }

  private async write(backupId: string, fromMs: number, toMs: number): Promise<void> {
    const list = await this.all();
    const old = list.find((t) => t.backupId === backupId);
    const next = old ? { backupId, fromMs: Math.min(old.fromMs, fromMs), toMs: Math.max(old.toMs, toMs) } : { backupId, fromMs, toMs };
    const rest = list.filter((t) => t.backupId !== backupId);
    await writeFileAtomic(this.file, `${JSON.stringify([...rest, next].slice(-KEPT))}\n`, 0o600);
  }

  /**
   * The mtime windows [from, to) in ms whose files the second pass of `currentId` compares by
   * content, given the newest tagged backup `previousId` holding this source.
   */
  windows(previousId: string, currentId: string): Promise<RecheckWindow[]> {
    // after any record still being written (PrepareSnapshot answers before its record is)
    return this.serial(() => this.windowsNow(previousId, currentId));
  }

  private async windowsNow(previousId: string, currentId: string): Promise<RecheckWindow[]> {
    const list = (await this.all()).filter((t) => t.backupId !== currentId);
    const prev = list.find((t) => t.backupId === previousId);
    if (!prev) {
      const from = (backupIdTime(previousId) ?? 0) - FALLBACK_MARGIN_MS;
      return [{ from, to: Number.POSITIVE_INFINITY, after: from }];
    }
    // every snapshot since the previous backup's may have left its content in the receiver's basis
    // (a failed run writes into a ZFS target's working tree)
    return list
      .filter((t) => t.fromMs >= prev.fromMs)
      .map((t) => ({ from: Math.floor((t.fromMs - MARGIN_MS) / 1000) * 1000, to: Math.ceil((t.toMs + MARGIN_MS) / 1000) * 1000, after: t.fromMs - CLOCK_SLOP_MS, backupId: t.backupId }));
  }
}


const at = (ms: number) => `@${(ms / 1000).toFixed(3)}`;

/** Whether this kernel stamped the mtimes under `root` to a fraction of a second (see STAMPED_HERE). */
export async function stampedHere(root: string): Promise<boolean> {
  return STAMPED_HERE.has((await statfs(root)).type);
}

/**
 * Regular files under `root` (relative, as bytes) whose mtime lies in one of `windows`; with
 * `stampedHere`, a file stamped to a fraction of a second counts only from its window's `after`
 * (a whole-second stamp may be a write later in that second, on any file system).
 */
export async function filesIn(root: string, windows: readonly RecheckWindow[], o: { stampedHere: boolean }): Promise<Buffer[]> {
  if (windows.length === 0) return [];
  const expr: string[] = [];
  for (const [i, w] of windows.entries()) {
    if (i > 0) expr.push('-o');
    // -newermt is "newer than", so [from, to) is: newer than from-1ms and not newer than to-1ms
    expr.push('(', '-newermt', at(w.from - 1), ...(Number.isFinite(w.to) ? ['!', '-newermt', at(w.to - 1)] : []), ')');
  }
  const r = await run({
    bin: findBinary('find'),
    // -P (the default) never follows a symlink; "<seconds>.<fraction> ./<name>"
    args: ['.', '-type', 'f', '(', ...expr, ')', '-printf', '%T@ %p\\0'],
    cwd: root,
    timeoutMs: FIND_TIMEOUT_MS,
    maxStdout: LIST_MAX_BYTES,
  });
  if (r.stdoutTruncated) throw new FfError('TRANSFER_FAILED', `${root} holds too many files to recheck (over ${LIST_MAX_BYTES} bytes of names)`);
  const out: Buffer[] = [];
  for (const rec of splitNul(r.stdoutBytes)) {
    const space = rec.indexOf(0x20);
    const [sec = '', frac = ''] = rec.subarray(0, space).toString('latin1').split('.');
    const ms = Number(sec) * 1000 + Number(`0.${frac || '0'}`) * 1000;
    if (inWindow(ms, /^0*$/.test(frac), windows, o)) out.push(rec.subarray(space + 3)); // " ./"
  }
  return out;
}

function inWindow(ms: number, whole: boolean, windows: readonly RecheckWindow[], o: { stampedHere: boolean }): boolean {
  return windows.some((w) => ms >= w.from && ms < w.to && (whole || !o.stampedHere || ms >= w.after));
}

/**
 * filesIn, looking only at `sent`: the names the backups of `windows` sent (sentNames). A stored
 * copy can only be stale if its mtime lies in a window, so the read of that window wrote it: that
 * window's backup sent it. Where windows overlap (backups seconds apart) an earlier backup may
 * have written it, but then its own window held that mtime too, so the next backup compared the
 * file by content, and `--ignore-times` lists every file it compares. Undefined when a name is
 * hard-linked: the other names of its group are not in the list, and filesIn's walk finds them.
 */
export async function filesSentIn(root: string, sent: readonly Buffer[], windows: readonly RecheckWindow[], o: { stampedHere: boolean }): Promise<Buffer[] | undefined> {
  const out: Buffer[] = [];
  for (const f of await listNamed(root, sent)) {
    if ((f.links ?? 1) > 1) return undefined;
    // listNamed keeps milliseconds: a stamp within a millisecond of its second counts as whole (compared either way)
    if (inWindow(f.m, f.m % 1000 === 0, windows, o)) out.push(nameBytes(f));
  }
  return out;
}

/**
 * The listing less the files the first pass sends: rsync rebuilt each of those on the receiver and
 * checked it against the whole-file checksum it read here, so a second comparison by content
 * finds nothing. Such a file was stamped within an earlier snapshot's second and changed again
 * since (a busy database's files are); without this the second pass compared it once more
 * (bench/PROFILE.md, eighth pass). What stays is what the quick check skipped: a same-size
 * rewrite. The other names of a sent file's hard-link group leave too (withoutLinksOf).
 */
export function withoutSent(list: SentListWriter, listing: Promise<Buffer[]>, root: string): { list: SentListWriter; left: () => Promise<Buffer[]> } {
  // names sent before the walk ends wait here; after it, a sent name leaves the set at once
  const early: Buffer[] = [];
  const sentListed: Buffer[] = [];
  const key = (name: Buffer) => name.toString('latin1');
  let set: Set<string> | undefined;
  const unsent = listing.then((l) => {
    set = new Set(l.map(key));
    for (const n of early.splice(0)) if (set.delete(key(n))) sentListed.push(n);
    return set;
  });
  // left() may never be asked (the transfer failed); the listing's failure is reported there
  unsent.catch(() => undefined);
  return {
    list: {
      add(name, sum) {
        if (!set) early.push(Buffer.from(name));
        else if (set.delete(key(name))) sentListed.push(Buffer.from(name));
        list.add(name, sum);
      },
      close: () => list.close(),
    },
    left: async () => {
      const [l, s] = await Promise.all([listing, unsent]);
      return withoutLinksOf(root, l.filter((n) => s.has(key(n))), sentListed);
    },
  };
}

/**
 * `names` less those hard-linked to a name in `sent`. rsync -H sent that inode's data once and
 * linked the other names to it on the receiver; sent alone in the second pass, such a name is
 * received as a file of its own, and the backup no longer holds the link (CI found it: a link
 * made within a second of the previous backup came back from the next one as two files).
 */
async function withoutLinksOf(root: string, names: Buffer[], sent: readonly Buffer[]): Promise<Buffer[]> {
  if (names.length === 0 || sent.length === 0) return names;
  const prefix = Buffer.from(`${root.replace(/\/+$/, '')}/`);
  // a name gone from a live folder since the walk: the second pass decides about it. By path: in a
  // live folder its owner could swap a folder for a link meanwhile, but all that is read is an
  // inode number, and all it can change is which of that owner's own files are compared again
  const inode = async (name: Buffer) => {
    const st = await lstat(Buffer.concat([prefix, name])).catch(() => undefined);
    return st && st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined;
  };
  const sentInodes = new Set<string>();
  for (const n of sent) {
    const i = await inode(n);
    if (i) sentInodes.add(i);
  }
  if (sentInodes.size === 0) return names;
  const out: Buffer[] = [];
  for (const n of names) {
    const i = await inode(n);
    if (!i || !sentInodes.has(i)) out.push(n);
  }
  return out;
}
