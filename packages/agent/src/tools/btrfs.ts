import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { FfError, findBinary, isFfError, pathExists, run, silentLogger, type ErrorCode, type Logger, type RunResult } from '@freezeframe/common';
import { FS_MAGIC } from './fs-magic.js';

/**
 * The `btrfs` program: subvolume create/snapshot/delete/show/find-new, with stderr patterns turned into
 * FfErrors that name the path. What the kernel answers directly (is this a subvolume, free
 * space) is read with stat/statfs instead of spawning a process.
 */
export interface BtrfsOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Default 60 s (a snapshot takes milliseconds; deleting a big subvolume returns before cleanup). */
  timeoutMs?: number;
}

/** Inode number of the root directory of every btrfs subvolume. */
const SUBVOLUME_ROOT_INO = 256;

export type BtrfsErrorReason = 'not-a-subvolume' | 'no-such-path' | 'not-btrfs' | 'cross-device' | 'read-only' | 'exists';

const STDERR_PATTERNS: { re: RegExp; reason: BtrfsErrorReason }[] = [
  { re: /Not a Btrfs subvolume/i, reason: 'not-a-subvolume' },
  { re: /No such file or directory/, reason: 'no-such-path' },
  { re: /not a btrfs filesystem/i, reason: 'not-btrfs' },
  { re: /cross-device link/i, reason: 'cross-device' },
  { re: /Read-only file system/, reason: 'read-only' },
  { re: /File exists|target path already exists/, reason: 'exists' },
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
  opts: BtrfsOptions & { onStdoutLine?: (line: string) => void },
): Promise<RunResult> {
  try {
    return await run({
      bin: findBinary('btrfs'),
      args,
      timeoutMs: opts.timeoutMs ?? 60_000,
      logger: opts.logger ?? silentLogger,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onStdoutLine ? { onStdoutLine: opts.onStdoutLine } : {}),
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

/** Creates the empty subvolume `path` (its folder must exist, `path` must not). */
export async function subvolumeCreate(path: string, opts: BtrfsOptions = {}): Promise<void> {
  await exec(['subvolume', 'create', '--', path], path, 'subvolume create', { missing: 'COMMAND_FAILED', fail: 'COMMAND_FAILED' }, opts);
}

/** Deletes subvolume `path`. NOT_FOUND when it does not exist or is not a subvolume. */
export async function subvolumeDelete(path: string, opts: BtrfsOptions = {}): Promise<void> {
  // commit, so the space is accounted (and a crash does not resurrect the snapshot)
  await exec(['subvolume', 'delete', '--commit-after', '--', path], path, 'subvolume delete', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
}

/** Commits the file system's running transaction: until then a subvolume's Generation does not show its newest writes. */
export async function filesystemSync(path: string, opts: BtrfsOptions = {}): Promise<void> {
  await exec(['filesystem', 'sync', '--', path], path, 'filesystem sync', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
}

export interface SubvolumeInfo {
  name: string;
  uuid: string;
  parentUuid: string | undefined;
  /** Set on a subvolume made by `btrfs receive` (the sender's UUID); undefined otherwise. */
  receivedUuid: string | undefined;
  readonly: boolean;
  /** From "Creation time", ms since the epoch; undefined if btrfs printed none. */
  createdUnixMs: number | undefined;
  id: number;
  /** The transaction that created it ("Gen at creation"): a snapshot holds every write of a generation up to this one. */
  genAtCreation: number;
  /** The newest transaction that changed it ("Generation"): equal to genAtCreation while nothing was written to it. */
  generation: number;
}

/** Parses `btrfs subvolume show <path>`. */
export function parseSubvolumeShow(text: string): SubvolumeInfo {
  const field = (key: string) => new RegExp(`^\\s*${key}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const created = field('Creation time');
  const parent = field('Parent UUID');
  const received = field('Received UUID');
  const uuid = field('UUID');
  if (uuid === undefined) throw new Error(`btrfs subvolume show: no UUID in ${JSON.stringify(text.slice(0, 200))}`);
  const createdMs = created ? Date.parse(created.replace(/^(\S+) (\S+) ([+-]\d{2})(\d{2})$/, '$1T$2$3:$4')) : NaN;
  return {
    name: field('Name') ?? '',
    uuid,
    parentUuid: parent && parent !== '-' ? parent : undefined,
    receivedUuid: received && received !== '-' ? received : undefined,
    readonly: /\breadonly\b/.test(field('Flags') ?? ''),
    createdUnixMs: Number.isNaN(createdMs) ? undefined : createdMs,
    id: Number(field('Subvolume ID') ?? NaN),
    genAtCreation: Number(field('Gen at creation') ?? NaN),
    generation: Number(field('Generation') ?? NaN),
  };
}

export async function subvolumeShow(path: string, opts: BtrfsOptions = {}): Promise<SubvolumeInfo> {
  const r = await exec(['subvolume', 'show', '--', path], path, 'subvolume show', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
  return parseSubvolumeShow(r.stdout);
}

/** One line of `btrfs subvolume find-new`: a file extent written in generation `gen`. */
export interface FindNewExtent {
  inode: number;
  fileOffset: number;
  /** Bytes of the file this extent covers (before compression; an inline extent's data). */
  len: number;
  /** 0 for an inline extent, and for a hole stored as an extent (no data). */
  diskStart: number;
  gen: number;
  /** `NONE`, or `|`-joined `COMPRESS`, `PREALLOC`, `INLINE`. */
  flags: string;
}

const FIND_NEW_LINE = /^inode (\d+) file offset (\d+) len (\d+) disk start (\d+) offset \d+ gen (\d+) flags (\S+) /;

/** Parses one line of `btrfs subvolume find-new` (btrfs-progs prints the file's name after the flags; it is not read). */
export function parseFindNewLine(line: string): FindNewExtent | undefined {
  const m = FIND_NEW_LINE.exec(line);
  if (!m) return undefined;
  return { inode: Number(m[1]), fileOffset: Number(m[2]), len: Number(m[3]), diskStart: Number(m[4]), gen: Number(m[5]), flags: m[6]! };
}

/**
 * Bytes of file data subvolume `path` holds that were written in generation `sinceGen` or later
 * (`btrfs subvolume find-new`: a search of the subvolume's metadata for newer extents, no file is
 * read). Needs CAP_SYS_ADMIN. Lines are summed as they arrive, so a large change costs no memory.
 */
export async function bytesWrittenSince(path: string, sinceGen: number, opts: BtrfsOptions = {}): Promise<{ bytes: number; extents: number }> {
  let bytes = 0;
  let extents = 0;
  await exec(['subvolume', 'find-new', '--', path, String(sinceGen)], path, 'subvolume find-new', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, {
    timeoutMs: 600_000,
    ...opts,
    onStdoutLine: (line) => {
      const x = parseFindNewLine(line);
      const hole = x?.diskStart === 0 && !x.flags.split('|').includes('INLINE');
      if (x && x.gen >= sinceGen && !hole) {
        bytes += x.len;
        extents++;
      }
    },
  });
  return { bytes, extents };
}

/**
 * What is at `path`: nothing, the root of a btrfs subvolume, or something else. One stat decides
 * between all three, so a subvolume another request creates meanwhile is never reported as
 * "something else" (as asking isSubvolume and then whether the path exists could).
 */
export async function subvolumeState(path: string): Promise<'absent' | 'subvolume' | 'other'> {
  try {
    const [st, fs] = await Promise.all([stat(path), statfs(path)]);
    return st.isDirectory() && st.ino === SUBVOLUME_ROOT_INO && fs.type === FS_MAGIC.btrfs ? 'subvolume' : 'other';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
}

/** True when `path` is the root of a btrfs subvolume (no process: stat + statfs). */
export async function isSubvolume(path: string): Promise<boolean> {
  return (await subvolumeState(path)) === 'subvolume';
}

/**
 * True when `path` is a subvolume flagged read-only (a read-only snapshot), false for a writable
 * one; no process: the kernel answers a write-access check on a read-only subvolume with EROFS
 * (for root too). A file system mounted read-only also answers EROFS.
 */
export async function isReadOnlySubvolume(path: string): Promise<boolean> {
  if (!(await isSubvolume(path))) return false;
  try {
    await access(path, constants.W_OK);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return true;
    if (code === 'EACCES' || code === 'ENOENT') return false;
    throw e;
  }
}

export async function isBtrfs(path: string): Promise<boolean> {
  return (await statfs(path)).type === FS_MAGIC.btrfs;
}

/** Bytes available to unprivileged writers on the filesystem holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/** argv of `btrfs send`: the read-only snapshot `path`, incremental from `parent` when given. */
export function btrfsSendArgs(path: string, parent?: string): string[] {
  return ['send', ...(parent !== undefined ? ['-p', parent] : []), '--', path];
}

/**
 * argv of `btrfs receive` into `dir`: confined to it (chroot) and ending at the stream's first
 * end marker, so nothing after it is read as another subvolume.
 */
export function btrfsReceiveArgs(dir: string): string[] {
  return ['receive', '-e', '-C', '--', dir];
}

/** What a send stream's first command says: a whole subvolume or a snapshot of a parent, and its name. */
export interface SendStreamHead {
  kind: 'subvol' | 'snapshot';
  name: string;
  /** Bytes the head takes (magic, version, first command). */
  bytes: number;
}

const STREAM_MAGIC = Buffer.from('btrfs-stream\0', 'latin1');
const CMD_SUBVOL = 1;
const CMD_SNAPSHOT = 2;
const ATTR_PATH = 15;
/** The first command holds a name and a few UUIDs: far less than this. */
const MAX_FIRST_COMMAND = 8 << 10;

/**
 * Parses the beginning of a `btrfs send` stream (magic, version, then the SUBVOL or SNAPSHOT
 * command naming the subvolume to create). Undefined while `buf` is too short; throws on a
 * stream that is not one.
 */
export function parseSendStreamHead(buf: Buffer): SendStreamHead | undefined {
  const fixed = STREAM_MAGIC.length + 4;
  if (buf.length < STREAM_MAGIC.length) return undefined;
  if (!buf.subarray(0, STREAM_MAGIC.length).equals(STREAM_MAGIC)) throw new FfError('INVALID_ARGUMENT', 'the stream is not a btrfs send stream (no btrfs-stream magic)');
  if (buf.length < fixed + 10) return undefined;
  const len = buf.readUInt32LE(fixed);
  const cmd = buf.readUInt16LE(fixed + 4);
  if (cmd !== CMD_SUBVOL && cmd !== CMD_SNAPSHOT) throw new FfError('INVALID_ARGUMENT', `the stream's first command is ${cmd}, not a subvolume or snapshot`);
  if (len > MAX_FIRST_COMMAND) throw new FfError('INVALID_ARGUMENT', `the stream's first command is ${len} bytes long`);
  const end = fixed + 10 + len;
  if (buf.length < end) return undefined;
  for (let at = fixed + 10; at + 4 <= end; ) {
    const type = buf.readUInt16LE(at);
    const tlen = buf.readUInt16LE(at + 2);
    if (type === ATTR_PATH) {
      return { kind: cmd === CMD_SUBVOL ? 'subvol' : 'snapshot', name: buf.subarray(at + 4, Math.min(at + 4 + tlen, end)).toString('utf8'), bytes: end };
    }
    at += 4 + tlen;
  }
  throw new FfError('INVALID_ARGUMENT', "the stream's first command names no subvolume");
}

/** `btrfs filesystem du -s --raw`: the Total column (bytes of file data the subvolume references). */
export function parseFilesystemDu(text: string): number {
  const line = text.split('\n').find((l) => /^\s*\d+\s+\d+\s+\d+\s+\S/.test(l));
  if (!line) throw new FfError('TARGET_FAILED', `btrfs filesystem du: no total in ${JSON.stringify(text.slice(0, 200))}`);
  return Number(line.trim().split(/\s+/)[0]);
}

export async function filesystemDu(path: string, opts: BtrfsOptions = {}): Promise<number> {
  const r = await exec(['filesystem', 'du', '-s', '--raw', '--', path], path, 'filesystem du', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
  return parseFilesystemDu(r.stdout);
}

/**
 * `btrfs device stats`: the counters that are not zero ("/dev/loop3 corruption_errs 2"). btrfs
 * keeps them across mounts until `btrfs device stats -z`, so an old error still shows.
 */
export function parseDeviceStats(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[(.+)\]\.(\w+)\s+(\d+)\s*$/.exec(line);
    if (m && m[3] !== '0') out.push(`${m[1]} ${m[2]} ${m[3]}`);
  }
  return out;
}

export async function deviceStatsErrors(path: string, opts: BtrfsOptions = {}): Promise<string[]> {
  const r = await exec(['device', 'stats', '--', path], path, 'device stats', { missing: 'NOT_FOUND', fail: 'COMMAND_FAILED' }, opts);
  return parseDeviceStats(r.stdout);
}
