import { stat, statfs } from 'node:fs/promises';
import { FfError, findBinary, isFfError, pathExists, run, silentLogger, type ErrorCode, type Logger, type RunResult } from '@freezeframe/common';

/**
 * The `btrfs` program: subvolume snapshot/delete/show, with stderr patterns turned into
 * FfErrors that name the path. What the kernel answers directly (is this a subvolume, free
 * space) is read with stat/statfs instead of spawning a process.
 */
export interface BtrfsOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Default 60 s (a snapshot takes milliseconds; deleting a big subvolume returns before cleanup). */
  timeoutMs?: number;
}

const BTRFS_SUPER_MAGIC = 0x9123683e;
/** Inode number of the root directory of every btrfs subvolume. */
const SUBVOLUME_ROOT_INO = 256;

export type BtrfsErrorReason = 'not-a-subvolume' | 'no-such-path' | 'not-btrfs' | 'cross-device' | 'read-only' | 'exists';

const STDERR_PATTERNS: { re: RegExp; reason: BtrfsErrorReason }[] = [
  { re: /Not a Btrfs subvolume/i, reason: 'not-a-subvolume' },
  { re: /No such file or directory/, reason: 'no-such-path' },
  { re: /not a btrfs filesystem/i, reason: 'not-btrfs' },
  { re: /cross-device link/i, reason: 'cross-device' },
  { re: /Read-only file system/, reason: 'read-only' },
  { re: /File exists/, reason: 'exists' },
];

export function btrfsErrorReason(stderr: string): BtrfsErrorReason | undefined {
  return STDERR_PATTERNS.find((p) => p.re.test(stderr))?.reason;
}

export function btrfsReasonOf(e: unknown): BtrfsErrorReason | undefined {
  return isFfError(e) ? (e.details?.reason as BtrfsErrorReason | undefined) : undefined;
}

const REASON_TEXT: Record<BtrfsErrorReason, string> = {
  'not-a-subvolume': 'is not a btrfs subvolume',
  'no-such-path': 'does not exist',
  'not-btrfs': 'is not on a btrfs filesystem',
  'cross-device': 'is on another btrfs filesystem',
  'read-only': 'is read-only',
  exists: 'already exists',
};

/**
 * Runs `btrfs args`; a failure becomes an FfError naming `path`: missing paths and
 * non-subvolumes get `missingCode` (NOT_FOUND for show/delete), the rest `failCode`.
 */
async function exec(
  args: string[],
  path: string,
  what: string,
  codes: { missing: ErrorCode; fail: ErrorCode },
  opts: BtrfsOptions,
): Promise<RunResult> {
  try {
    return await run({
      bin: findBinary('btrfs'),
      args,
      timeoutMs: opts.timeoutMs ?? 60_000,
      logger: opts.logger ?? silentLogger,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (!isFfError(e, 'COMMAND_FAILED')) throw e;
    const stderr = typeof e.details?.stderr === 'string' ? e.details.stderr.trim() : '';
    const reason = btrfsErrorReason(stderr);
    const missing = reason === 'not-a-subvolume' || reason === 'no-such-path';
    const hint =
      reason === 'cross-device' || reason === 'not-btrfs'
        ? 'the snapshot folder must be on the same btrfs filesystem as the subvolume'
        : undefined;
    throw new FfError(
      missing ? codes.missing : codes.fail,
      `btrfs ${what} failed: ${path} ${reason ? REASON_TEXT[reason] : 'could not be processed'}${stderr ? ` (${stderr})` : ''}`,
      { cause: e, details: { ...e.details, reason, path }, ...(hint ? { hint } : {}) },
    );
  }
}

/**
 * Snapshots subvolume `src` to `dst` (which must not exist: btrfs would otherwise create
 * `dst/<name of src>` inside it). SNAPSHOT_FAILED names the cause; a missing `src` is NOT_FOUND.
 */
export async function subvolumeSnapshot(
  src: string,
  dst: string,
  opts: BtrfsOptions & { readonly?: boolean } = {},
): Promise<void> {
  if (await pathExists(dst)) {
    throw new FfError('ALREADY_EXISTS', `btrfs snapshot of ${src} failed: ${dst} already exists`, { details: { path: dst } });
  }
  const args = ['subvolume', 'snapshot', ...(opts.readonly ? ['-r'] : []), '--', src, dst];
  try {
    await exec(args, src, 'subvolume snapshot', { missing: 'SNAPSHOT_FAILED', fail: 'SNAPSHOT_FAILED' }, opts);
  } catch (e) {
    // btrfs says "No such file or directory" for both ends; tell which one is missing
    if (btrfsReasonOf(e) === 'no-such-path' && (await pathExists(src))) {
      throw new FfError('SNAPSHOT_FAILED', `btrfs snapshot of ${src} failed: the folder of ${dst} does not exist`, {
        cause: e,
        details: { reason: 'no-such-path', path: dst },
      });
    }
    if (btrfsReasonOf(e) === 'no-such-path') {
      throw new FfError('NOT_FOUND', `btrfs snapshot failed: subvolume ${src} does not exist`, {
        cause: e,
        details: { reason: 'no-such-path', path: src },
      });
    }
    throw e;
  }
}

/** Deletes subvolume `path`. NOT_FOUND when it does not exist or is not a subvolume. */
export async function subvolumeDelete(path: string, opts: BtrfsOptions = {}): Promise<void> {
  // commit, so the space is accounted (and a crash does not resurrect the snapshot)
  await exec(['subvolume', 'delete', '--commit-after', '--', path], path, 'subvolume delete', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
}

export interface SubvolumeInfo {
  name: string;
  uuid: string;
  parentUuid: string | undefined;
  readonly: boolean;
  /** From "Creation time", ms since the epoch; undefined if btrfs printed none. */
  createdUnixMs: number | undefined;
  id: number;
}

/** Parses `btrfs subvolume show <path>`. */
export function parseSubvolumeShow(text: string): SubvolumeInfo {
  const field = (key: string) => new RegExp(`^\\s*${key}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const created = field('Creation time');
  const parent = field('Parent UUID');
  const uuid = field('UUID');
  if (uuid === undefined) throw new Error(`btrfs subvolume show: no UUID in ${JSON.stringify(text.slice(0, 200))}`);
  const createdMs = created ? Date.parse(created.replace(/^(\S+) (\S+) ([+-]\d{2})(\d{2})$/, '$1T$2$3:$4')) : NaN;
  return {
    name: field('Name') ?? '',
    uuid,
    parentUuid: parent && parent !== '-' ? parent : undefined,
    readonly: /\breadonly\b/.test(field('Flags') ?? ''),
    createdUnixMs: Number.isNaN(createdMs) ? undefined : createdMs,
    id: Number(field('Subvolume ID') ?? NaN),
  };
}

export async function subvolumeShow(path: string, opts: BtrfsOptions = {}): Promise<SubvolumeInfo> {
  const r = await exec(['subvolume', 'show', '--', path], path, 'subvolume show', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
  return parseSubvolumeShow(r.stdout);
}

/** True when `path` is the root of a btrfs subvolume (no process: stat + statfs). */
export async function isSubvolume(path: string): Promise<boolean> {
  try {
    const [st, fs] = await Promise.all([stat(path), statfs(path)]);
    return st.isDirectory() && st.ino === SUBVOLUME_ROOT_INO && fs.type === BTRFS_SUPER_MAGIC;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function isBtrfs(path: string): Promise<boolean> {
  return (await statfs(path)).type === BTRFS_SUPER_MAGIC;
}

/** Bytes available to unprivileged writers on the filesystem holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}
